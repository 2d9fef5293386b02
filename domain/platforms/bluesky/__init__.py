"""Bluesky: the AT Protocol adapter, connected with a handle and an app password."""
