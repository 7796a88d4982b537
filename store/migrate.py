"""Schema migrations, run by the daemon at start and by tests before they touch a store.

The migration scripts live in the repository's `alembic/` folder (deliberately not a Python
package: an `alembic/__init__.py` would shadow the alembic library), which the installed
package carries as `dockform/migrations` and which is found with `importlib.resources`, from a
clone and from a wheel alike. `env.py` runs them on the connection handed over here, so an
in-memory SQLite database is migrated in place.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from dockform.store.db import WRITE_OPTION, create_engine_for

MIGRATIONS_PACKAGE = "dockform"
MIGRATIONS_FOLDER = "migrations"


@contextmanager
def migrations_dir() -> Iterator[str]:
    """A filesystem path of the migration scripts, for as long as the block runs."""
    scripts = resources.files(MIGRATIONS_PACKAGE).joinpath(MIGRATIONS_FOLDER)
    with resources.as_file(scripts) as path:
        yield str(path)


def alembic_config(url: str, script_location: str) -> Config:
    """The alembic configuration for `url`, independent of the working directory."""
    config = Config()
    config.set_main_option("script_location", script_location)
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
    url = engine.url.render_as_string(hide_password=False)
    with migrations_dir() as scripts, engine.connect() as connection:
        config = alembic_config(url, scripts)
        config.attributes["connection"] = connection.execution_options(**{WRITE_OPTION: True})
        command.upgrade(config, "head")
        # Alembic commits per migration on SQLite; this ends whatever its checks autobegan.
        connection.commit()
