"""Instagram business accounts: the Graph API content-publishing adapter, reached through a
Facebook Page and connected with Facebook Login."""
