"""The sandbox network: a simulated social network inside Kelola (no credentials needed)."""
