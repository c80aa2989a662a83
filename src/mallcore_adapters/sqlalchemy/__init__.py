"""Storage on SQLAlchemy: SQLite (the embedded default) and PostgreSQL (psycopg 3).

``make_engine(url)`` and ``upgrade(url)`` (Alembic) set up a database;
``SqlUnitOfWork(engine)`` implements the core's ``UnitOfWork``;
``SqlFlashStock`` / ``SqlFlashLimits`` the flash-sale ports by conditional update;
``SqlNumbers`` the ``NumberSource``; ``ConfigurationStore`` keeps the catalogue,
customers and promotion settings.  See docs/storage.md.
"""

from mallcore_adapters import require_extra

require_extra("sqlalchemy", "sqlalchemy", "sqlalchemy")

from mallcore_adapters.sqlalchemy.engine import DEFAULT_URL, make_engine  # noqa: E402
from mallcore_adapters.sqlalchemy.uow import SqlUnitOfWork  # noqa: E402

__all__ = ["DEFAULT_URL", "SqlUnitOfWork", "make_engine"]
