"""Pinterest: the API v5 adapter (pins on one board per channel)."""
