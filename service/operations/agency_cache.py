"""The directory's agencies, kept by a web worker on PostgreSQL between changes to them, for the
signings: a document names its signer's agency, the levels and bodies it is issued for and
above, and the units it addresses, and each signing read them (a round trip or two of the
eight or nine a signing makes).

They are forgotten with the worker's actors (service.operations.actors.ActorCache): when this
process writes the directory, when a change committed anywhere is heard (PostgreSQL's
`directory_changed` notices, read from the connection's socket before each use, no round
trip), and `ttl` seconds after they were read, for whatever the notices miss. Where there are
no notices (SQLite, in process: a read costs little) or no cache, every use reads the
database, as before. The agencies are handed to the session as its own rows (`merge`, no
statement), so that what reads them by id later in the unit finds them there.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Collection
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import BindParameter, Engine, bindparam, or_, select
from sqlalchemy.orm import Session, make_transient_to_detached

from service.db.models import Agency
from service.operations.actors import ActorCache

_COLUMNS = tuple(c.key for c in Agency.__mapper__.column_attrs)
_IDS: BindParameter[list[int]] = bindparam("ids", expanding=True)
_CODES: BindParameter[list[str]] = bindparam("codes", expanding=True)
# the agencies named and the levels above them (built once: statements are immutable)
_WITH_PARENTS = select(Agency).where(
    or_(Agency.id.in_(_IDS), Agency.id.in_(select(Agency.parent_id).where(Agency.id.in_(_IDS))))
)
_BY_CODE = select(Agency).where(Agency.code.in_(_CODES))


class AgencyCache:
    """Agencies' rows by id (and code), as read; see the module."""

    def __init__(self, actors: ActorCache) -> None:
        self._actors = actors
        self._rows: dict[int, dict[str, Any]] = {}
        self._ids: dict[str, int] = {}  # by code
        self._read_at = 0.0  # monotonic: the oldest row kept
        self._generation = 0  # moves on every clear: a row read before it is not kept
        self._lock = threading.Lock()
        actors.cleared.append(self.clear)

    def clear(self) -> None:
        with self._lock:  # new dicts: a signing that took the old ones reads them whole
            self._rows, self._ids = {}, {}
            self._generation += 1

    def with_parents(self, session: Session, ids: Collection[int]) -> dict[int, Agency]:
        """The agencies `ids` and the levels directly above them, in `session`."""
        kept = self._kept(session)
        rows = {} if kept is None else kept[0]
        named = set(ids)
        above = {rows[i]["parent_id"] for i in named if i in rows} - {None}
        if not named <= rows.keys() or not above <= rows.keys():
            return self._read_and_keep(
                session, _WITH_PARENTS, {"ids": list(named)}, kept is not None
            )
        return {i: _merged(session, rows[i]) for i in named | above}

    def by_code(self, session: Session, codes: Collection[str]) -> dict[str, Agency]:
        """The agencies of `codes` (those that exist), in `session`."""
        kept = self._kept(session)
        rows, ids = ({}, {}) if kept is None else kept
        wanted = set(codes)
        if not wanted <= ids.keys():
            read = self._read_and_keep(session, _BY_CODE, {"codes": list(wanted)}, kept is not None)
            return {a.code: a for a in read.values()}
        return {code: _merged(session, rows[ids[code]]) for code in wanted}

    def _kept(self, session: Session) -> tuple[dict[int, dict[str, Any]], dict[str, int]] | None:
        """The rows kept by id, and their ids by code, once the notices that reached the
        session's connection are handled (none kept when read too long ago); None when nothing
        kept can be trusted here (no notices: SQLite, or the cache is off)."""
        if not self._actors.heard(session.connection()):
            return None
        if self._rows and time.monotonic() - self._read_at > self._actors.ttl:
            self.clear()  # (an empty one has nothing to forget: a read under way is kept)
        with self._lock:
            return self._rows, self._ids

    def _read_and_keep(
        self, session: Session, statement: Any, params: dict[str, Any], keep: bool
    ) -> dict[int, Agency]:
        generation = self._generation
        read = _read(session, statement, params)
        with self._lock:
            # kept unless the directory changed meanwhile, or is not heard from here
            if keep and generation == self._generation:
                if not self._rows:
                    self._read_at = time.monotonic()
                for agency in read.values():
                    self._rows[agency.id] = {k: getattr(agency, k) for k in _COLUMNS}
                    self._ids[agency.code] = agency.id
        return read


def _merged(session: Session, row: dict[str, Any]) -> Agency:
    """The agency of `row` as the session's own, without a statement: the one it holds, or a
    copy of the row taken in as if read."""
    held = session.identity_map.get(session.identity_key(Agency, row["id"]))
    if held is not None:
        return held  # type: ignore[no-any-return]
    agency = Agency(**row)
    make_transient_to_detached(agency)
    return session.merge(agency, load=False)


def _read(session: Session, statement: Any, params: dict[str, Any]) -> dict[int, Agency]:
    return {a.id: a for a in session.scalars(statement, params)}


_CACHES: WeakKeyDictionary[Engine, AgencyCache] = WeakKeyDictionary()


def keep_agencies(engine: Engine, actors: ActorCache) -> None:
    """Keep `engine`'s agencies in this process, forgotten with `actors` (a web worker)."""
    _CACHES[engine] = AgencyCache(actors)


def agencies_with_parents(session: Session, ids: Collection[int]) -> dict[int, Agency]:
    """The agencies `ids` and the levels directly above them: kept, or read in one statement."""
    cache = _CACHES.get(session.get_bind())  # type: ignore[arg-type]
    if cache is None:
        return _read(session, _WITH_PARENTS, {"ids": list(ids)})
    return cache.with_parents(session, ids)


def agencies_by_code(session: Session, codes: Collection[str]) -> dict[str, Agency]:
    """The agencies of `codes` that exist: kept, or read in one statement."""
    cache = _CACHES.get(session.get_bind())  # type: ignore[arg-type]
    if cache is None:
        return {a.code: a for a in _read(session, _BY_CODE, {"codes": list(codes)}).values()}
    return cache.by_code(session, codes)
