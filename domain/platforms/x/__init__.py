"""X (formerly Twitter): the X API v2 adapter, connected with OAuth 2.0 and PKCE."""
