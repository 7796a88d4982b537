"""Models and migrations agree, and migrating is idempotent and independent of the cwd."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, inspect, text

from dockform.store.db import create_engine_for
from dockform.store.migrate import alembic_config, migrations_dir, upgrade_to_head
from dockform.store.orm import metadata
from dockform.store.repository import Store


def _diff(url: str, target: MetaData) -> list[object]:
    engine = create_engine_for(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, target))
    finally:
        engine.dispose()


def test_migrations_create_exactly_the_models(db_url: str) -> None:
    upgrade_to_head(db_url)

    assert _diff(db_url, metadata) == []


def test_comparison_notices_a_model_the_migrations_lack(db_url: str) -> None:
    # Guards the test above: a comparison that found nothing would pass it too.
    upgrade_to_head(db_url)
    changed = MetaData(naming_convention=metadata.naming_convention)
    for table in metadata.sorted_tables:
        table.to_metadata(changed)
    changed.tables["sources"].append_column(Column("extra", Integer, nullable=True))

    diff = _diff(db_url, changed)

    assert [entry[0] for entry in diff if isinstance(entry, tuple)] == ["add_column"]


def test_upgrade_is_idempotent_and_does_not_depend_on_cwd(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    upgrade_to_head(db_url)
    upgrade_to_head(db_url)

    engine = create_engine_for(db_url)
    try:
        with engine.connect() as connection:
            version = connection.execute(text("SELECT version_num FROM alembic_version")).all()
            tables = set(inspect(connection).get_table_names())
    finally:
        engine.dispose()
    assert len(version) == 1
    assert {"resources", "resource_status", "events", "revisions", "sources"} <= tables


def test_downgrade_to_base_and_back(db_url: str) -> None:
    upgrade_to_head(db_url)
    with migrations_dir() as scripts:
        command.downgrade(alembic_config(db_url, scripts), "base")
    engine = create_engine_for(db_url)
    try:
        assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    finally:
        engine.dispose()

    upgrade_to_head(db_url)
    assert _diff(db_url, metadata) == []


def test_alembic_directory_is_not_a_python_package() -> None:
    # An alembic/__init__.py at the repo root would shadow the alembic library on import.
    with migrations_dir() as scripts:
        assert (Path(scripts) / "env.py").is_file()
        assert not (Path(scripts) / "__init__.py").exists()


def test_store_open_migrates_an_in_memory_database() -> None:
    store = Store.open("sqlite://")
    try:
        assert store.ping()
        assert store.keys() == []
    finally:
        store.close()


def test_store_open_without_migrate_leaves_the_database_empty(db_url: str) -> None:
    store = Store.open(db_url, migrate=False)
    try:
        assert inspect(store.engine).get_table_names() == []
    finally:
        store.close()


def test_a_store_at_0002_with_rows_migrates_them_into_default(db_url: str) -> None:
    with migrations_dir() as scripts:
        command.upgrade(alembic_config(db_url, scripts), "0002_event_reconcile_id")
    engine = create_engine_for(db_url)
    now = "2026-12-01 10:00:00"
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO resources (id, kind, name, spec, spec_hash, labels, annotations,"
                    " generation, resource_version, source, created_at, updated_at) VALUES"
                    " (1, 'Container', 'web', '{\"image\": \"app\"}', 'h1', '{}', '{}', 2, 3,"
                    " 'cli', :now, :now)"
                ),
                {"now": now},
            )
            connection.execute(
                text(
                    "INSERT INTO resource_status (resource_id, phase, reason, message,"
                    " conditions, observed_generation, observed, updated_at) VALUES"
                    " (1, 'Running', 'Running', '', '[]', 2, '{\"containerId\": \"abc\"}', :now)"
                ),
                {"now": now},
            )
            connection.execute(
                text(
                    "INSERT INTO events (type, reason, message, kind, name, count, first_time,"
                    " last_time) VALUES ('Normal', 'Created', 'made', 'Container', 'web', 1,"
                    " :now, :now)"
                ),
                {"now": now},
            )
            connection.execute(
                text(
                    "INSERT INTO revisions (kind, name, generation, spec, spec_hash, source,"
                    " created_at) VALUES ('Container', 'web', 2, '{}', 'h1', 'cli', :now)"
                ),
                {"now": now},
            )
    finally:
        engine.dispose()

    upgrade_to_head(db_url)

    assert _diff(db_url, metadata) == []
    store = Store.open(db_url, migrate=False)
    try:
        web = store.get("Container", "web")
        assert web is not None
        assert (web.namespace, web.generation, web.resource_version) == ("default", 2, 3)
        assert (web.status.phase, web.status.observed) == ("Running", {"containerId": "abc"})
        assert [(e.namespace, e.reason) for e in store.list_events()] == [("default", "Created")]
        assert [r.namespace for r in store.list_revisions("Container", "web")] == ["default"]
        assert store.get("Container", "web", namespace="shop") is None
    finally:
        store.close()


def test_a_postgres_url_whose_driver_is_missing_says_what_to_install() -> None:
    with pytest.raises(ValueError, match=r"dockform\[postgresql\]") as raised:
        create_engine_for("postgresql+psycopg2://dockform:secret@127.0.0.1/dockform")
    assert "secret" not in str(raised.value)
