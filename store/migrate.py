"""Schema migrations, run by the daemon at start and by tests before they touch a store.

The migration scripts live in `<repo root>/alembic` (deliberately not a Python package: an
`alembic/__init__.py` would shadow the alembic library). `alembic/env.py` runs them on the
connection handed over here, so an in-memory SQLite database is migrated in place.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from store.db import WRITE_OPTION, create_engine_for

REPO_ROOT = Path(__file__).resolve().parent.parent
ALEMBIC_DIR = REPO_ROOT / "alembic"
ALEMBIC_INI = REPO_ROOT / "alembic.ini"


def alembic_config(url: str) -> Config:
    """The alembic configuration for `url`, independent of the working directory."""
    config = Config(str(ALEMBIC_INI)) if ALEMBIC_INI.exists() else Config()
    config.set_main_option("script_location", str(ALEMBIC_DIR))
    # configparser interpolates '%', which URL-encoded passwords contain.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["url"] = url
    # The daemon configures logging itself; alembic.ini's logging is for the alembic CLI.
    config.attributes["configure_logger"] = False
    return config


def upgrade_to_head(url: str) -> None:
    """`alembic upgrade head` on the database at `url`."""
    engine = create_engine_for(url)
    try:
        upgrade_engine(engine)
    finally:
        engine.dispose()


def upgrade_engine(engine: Engine) -> None:
    """`alembic upgrade head` through `engine`'s own connection pool."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.connect() as connection:
        config.attributes["connection"] = connection.execution_options(**{WRITE_OPTION: True})
        command.upgrade(config, "head")
        # Alembic commits per migration on SQLite; this ends whatever its checks autobegan.
        connection.commit()
