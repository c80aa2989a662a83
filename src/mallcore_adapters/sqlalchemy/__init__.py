"""Storage on SQLAlchemy: SQLite (embedded default) and PostgreSQL (the 'postgres' extra adds psycopg)."""

from mallcore_adapters import require_extra

require_extra("sqlalchemy", "sqlalchemy", "sqlalchemy")
