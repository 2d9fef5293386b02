"""Channels: social accounts a workspace connected, their credentials and health."""
