"""Leases: which of several daemons on one shared store leads (reconciles), and its term.

A lease is one row: its holder, a term that grows at every change of holder, and an expiry on
the database's own clock (so hosts whose clocks differ agree). The holder renews it well
before it expires; another daemon takes it over only once it has expired, with the term
raised by one. Every step is one write transaction, and write transactions are serialised
(SQLite's write lock, PostgreSQL's advisory lock: `store.db`), so two daemons can never both
take one lease. The term is the fence: the leader's store checks it at the start of each of
its writes (`LeaseFence`), so a leader that stalled past its expiry and woke up after another
took over has every write refused (`LeaseLost`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from dockform.store.errors import LeaseLost
from dockform.store.orm import LeaseRow, as_utc, utcnow
from dockform.store.repository import Store


@dataclass(frozen=True)
class Lease:
    name: str
    holder: str
    term: int
    acquired_at: datetime
    renewed_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class LeaseAttempt:
    """What one acquire-or-renew found: whether `holder` leads now, and the lease as stored."""

    leading: bool
    lease: Lease
    # The database's clock when the attempt ran: `lease.expires_at - now` is what is left.
    now: datetime


class Leases:
    def __init__(self, store: Store) -> None:
        self._store = store

    def acquire_or_renew(self, name: str, holder: str, ttl_s: float) -> LeaseAttempt:
        """Renew `name` if `holder` holds it, take it if it is free or expired (raising its
        term), else leave it: one write transaction."""
        with self._store.write_session(resources=False) as session:
            now = database_now(session)
            row = session.get(LeaseRow, name, with_for_update=True)
            expires = now + timedelta(seconds=ttl_s)
            if row is None:
                row = LeaseRow(
                    name=name,
                    holder=holder,
                    term=1,
                    acquired_at=now,
                    renewed_at=now,
                    expires_at=expires,
                )
                session.add(row)
            elif row.holder == holder and as_utc(row.expires_at) > now:
                row.renewed_at = now
                row.expires_at = expires
            elif as_utc(row.expires_at) <= now:
                row.holder = holder
                row.term += 1
                row.acquired_at = now
                row.renewed_at = now
                row.expires_at = expires
            session.flush()
            lease = _lease(row)
        return LeaseAttempt(leading=lease.holder == holder, lease=lease, now=now)

    def release(self, name: str, holder: str, term: int) -> None:
        """Give the lease up at once (a clean stop), so a follower need not wait for expiry."""
        with self._store.write_session(resources=False) as session:
            row = session.get(LeaseRow, name, with_for_update=True)
            if row is not None and row.holder == holder and row.term == term:
                row.expires_at = database_now(session)

    def read(self, name: str) -> Lease | None:
        with self._store.read_session() as session:
            row = session.get(LeaseRow, name)
            return _lease(row) if row is not None else None


@dataclass
class LeaseFence:
    """The check a leader's store runs at the start of each write: the lease is still this
    holder's, at this term. `term` is set by the elector each time it takes the lease."""

    name: str
    holder: str
    term: int = 0

    def check(self, session: Session) -> None:
        row = session.get(LeaseRow, self.name)
        if row is None or row.holder != self.holder or row.term != self.term:
            current = f"{row.holder} at term {row.term}" if row is not None else "no holder"
            raise LeaseLost(self.name, self.holder, self.term, current)


def database_now(session: Session) -> datetime:
    """The database server's clock (PostgreSQL), or this host's for a SQLite file (which only
    this host's daemons can open)."""
    if session.get_bind().dialect.name == "postgresql":
        value = session.execute(text("SELECT clock_timestamp()")).scalar_one()
        return as_utc(value)
    return utcnow()


def _lease(row: LeaseRow) -> Lease:
    return Lease(
        name=row.name,
        holder=row.holder,
        term=row.term,
        acquired_at=as_utc(row.acquired_at),
        renewed_at=as_utc(row.renewed_at),
        expires_at=as_utc(row.expires_at),
    )
