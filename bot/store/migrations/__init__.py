"""Alembic migration environment of the tickets store (run through ``bot.store.migrate``)."""
