"""Alembic environment: the URL comes from ``upgrade(url)`` (or ``-x url=…``)."""

from __future__ import annotations

from alembic import context

from mallcore_adapters.sqlalchemy.engine import make_engine
from mallcore_adapters.sqlalchemy.schema import metadata

config = context.config
url = config.attributes.get("url") or context.get_x_argument(as_dictionary=True).get("url")
if not url:
    raise SystemExit("give the database URL: mallcore db upgrade URL")

engine = make_engine(url)
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
engine.dispose()
