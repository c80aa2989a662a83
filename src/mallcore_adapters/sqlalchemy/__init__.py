"""Storage on SQLAlchemy: SQLite (the embedded default) and PostgreSQL (psycopg 3)."""

from mallcore_adapters import require_extra

require_extra("sqlalchemy", "sqlalchemy", "sqlalchemy")
