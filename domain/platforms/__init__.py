"""Social networks: one adapter per network behind the Provider interface."""
