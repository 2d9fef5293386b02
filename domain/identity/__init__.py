"""Identity and tenancy: users, workspaces, members, invitations, API keys, sessions."""
