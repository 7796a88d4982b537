"""`Store`: the repository over desired state, status, events, revisions and sources.

Everything above the store (controller, API, sources) goes through this class and gets the
pydantic models of `store.types` back. Each call runs in its own short session, so one
`Store` serves the controller's workers and the API's threads at once. Desired state is
written by `store.apply.Applier` (in sessions of this class), which tells the controller what
changed; the store itself tells nobody. SQLAlchemy's errors end here: every session turns them
into `StoreUnavailable`, or `StoreFull` when the store's disk is full (store.errors), so no
layer above needs to know SQLAlchemy.
"""

from __future__ import annotations

import builtins
import contextlib
import logging
import threading
from collections.abc import Iterator
from datetime import datetime
from typing import Protocol

from sqlalchemy import Engine, Select, delete, func, select, text, update
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from dockform.manifests.labels import is_label_key
from dockform.manifests.namespaces import DEFAULT_NAMESPACE, ObjectKey, display
from dockform.manifests.source_names import source_type
from dockform.manifests.status import EventType
from dockform.store.convert import (
    normalise_status,
    status_columns,
    to_event,
    to_resource,
    to_revision,
    to_source,
    to_status,
)
from dockform.store.db import (
    WRITE_OPTION,
    StoreLocation,
    create_engine_for,
    is_disk_full,
    is_memory_sqlite,
    read_engine_for,
)
from dockform.store.errors import StaleResourceVersion, StoreFull, StoreUnavailable
from dockform.store.orm import (
    EventRow,
    ResourceRow,
    ResourceStatusRow,
    RevisionRow,
    SourceRow,
    StoreVersionRow,
    utcnow,
)
from dockform.store.read_cache import ReadCache
from dockform.store.types import (
    Event,
    NamespaceSummary,
    Resource,
    ResourceStatus,
    Revision,
    SourceRecord,
    StatusRead,
)

log = logging.getLogger(__name__)

Key = ObjectKey

EVENT_LIMIT = 10_000
EVENT_TRIM_EVERY = 100


