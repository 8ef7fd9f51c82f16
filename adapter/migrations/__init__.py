"""Alembic migrations of the store, shipped in the package so an installed wheel can
migrate. Run them with `adapter.store.database.migrate(engine)`; never by hand."""
