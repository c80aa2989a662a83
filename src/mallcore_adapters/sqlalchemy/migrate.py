"""Alembic migrations, run from Python or ``mallcore db upgrade URL``."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from mallcore_adapters.sqlalchemy.engine import normalise_url

__all__ = ["alembic_config", "upgrade"]

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["url"] = normalise_url(url)
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision`` (idempotent)."""
    command.upgrade(alembic_config(url), revision)


def revision(url: str, message: str) -> None:  # pragma: no cover - a developer's tool
    command.revision(alembic_config(url), message=message, autogenerate=True,
                     rev_id=None)