class Store:
    """Desired and observed state behind one engine; safe to share between threads.

    Reads take no lock. Writes run in a transaction that holds SQLite's write lock from its
    start, so concurrent writers queue on the busy timeout instead of failing.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        event_limit: int = EVENT_LIMIT,
        fence: Fence | None = None,
        read_engine: Engine | None = None,
    ) -> None:
        self._engine = engine
        # Checked at the start of every write transaction (the controller's store, when the
        # daemon leads by a lease): raises LeaseLost instead of writing for an old term.
        self._fence = fence
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        # Reads run on their own engine where that saves round trips (store.db).
        self._read_engine = read_engine or read_engine_for(engine)
        self._read_sessions = sessionmaker(self._read_engine, expire_on_commit=False)
        url = engine.url.render_as_string(hide_password=False)
        self._location = StoreLocation.from_url(url)
        # One in-memory SQLite connection is shared by every thread: take turns on it.
        memory = is_memory_sqlite(url)
        self._serial: contextlib.AbstractContextManager[object] = (
            threading.RLock() if memory else contextlib.nullcontext()
        )
        self._event_limit = event_limit
        self._event_trim_every = max(1, min(EVENT_TRIM_EVERY, event_limit // 10))
        self._event_inserts = 0
        self._event_lock = threading.Lock()
        self._data_version = _Counter()
        self._read_cache = ReadCache()
        # A database server may be written by other daemons too: nothing read can be cached.
        self._shared = engine.dialect.name != "sqlite"
        # SQLite takes one writer at a time: this daemon's writers (the applier, the
        # controller's status writes, events) wait their turn here, woken the moment it is
        # free, instead of in SQLite's busy handler, which sleeps and polls ("database is
        # locked" retries under load). The busy timeout still covers other processes.
        self._write_turn: contextlib.AbstractContextManager[object] = (
            threading.RLock() if not self._shared and not memory else contextlib.nullcontext()
        )

    @classmethod
    def open(cls, url: str, migrate: bool = True) -> Store:
        """A store on `url`, migrated to the latest schema unless `migrate` is False."""
        with translated_errors(StoreLocation.from_url(url)):
            engine = create_engine_for(url)
            if migrate:
                from dockform.store.migrate import upgrade_engine

                upgrade_engine(engine)
        return cls(engine)

    def fenced(self, fence: Fence) -> Store:
        """This store, for a writer that holds a lease: each write transaction first checks
        `fence` (inside the transaction's write lock, so no takeover can slip in between).
        Shares the engine and `data_version` with this one."""
        view = Store(
            self._engine, event_limit=self._event_limit, fence=fence, read_engine=self._read_engine
        )
        view._data_version = self._data_version
        view._serial = self._serial
        view._write_turn = self._write_turn
        return view

    @property
    def shared(self) -> bool:
        """Whether other daemons may write this store too (a database server)."""
        return self._shared

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def location(self) -> StoreLocation:
        return self._location

    def close(self) -> None:
        self._engine.dispose()
        if self._read_engine is not self._engine:
            self._read_engine.dispose()

    # --- sessions (also used by store.apply) ---------------------------------------------------

    @contextlib.contextmanager
    def read_session(self) -> Iterator[Session]:
        with translated_errors(self._location), self._serial, self._read_sessions() as session:
            yield session

    @contextlib.contextmanager
    def write_session(self, commit: bool = True, *, resources: bool = True) -> Iterator[Session]:
        """A session whose transaction holds the write lock from its first statement.

        Commits on a normal exit (rolls back instead when `commit` is False, for dry runs)
        and rolls back on an exception. `resources=False` says the transaction writes no
        resource or status row (events, source records), so `data_version` stays.
        """
        with (
            translated_errors(self._location),
            self._serial,
            self._write_turn,
            self._sessions() as session,
        ):
            session.connection(execution_options={WRITE_OPTION: True})
            try:
                if self._fence is not None:
                    self._fence.check(session)
                yield session
            except BaseException:
                session.rollback()
                raise
            if commit:
                if resources and self._shared:
                    # Other daemons read this to know their cached reads went stale.
                    session.execute(
                        update(StoreVersionRow)
                        .where(StoreVersionRow.id == 1)
                        .values(version=StoreVersionRow.version + 1)
                    )
                session.commit()
                if resources:
                    self._bump_data_version()
            else:
                session.rollback()

    def _bump_data_version(self) -> None:
        self._data_version.bump()

    @property
    def local_data_version(self) -> int | None:
        """`data_version` where reading it costs nothing (a store only this process writes),
        else None: on a shared store it is a query, which a caller saving one should skip."""
        return None if self._shared else self._data_version.value

    @property
    def data_version(self) -> int:
        """A number that grows after every committed write of resources or their status.

        Readers that cache what they read (the API's list cache) compare it: equal means
        nothing was written since. Read it *before* reading the data it guards. On a shared
        store (PostgreSQL) other daemons write too: there it is the store's own counter
        (`store_version`, raised in every such write transaction), one cheap read.
        """
        if self._shared:
            with self.read_session() as session:
                stored = session.scalar(select(StoreVersionRow.version))
            return stored if stored is not None else self._data_version.bump()
        return self._data_version.value

    # --- resources -----------------------------------------------------------------------------

    def get(self, kind: str, name: str, namespace: str = DEFAULT_NAMESPACE) -> Resource | None:
        """The resource, or None. The answer may be one handed out before (`read_cache`):
        read it, never change it."""
        version = self.local_data_version  # before the read it vouches for
        if version is None:
            return self._read(kind, name, namespace)
        key = ObjectKey(kind, namespace, name)
        kept, resource = self._read_cache.get(key, version)
        if kept:
            return resource
        resource = self._read(kind, name, namespace)
        self._read_cache.keep(key, version, resource)
        return resource

    def _read(self, kind: str, name: str, namespace: str) -> Resource | None:
        with self.read_session() as session:
            found = session.execute(
                _with_status().where(
                    ResourceRow.kind == kind,
                    ResourceRow.namespace == namespace,
                    ResourceRow.name == name,
                )
            ).first()
            return None if found is None else to_resource(found[0], found[1])

    def list(
        self,
        kind: str | None = None,
        labels: dict[str, str] | None = None,
        namespace: str | None = None,
    ) -> builtins.list[Resource]:
        """Resources sorted by kind, namespace and name; `labels` keeps those carrying every
        pair, `namespace` those of one namespace (None: every namespace)."""
        statement = _with_status().order_by(
            ResourceRow.kind, ResourceRow.namespace, ResourceRow.name
        )
        if kind is not None:
            statement = statement.where(ResourceRow.kind == kind)
        if namespace is not None:
            statement = statement.where(ResourceRow.namespace == namespace)
        wanted = (labels or {}).items()
        for key, value in wanted:
            # Manifests only accept keys of this shape, so no resource can carry another; and
            # only such keys are safe inside a JSON path.
            if not is_label_key(key):
                return []
            # Filtering in SQL spares building models for rows that do not match.
            statement = statement.where(ResourceRow.labels[key].as_string() == value)
        with self.read_session() as session:
            rows = session.execute(statement).all()
            return [
                to_resource(row, status)
                for row, status in rows
                if all(row.labels.get(key) == value for key, value in wanted)
            ]

    def keys(self) -> builtins.list[Key]:
        with self.read_session() as session:
            rows = session.execute(
                select(ResourceRow.kind, ResourceRow.namespace, ResourceRow.name).order_by(
                    ResourceRow.kind, ResourceRow.namespace, ResourceRow.name
                )
            )
            return [ObjectKey(kind, namespace, name) for kind, namespace, name in rows]

    def namespaces(self) -> builtins.list[NamespaceSummary]:
        """Every namespace that holds an object, with its objects counted by phase."""
        statement = (
            select(ResourceRow.namespace, ResourceStatusRow.phase, func.count())
            .outerjoin(ResourceStatusRow, ResourceStatusRow.resource_id == ResourceRow.id)
            .group_by(ResourceRow.namespace, ResourceStatusRow.phase)
        )
        with self.read_session() as session:
            counts: dict[str, dict[str, int]] = {}
            for namespace, phase, count in session.execute(statement):
                phases = counts.setdefault(namespace, {})
                phases[phase or "Pending"] = phases.get(phase or "Pending", 0) + count
        return [
            NamespaceSummary(
                name=name, objects=sum(phases.values()), phases=dict(sorted(phases.items()))
            )
            for name, phases in sorted(counts.items())
        ]

    def remove(
        self,
        kind: str,
        name: str,
        *,
        namespace: str = DEFAULT_NAMESPACE,
        expected_version: int | None = None,
    ) -> None:
        """Delete the row and its status (revisions stay). Absent already: nothing to do.

        The controller's last step of a deletion (it tears the object down first): the one
        write of desired state that is not `store.apply`'s, and that nobody needs to hear of.

        With `expected_version`, refuse (StaleResourceVersion) when the row changed since the
        caller read it, e.g. an apply cancelled the deletion during the teardown.
        """
        with self.write_session() as session:
            row = find_row(session, kind, name, namespace)
            if row is None:
                return
            if expected_version is not None and row.resource_version != expected_version:
                raise StaleResourceVersion(kind, name, expected_version, row.resource_version)
            session.execute(
                delete(ResourceStatusRow).where(ResourceStatusRow.resource_id == row.id)
            )
            session.delete(row)

    def write_status(
        self,
        kind: str,
        name: str,
        status: ResourceStatus,
        namespace: str = DEFAULT_NAMESPACE,
        *,
        read: StatusRead | None = None,
    ) -> bool:
        """Store `status` unless it equals the stored one; True when it was written.

        `read` is the status the caller read before it worked out this one: while nothing was
        written to the store since (`data_version` unchanged), that is the stored status, and
        an equal one is not written without asking the database again (a resync's passes
        over hundreds of unchanged objects). Only on a store this process alone writes
        (`local_data_version`).
        """
        if (
            read is not None
            and read.data_version == self.local_data_version
            and normalise_status(status, read.status, utcnow()).same_as(read.status)
        ):
            return False
        key = ObjectKey(kind, namespace, name)
        # Most reconciles change nothing: find that out without taking the write lock.
        with self.read_session() as session:
            if _status_update(session, key, status, utcnow()) is None:
                return False
        with self.write_session() as session:
            now = utcnow()
            update = _status_update(session, key, status, now)
            if update is None:
                return False
            resource_id, stored_row, new_status = update
            columns = status_columns(new_status)
            if stored_row is None:
                session.add(ResourceStatusRow(resource_id=resource_id, updated_at=now, **columns))
            else:
                for column, value in columns.items():
                    setattr(stored_row, column, value)
                stored_row.updated_at = now
        return True

    # --- events and revisions ------------------------------------------------------------------

    def record_event(
        self,
        kind: str,
        name: str,
        type: EventType,
        reason: str,
        message: str,
        *,
        namespace: str = DEFAULT_NAMESPACE,
        reconcile_id: str | None = None,
    ) -> None:
        """Add an event; a repeat of the object's latest event bumps its count instead.
        `reconcile_id` names the controller pass that recorded it."""
        now = utcnow()
        with self.write_session(resources=False) as session:
            latest = session.scalars(
                select(EventRow)
                .where(
                    EventRow.kind == kind, EventRow.namespace == namespace, EventRow.name == name
                )
                .order_by(EventRow.id.desc())
                .limit(1)
            ).first()
            if latest is not None and (latest.type, latest.reason, latest.message) == (
                type,
                reason,
                message,
            ):
                latest.count += 1
                latest.last_time = now
                latest.reconcile_id = reconcile_id or latest.reconcile_id
                return
            session.add(
                EventRow(
                    type=type,
                    reason=reason,
                    message=message,
                    kind=kind,
                    namespace=namespace,
                    name=name,
                    count=1,
                    first_time=now,
                    last_time=now,
                    reconcile_id=reconcile_id,
                )
            )
            with self._event_lock:
                inserted = self._event_inserts
                self._event_inserts += 1
            if inserted % self._event_trim_every == 0:
                self._trim_events(session)

    def _trim_events(self, session: Session) -> None:
        # Trim to a batch below the limit, so the table stays under it until the next trim.
        keep = self._event_limit - self._event_trim_every
        session.flush()
        oldest_kept = session.scalars(
            select(EventRow.id).order_by(EventRow.id.desc()).offset(max(keep - 1, 0)).limit(1)
        ).first()
        if oldest_kept is None:
            return
        cutoff = oldest_kept + 1 if keep <= 0 else oldest_kept
        session.execute(delete(EventRow).where(EventRow.id < cutoff))

    def list_events(
        self,
        kind: str | None = None,
        name: str | None = None,
        since_id: int | None = None,
        limit: int = 100,
        namespace: str | None = None,
    ) -> builtins.list[Event]:
        """Events oldest first: the latest `limit`, or the first `limit` after `since_id`;
        `namespace` None means every namespace."""
        statement = select(EventRow)
        if kind is not None:
            statement = statement.where(EventRow.kind == kind)
        if namespace is not None:
            statement = statement.where(EventRow.namespace == namespace)
        if name is not None:
            statement = statement.where(EventRow.name == name)
        if since_id is not None:
            # A follower reads forward from its cursor and must not skip any event.
            statement = statement.where(EventRow.id > since_id).order_by(EventRow.id)
        else:
            statement = statement.order_by(EventRow.id.desc())
        with self.read_session() as session:
            rows = list(session.scalars(statement.limit(limit)))
        events = [to_event(row) for row in rows]
        return events if since_id is not None else events[::-1]

    def list_revisions(
        self, kind: str, name: str, namespace: str = DEFAULT_NAMESPACE
    ) -> builtins.list[Revision]:
        with self.read_session() as session:
            rows = session.scalars(
                select(RevisionRow)
                .where(
                    RevisionRow.kind == kind,
                    RevisionRow.namespace == namespace,
                    RevisionRow.name == name,
                )
                .order_by(RevisionRow.generation)
            )
            return [to_revision(row) for row in rows]

    # --- sources -------------------------------------------------------------------------------

    def upsert_source(
        self,
        name: str,
        type: str | None = None,
        path: str | None = None,
        revision: str | None = None,
        last_applied_at: datetime | None = None,
        last_error: str | None = None,
    ) -> SourceRecord:
        """Create or update a source. See `upsert_source_row` for what None means."""
        with self.write_session(resources=False) as session:
            row = upsert_source_row(
                session, name, type, path, revision, last_applied_at, last_error
            )
            return to_source(row, _objects_of(session, name))

    def get_source(self, name: str) -> SourceRecord | None:
        with self.read_session() as session:
            row = session.get(SourceRow, name)
            objects = _objects_of(session, name)
            if row is None and not objects:
                return None
            return to_source(row or _implied_source(name), objects)

    def list_sources(self) -> builtins.list[SourceRecord]:
        """Every source: those recorded, and any that owns resources without a record."""
        with self.read_session() as session:
            rows = {row.name: row for row in session.scalars(select(SourceRow))}
            owned = session.execute(
                select(
                    ResourceRow.source, ResourceRow.kind, ResourceRow.namespace, ResourceRow.name
                ).order_by(ResourceRow.kind, ResourceRow.namespace, ResourceRow.name)
            )
            objects: dict[str, list[str]] = {}
            for source, kind, namespace, name in owned:
                objects.setdefault(source, []).append(display(kind, namespace, name))
            names = sorted(set(rows) | set(objects))
            return [
                to_source(rows.get(name) or _implied_source(name), objects.get(name, []))
                for name in names
            ]

    # --- health ------------------------------------------------------------------------------

    def ping(self) -> bool:
        try:
            with self.read_session() as session:
                return session.execute(text("SELECT 1")).scalar() == 1
        except StoreUnavailable:
            log.warning("store ping failed", exc_info=True)
            return False


class Fence(Protocol):
    def check(self, session: Session) -> None:
        """Raise LeaseLost unless the writer still holds its lease at its term."""
        ...


class _Counter:
    def __init__(self) -> None:
        self.value = 0
        self._lock = threading.Lock()

    def bump(self) -> int:
        with self._lock:
            self.value += 1
            return self.value


def upsert_source_row(
    session: Session,
    name: str,
    type: str | None,
    path: str | None,
    revision: str | None,
    last_applied_at: datetime | None,
    last_error: str | None,
) -> SourceRow:
    """Write a source record in `session`.

    `path`, `revision` and `last_applied_at` left None keep what is stored, so recording an
    error keeps the last good apply; `last_error` is always replaced (None clears it).
    `type` defaults to the prefix of `name` (`git:prod` -> `git`).
    """
    now = utcnow()
    row = session.get(SourceRow, name)
    if row is None:
        row = SourceRow(name=name, type=type or source_type(name), updated_at=now)
        session.add(row)
    elif type is not None:
        row.type = type
    if path is not None:
        row.path = path
    if revision is not None:
        row.revision = revision
    if last_applied_at is not None:
        row.last_applied_at = last_applied_at
    row.last_error = last_error
    row.updated_at = now
    session.flush()
    return row


@contextlib.contextmanager
def translated_errors(location: StoreLocation) -> Iterator[None]:
    """Turn SQLAlchemy's errors into `StoreUnavailable`, and those of a full disk (the
    driver's, or an OSError such as ENOSPC) into `StoreFull`: the store's boundary."""
    try:
        yield
    except SQLAlchemyError as error:
        # The driver's message ("database is locked") without the SQL and the link to docs.
        cause = error.orig if isinstance(error, DBAPIError) and error.orig else error
        detail = str(cause) or type(cause).__name__
        if is_disk_full(cause, location):
            raise StoreFull(location.description, detail) from error
        raise StoreUnavailable(detail) from error
    except OSError as error:
        if not is_disk_full(error, location):
            raise
        raise StoreFull(location.description, str(error)) from error


def _with_status() -> Select[ResourceRow, ResourceStatusRow | None]:
    return select(ResourceRow, ResourceStatusRow).outerjoin(
        ResourceStatusRow, ResourceStatusRow.resource_id == ResourceRow.id
    )


def find_row(
    session: Session, kind: str, name: str, namespace: str = DEFAULT_NAMESPACE
) -> ResourceRow | None:
    return session.scalars(
        select(ResourceRow).where(
            ResourceRow.kind == kind, ResourceRow.namespace == namespace, ResourceRow.name == name
        )
    ).first()


def _objects_of(session: Session, source: str) -> list[str]:
    rows = session.execute(
        select(ResourceRow.kind, ResourceRow.namespace, ResourceRow.name)
        .where(ResourceRow.source == source)
        .order_by(ResourceRow.kind, ResourceRow.namespace, ResourceRow.name)
    )
    return [display(kind, namespace, name) for kind, namespace, name in rows]


def _implied_source(name: str) -> SourceRow:
    return SourceRow(name=name, type=source_type(name))


def _status_update(
    session: Session, key: ObjectKey, status: ResourceStatus, now: datetime
) -> tuple[int, ResourceStatusRow | None, ResourceStatus] | None:
    """What `write_status` would write, or None when the row is gone or nothing changes."""
    row = find_row(session, key.kind, key.name, key.namespace)
    if row is None:
        return None
    stored_row = session.get(ResourceStatusRow, row.id)
    stored = to_status(stored_row)
    new_status = normalise_status(status, stored, now)
    if new_status.same_as(stored):
        return None
    return row.id, stored_row, new_status
