"""Alembic revisions of the tickets store, oldest first by revision id."""
