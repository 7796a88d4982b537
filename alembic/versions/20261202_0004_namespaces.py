"""namespaces: resources, events and revisions are keyed by (kind, namespace, name)

Every row that exists goes to the `default` namespace, whose Docker objects keep their bare
names: nothing on the host changes with this revision.

Revision ID: 0004_namespaces
Revises: 0003_leases
Create Date: 2026-12-02 13:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0004_namespaces"
down_revision: str | None = "0003_leases"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT = "default"


def _namespace() -> sa.Column[str]:
    return sa.Column(
        "namespace", sa.String(length=255), nullable=False, server_default=sa.text("'default'")
    )


def _saved_status() -> list[dict[str, object]]:
    # SQLite's batch mode copies `resources` into a new table and drops the old one; with
    # foreign keys on, that drop cascades to resource_status. Keep the rows and put them back.
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT * FROM resource_status")).mappings().all()
    return [dict(row) for row in rows]


def _restore_status(saved: list[dict[str, object]]) -> None:
    if not saved:
        return
    connection = op.get_bind()
    present = {row[0] for row in connection.execute(sa.text("SELECT resource_id FROM resource_status"))}
    missing = [row for row in saved if row["resource_id"] not in present]
    if not missing:
        return
    table = sa.table("resource_status", *(sa.column(name) for name in missing[0]))
    connection.execute(table.insert(), missing)


def upgrade() -> None:
    saved = _saved_status()
    with op.batch_alter_table("resources") as batch:
        batch.add_column(_namespace())
        batch.drop_constraint("uq_resources_kind_name", type_="unique")
        batch.create_unique_constraint(
            "uq_resources_kind_namespace_name", ["kind", "namespace", "name"]
        )
    _restore_status(saved)
    with op.batch_alter_table("events") as batch:
        batch.add_column(_namespace())
        batch.drop_index("ix_events_kind_name")
        batch.create_index("ix_events_kind_namespace_name", ["kind", "namespace", "name"])
    with op.batch_alter_table("revisions") as batch:
        batch.add_column(_namespace())
        batch.drop_constraint("uq_revisions_kind_name_generation", type_="unique")
        batch.create_unique_constraint(
            "uq_revisions_kind_namespace_name_generation",
            ["kind", "namespace", "name", "generation"],
        )


def downgrade() -> None:
    # Objects of other namespaces have no place in the old schema.
    for table in ("resources", "events", "revisions"):
        op.execute(sa.text(f"DELETE FROM {table} WHERE namespace != '{DEFAULT}'"))
    with op.batch_alter_table("revisions") as batch:
        batch.drop_constraint("uq_revisions_kind_namespace_name_generation", type_="unique")
        batch.create_unique_constraint(
            "uq_revisions_kind_name_generation", ["kind", "name", "generation"]
        )
        batch.drop_column("namespace")
    with op.batch_alter_table("events") as batch:
        batch.drop_index("ix_events_kind_namespace_name")
        batch.create_index("ix_events_kind_name", ["kind", "name"])
        batch.drop_column("namespace")
    saved = _saved_status()
    with op.batch_alter_table("resources") as batch:
        batch.drop_constraint("uq_resources_kind_namespace_name", type_="unique")
        batch.create_unique_constraint("uq_resources_kind_name", ["kind", "name"])
        batch.drop_column("namespace")
    _restore_status(saved)
