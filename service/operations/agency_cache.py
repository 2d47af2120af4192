"""The directory's agencies, who fills which role at each level, and the newest deployed
version of each process, kept by a web worker on PostgreSQL between changes to them. A signing
names its signer's agency, the levels and bodies it is issued for and above, and the units it
addresses; a drafted plan's units must lie below its level; a start binds its diagram's roles
to the agencies that fill them at the starter's level, on the process's newest version, and a
plan's issuing those of each unit's level: each read was a round trip of the handful such a
request makes.

They are forgotten with the worker's actors (service.operations.actors.ActorCache): when this
process writes the directory, when a change committed anywhere is heard (PostgreSQL's
`directory_changed` notices, read from the connection's socket before each use, no round
trip), and `ttl` seconds after they were read, for whatever the notices miss; a deploy writes
process_definition, so it is heard as a change too. Where there are no notices (SQLite, in
process: a read costs little) or no cache, every use reads the database, as before. The
agencies and definitions are handed to the session as its own rows (`merge`, no statement),
so that what reads them by id later in the unit (an instance's `definition`) finds them there.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, NamedTuple, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import BindParameter, Engine, Select, bindparam, or_, select
from sqlalchemy.orm import Session, make_transient_to_detached

from service.db.base import Base
from service.db.models import Agency, ProcessDefinition, RoleBinding
from service.operations.actors import ActorCache

_COLUMNS = tuple(c.key for c in Agency.__mapper__.column_attrs)
_IDS: BindParameter[list[int]] = bindparam("ids", expanding=True)
_CODES: BindParameter[list[str]] = bindparam("codes", expanding=True)
_LEVELS: BindParameter[list[int]] = bindparam("levels", expanding=True)
# the agencies named and the levels above them (built once: statements are immutable)
_WITH_PARENTS = select(Agency).where(
    or_(Agency.id.in_(_IDS), Agency.id.in_(select(Agency.parent_id).where(Agency.id.in_(_IDS))))
)
_BY_CODE = select(Agency).where(Agency.code.in_(_CODES))


def _with_ancestors(*columns: Any) -> Select[Any]:
    # the agencies named and every level above them, walked in the database: one round trip
    up = select(Agency.id).where(Agency.code.in_(_CODES)).cte("up", recursive=True)
    up = up.union_all(
        select(Agency.parent_id).join(up, Agency.id == up.c.id).where(Agency.parent_id.is_not(None))
    )
    return select(*columns).where(Agency.id.in_(select(up.c.id)))


_WITH_ANCESTORS = _with_ancestors(Agency)  # whole rows, to keep
_ANCESTRY = _with_ancestors(Agency.id, Agency.code, Agency.parent_id)  # where none are kept
_BINDINGS = select(RoleBinding.jurisdiction_id, RoleBinding.role, RoleBinding.agency_id).where(
    RoleBinding.jurisdiction_id.in_(_LEVELS)
)
# a definition's row as read, without the diagram's text (deferred: loaded if ever needed)
_DEFINITION_COLUMNS = tuple(
    c.key for c in ProcessDefinition.__mapper__.column_attrs if not c.deferred
)
_NEWEST = (
    select(ProcessDefinition)
    .where(ProcessDefinition.process_id == bindparam("process_id"))
    .order_by(ProcessDefinition.version.desc())
    .limit(1)
)

_T = TypeVar("_T")
_Row = TypeVar("_Row", bound=Base)


class _Link(NamedTuple):
    """An agency as a walk up the directory reads it."""

    code: str
    parent_id: int | None


@dataclass
class _Kept:
    """What is kept between two clears. A clear swaps in a new one: a request that took the
    old one reads it whole."""

    rows: dict[int, dict[str, Any]] = field(default_factory=dict)  # agencies' rows by id
    ids: dict[str, int] = field(default_factory=dict)  # their ids by code
    bindings: dict[int, dict[str, int]] = field(default_factory=dict)  # by level: role → agency
    newest: dict[str, dict[str, Any]] = field(default_factory=dict)  # definitions' by process

    def empty(self) -> bool:
        return not self.rows and not self.bindings and not self.newest

    def add_agencies(self, agencies: Mapping[int, Agency]) -> None:
        for agency in agencies.values():
            self.rows[agency.id] = {k: getattr(agency, k) for k in _COLUMNS}
            self.ids[agency.code] = agency.id

    def add_bindings(self, bindings: Mapping[int, dict[str, int]]) -> None:
        self.bindings.update(bindings)

    def add_newest(self, row: ProcessDefinition | None) -> None:
        if row is not None:  # (none deployed: a refusal, read again each time)
            self.newest[row.process_id] = {k: getattr(row, k) for k in _DEFINITION_COLUMNS}


class AgencyCache:
    """Agencies' rows by id (and code), the roles filled at each level, and each process's
    newest definition, as read; see the module."""

    def __init__(self, actors: ActorCache) -> None:
        self._actors = actors
        self._kept = _Kept()
        self._read_at = 0.0  # monotonic: the oldest thing kept
        self._generation = 0  # moves on every clear: what was read before it is not kept
        self._lock = threading.Lock()
        actors.cleared.append(self.clear)

    def clear(self) -> None:
        with self._lock:
            self._kept = _Kept()
            self._generation += 1

    def with_parents(self, session: Session, ids: Collection[int]) -> dict[int, Agency]:
        """The agencies `ids` and the levels directly above them, in `session`."""
        kept = self._trusted(session)
        rows = {} if kept is None else kept.rows
        named = set(ids)
        above = {rows[i]["parent_id"] for i in named if i in rows} - {None}
        if not named <= rows.keys() or not above <= rows.keys():
            read = partial(_agencies, session, _WITH_PARENTS, {"ids": list(named)})
            return self._read_and_keep(read, _Kept.add_agencies, kept is not None)
        return {i: _merged(session, Agency, rows[i]) for i in named | above}

    def by_code(self, session: Session, codes: Collection[str]) -> dict[str, Agency]:
        """The agencies of `codes` (those that exist), in `session`."""
        kept = self._trusted(session)
        rows, ids = ({}, {}) if kept is None else (kept.rows, kept.ids)
        wanted = set(codes)
        if not wanted <= ids.keys():
            read = partial(_agencies, session, _BY_CODE, {"codes": list(wanted)})
            found = self._read_and_keep(read, _Kept.add_agencies, kept is not None)
            return {a.code: a for a in found.values()}
        return {code: _merged(session, Agency, rows[ids[code]]) for code in wanted}

    def ancestry(self, session: Session, codes: Collection[str]) -> dict[int, _Link]:
        """The agencies of `codes` (those that exist) and every level above them."""
        kept = self._trusted(session)
        links = None if kept is None else _walk_up(kept, codes)
        if links is None:
            read = partial(_agencies, session, _WITH_ANCESTORS, {"codes": list(codes)})
            found = self._read_and_keep(read, _Kept.add_agencies, kept is not None)
            links = {a.id: _Link(a.code, a.parent_id) for a in found.values()}
        return links

    def bindings(
        self, session: Session, levels: Collection[int]
    ) -> Mapping[int, Mapping[str, int]]:
        """Who fills which role at each of `levels` (what is kept: not to be changed)."""
        kept = self._trusted(session)
        wanted = set(levels)
        if kept is None or not wanted <= kept.bindings.keys():
            read = partial(_bindings, session, wanted)
            return self._read_and_keep(read, _Kept.add_bindings, kept is not None)
        return {level: kept.bindings[level] for level in wanted}

    def newest(self, session: Session, process_id: str) -> ProcessDefinition | None:
        """The newest deployed version of `process_id`, in `session`."""
        kept = self._trusted(session)
        row = None if kept is None else kept.newest.get(process_id)
        if row is None:
            read = partial(_newest, session, process_id)
            return self._read_and_keep(read, _Kept.add_newest, kept is not None)
        return _merged(session, ProcessDefinition, row)

    def _trusted(self, session: Session) -> _Kept | None:
        """What is kept, once the notices that reached the session's connection are handled
        (nothing, when read too long ago); None when nothing kept can be trusted here (no
        notices: SQLite, or the cache is off)."""
        if not self._actors.heard(session.connection()):
            return None
        if not self._kept.empty() and time.monotonic() - self._read_at > self._actors.ttl:
            self.clear()  # (an empty one has nothing to forget: a read under way is kept)
        with self._lock:
            return self._kept

    def _read_and_keep(
        self, read: Callable[[], _T], keep: Callable[[_Kept, _T], None], trusted: bool
    ) -> _T:
        generation = self._generation
        found = read()
        with self._lock:
            # kept unless the directory changed meanwhile, or is not heard from here
            if trusted and generation == self._generation:
                if self._kept.empty():
                    self._read_at = time.monotonic()
                keep(self._kept, found)
        return found


def _walk_up(kept: _Kept, codes: Collection[str]) -> dict[int, _Link] | None:
    """The kept agencies of `codes` and every level above them; None when one is not kept."""
    links: dict[int, _Link] = {}
    for code in codes:
        node = kept.ids.get(code)
        if node is None:
            return None
        while node is not None and node not in links:
            row = kept.rows.get(node)
            if row is None:
                return None
            links[node] = _Link(row["code"], row["parent_id"])
            node = row["parent_id"]
    return links


def _merged(session: Session, model: type[_Row], row: dict[str, Any]) -> _Row:
    """The `model` of `row` as the session's own, without a statement: the one it holds, or a
    copy of the row taken in as if read."""
    held = session.identity_map.get(session.identity_key(model, row["id"]))
    if held is not None:
        return held  # type: ignore[no-any-return]
    copy = model(**row)
    make_transient_to_detached(copy)
    return session.merge(copy, load=False)


def _agencies(session: Session, statement: Any, params: dict[str, Any]) -> dict[int, Agency]:
    return {a.id: a for a in session.scalars(statement, params)}


def _newest(session: Session, process_id: str) -> ProcessDefinition | None:
    return session.scalars(_NEWEST, {"process_id": process_id}).one_or_none()


def _bindings(session: Session, levels: Collection[int]) -> dict[int, dict[str, int]]:
    """Who fills which role at each of `levels` (none bound at a level: no roles)."""
    found: dict[int, dict[str, int]] = {level: {} for level in levels}
    for level, role, agency_id in session.execute(_BINDINGS, {"levels": list(levels)}):
        found[level][role] = agency_id
    return found


_CACHES: WeakKeyDictionary[Engine, AgencyCache] = WeakKeyDictionary()


def keep_agencies(engine: Engine, actors: ActorCache) -> None:
    """Keep `engine`'s agencies, their roles and the newest definitions in this process,
    forgotten with `actors` (a web worker)."""
    _CACHES[engine] = AgencyCache(actors)


def agencies_with_parents(session: Session, ids: Collection[int]) -> dict[int, Agency]:
    """The agencies `ids` and the levels directly above them: kept, or read in one statement."""
    cache = _CACHES.get(session.get_bind())  # type: ignore[arg-type]
    if cache is None:
        return _agencies(session, _WITH_PARENTS, {"ids": list(ids)})
    return cache.with_parents(session, ids)


def agencies_by_code(session: Session, codes: Collection[str]) -> dict[str, Agency]:
    """The agencies of `codes` that exist: kept, or read in one statement."""
    cache = _CACHES.get(session.get_bind())  # type: ignore[arg-type]
    if cache is None:
        return {a.code: a for a in _agencies(session, _BY_CODE, {"codes": list(codes)}).values()}
    return cache.by_code(session, codes)


def role_bindings(
    session: Session, levels: Collection[int], roles: Collection[str]
) -> dict[int, dict[str, int]]:
    """The agency that fills each of `roles` at each of `levels` (jurisdictions), where one
    does: kept, or read in one statement."""
    cache = _CACHES.get(session.get_bind())  # type: ignore[arg-type]
    filled = _bindings(session, levels) if cache is None else cache.bindings(session, levels)
    return {
        level: {role: agency for role, agency in bound.items() if role in roles}
        for level, bound in filled.items()
    }


def newest_definition(session: Session, process_id: str) -> ProcessDefinition | None:
    """The newest deployed version of `process_id` (None: none is): kept, or read in one
    statement."""
    cache = _CACHES.get(session.get_bind())  # type: ignore[arg-type]
    return _newest(session, process_id) if cache is None else cache.newest(session, process_id)


def below_level(session: Session, codes: Collection[str], level: int) -> dict[str, bool]:
    """Of the agencies `codes` names, which lie below `level` (a code not in it: no such
    agency): the directory above them kept, or read in one statement."""
    cache = _CACHES.get(session.get_bind())  # type: ignore[arg-type]
    named = set(codes)
    if cache is None:
        read = session.execute(_ANCESTRY, {"codes": list(named)})
        links = {id_: _Link(code, parent_id) for id_, code, parent_id in read}
    else:
        links = cache.ancestry(session, named)
    below = {}
    for agency in links.values():
        if agency.code not in named:
            continue
        node, seen = agency.parent_id, set()
        while node is not None and node != level and node in links and node not in seen:
            seen.add(node)
            node = links[node].parent_id
        below[agency.code] = node == level
    return below
