"""Kelola's domain: models, services, errors and events. Nothing here knows GraphQL."""
