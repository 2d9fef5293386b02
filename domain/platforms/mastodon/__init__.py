"""Mastodon: any instance's client API, connected with a per-instance OAuth app."""
