"""Content: posts, their media, one target per channel, approvals and status history."""
