"""Storage: SQLAlchemy 2 models, the engine, migrations and repositories (every query)."""
