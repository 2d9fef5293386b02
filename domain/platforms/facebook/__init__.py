"""Facebook Pages: the Graph API adapter, connected with Facebook Login."""
