"""Content mutations, grouped by what they do to a post."""
