"""Alembic environment: runs the migrations in `alembic/versions` against the store's models.

`store.migrate.upgrade_to_head` hands over a connection in `config.attributes`; the alembic
CLI (`alembic upgrade head` in the repository root) falls back to `DOCKFORM_STORE` or the
`sqlalchemy.url` of `alembic.ini`.
"""

from __future__ import annotations

import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection

from dockform.store.db import WRITE_OPTION, create_engine_for
from dockform.store.orm import metadata

config = context.config
target_metadata = metadata

if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _url() -> str:
    url = config.attributes.get("url") or os.environ.get("DOCKFORM_STORE")
    if url:
        return str(url)
    option = config.get_main_option("sqlalchemy.url")
    if not option:
        raise RuntimeError("no database URL: set DOCKFORM_STORE or sqlalchemy.url in alembic.ini")
    return option


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things in place; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=_url().startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    given = config.attributes.get("connection")
    if given is not None:
        _run(given)
        return
    engine = create_engine_for(_url())
    try:
        with engine.connect() as connection:
            _run(connection.execution_options(**{WRITE_OPTION: True}))
            connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
