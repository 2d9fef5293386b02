"""LinkedIn members and organization pages: the versioned REST (Posts) API adapter."""
