"""Outbound webhooks: partners' endpoints, durable deliveries, signed attempts."""
