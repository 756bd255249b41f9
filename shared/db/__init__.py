"""Database access: typed models and the engine/session factory."""
