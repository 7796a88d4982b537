"""SQLAlchemy models of the store's tables: the schema, and nothing that leaves `store/`.

`store.repository` and `store.apply` read and write these rows and hand out the pydantic
models of `store.types` instead. The migrations under `alembic/versions` create exactly these
tables; `tests/unit/store/test_migrations.py` checks that the two agree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from dockform.manifests import source_names
from dockform.manifests.namespaces import DEFAULT_NAMESPACE

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

KIND_LENGTH = 64
NAME_LENGTH = 255
SOURCE_LENGTH = source_names.MAX_LENGTH
HASH_LENGTH = 128


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """`value` as an aware UTC datetime; a naive value is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always read back timezone-aware.

    SQLite keeps no offset, so a naive UTC value is written and the offset put back on read;
    PostgreSQL gets a `timestamptz` and the value is converted to UTC on read.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        utc = as_utc(value)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


def _namespace_column() -> Mapped[str]:
    # Rows written before namespaces existed belong to `default` (migration 0004).
    return mapped_column(
        String(NAME_LENGTH),
        default=DEFAULT_NAMESPACE,
        server_default=text(f"'{DEFAULT_NAMESPACE}'"),
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ResourceRow(Base):
    """Desired state of one object: what was applied, by which source, at which version."""

    __tablename__ = "resources"
    __table_args__ = (
        UniqueConstraint("kind", "namespace", "name"),
        Index("ix_resources_source", "source"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(KIND_LENGTH))
    namespace: Mapped[str] = mapped_column(
        String(NAME_LENGTH), server_default=text(f"'{DEFAULT_NAMESPACE}'")
    )
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    spec_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    labels: Mapped[dict[str, Any]] = mapped_column(JSON)
    annotations: Mapped[dict[str, Any]] = mapped_column(JSON)
    generation: Mapped[int] = mapped_column(Integer)
    resource_version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(SOURCE_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deletion_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Set by a rollback: what keeps the source from overwriting it (see store.types.Pin).
    pin: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class ResourceStatusRow(Base):
    """Observed state of one resource, written by the controller only."""

    __tablename__ = "resource_status"

    resource_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True
    )
    phase: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(255))
    message: Mapped[str] = mapped_column(Text)
    conditions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    observed_generation: Mapped[int] = mapped_column(Integer)
    observed: Mapped[dict[str, Any]] = mapped_column(JSON)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    next_retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class EventRow(Base):
    """One event about an object; repeats of the latest one bump `count` instead."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_kind_namespace_name", "kind", "namespace", "name"),
        Index("ix_events_last_time", "last_time"),
        # Ids never go back after the oldest rows are trimmed, so `since_id` stays a cursor.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    type: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(255))
    message: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(KIND_LENGTH))
    namespace: Mapped[str] = mapped_column(
        String(NAME_LENGTH), server_default=text(f"'{DEFAULT_NAMESPACE}'")
    )
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    count: Mapped[int] = mapped_column(Integer)
    first_time: Mapped[datetime] = mapped_column(UTCDateTime())
    last_time: Mapped[datetime] = mapped_column(UTCDateTime())
    # The controller pass that recorded it (the latest, for a repeated event); also in logs.
    reconcile_id: Mapped[str | None] = mapped_column(String(32), nullable=True)


class RevisionRow(Base):
    """Every applied spec, one per generation; kept after the resource is removed."""

    __tablename__ = "revisions"
    __table_args__ = (UniqueConstraint("kind", "namespace", "name", "generation"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(KIND_LENGTH))
    namespace: Mapped[str] = mapped_column(
        String(NAME_LENGTH), server_default=text(f"'{DEFAULT_NAMESPACE}'")
    )
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    generation: Mapped[int] = mapped_column(Integer)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    spec_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    source: Mapped[str] = mapped_column(String(SOURCE_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SourceRow(Base):
    """A manifest source (`cli`, `dir:<file>`, `git:<name>`) and how its last apply went."""

    __tablename__ = "sources"

    name: Mapped[str] = mapped_column(String(SOURCE_LENGTH), primary_key=True)
    type: Mapped[str] = mapped_column(String(16))
    path: Mapped[str | None] = mapped_column(Text, nullable=True)
    revision: Mapped[str | None] = mapped_column(String(HASH_LENGTH), nullable=True)
    last_applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LeaseRow(Base):
    """Who leads: one row per lease name, taken over by raising `term` once it expired.

    `expires_at` is on the database's clock, so daemons on hosts whose clocks differ agree.
    """

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(NAME_LENGTH), primary_key=True)
    holder: Mapped[str] = mapped_column(String(NAME_LENGTH))
    term: Mapped[int] = mapped_column(Integer)
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime())
    renewed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class StoreVersionRow(Base):
    """One row: a number every committed write of resources or their status raises, so that
    daemons sharing the store (PostgreSQL) can tell, with one cheap read, whether anything they
    cached is stale (`Store.data_version`)."""

    __tablename__ = "store_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)


metadata = Base.metadata
