"""Strategy: what content serves. For now, campaigns that posts belong to."""
