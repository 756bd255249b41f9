"""Read-only SQL behind the gateway's GET endpoints."""
