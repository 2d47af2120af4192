"""Who is acting: a user with their agency, its level, their roles, and whom they may act for."""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Date, Engine, Integer, bindparam, event, func, select
from sqlalchemy.orm import joinedload

from service.db.models import Agency, Delegation, User, UserRole
from service.db.notices import DirectoryNotices
from service.db.uow import UnitOfWork
from service.errors import Unauthorized
from service.permissions import HEAD_ROLE, Right, Role, may
from workflows.calendar import local_day

# How an agency's head and deputy are titled on a signature, by the agency's kind.
HEAD_TITLES = {
    "committee": ("CHỦ TỊCH", "PHÓ CHỦ TỊCH"),
    "department": ("GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"),
}
OTHER_HEAD = ("THỦ TRƯỞNG", "PHÓ THỦ TRƯỞNG")


@dataclass(frozen=True)
class Grant:
    """A right to act in `role` for `agency_id` on someone else's behalf."""

    agency_id: int
    role: str
    on_behalf_of_id: int | None  # the leader; None for a deputy's standing right
    mark: str  # what the record reads: "KT. CHỦ TỊCH / PHÓ CHỦ TỊCH", "TUQ. CHỦ TỊCH"


@dataclass(frozen=True)
class Actor:
    user_id: int
    username: str
    full_name: str
    agency_id: int
    agency_name: str
    jurisdiction_id: int | None
    roles: frozenset[str]
    grants: tuple[Grant, ...] = ()
    # The levels an overseer (supervisor, auditor, admin) watches: their agency's own and the
    # one it sits in (the provincial People's Committee office is a level of its own, for the
    # plans it drafts, and sits in the province).
    overseen: frozenset[int] = frozenset()
    session_epoch: int = 0  # sessions and tokens of an older epoch are ended
    otp_enrolled: bool = False
    delegations: frozenset[int] = frozenset()  # the ids of those in force: ActorCache compares

    @property
    def needs_second_factor(self) -> bool:
        return self.otp_enrolled or may(self, Right.SECOND_FACTOR)

    def duties(self) -> set[tuple[int, str]]:
        """Every (agency, role) whose tasks the actor may act on, own or granted."""
        return {(self.agency_id, r) for r in self.roles} | {
            (g.agency_id, g.role) for g in self.grants
        }


@dataclass(frozen=True)
class SystemActor:
    """The command line and the scheduler: no user, no agency. Its rights are those of
    `Role.SYSTEM` in the rights table; its events carry no user and read "by": its name."""

    username: str = "command line"
    roles: frozenset[str] = frozenset({Role.SYSTEM})
    user_id: None = None
    agency_id: None = None


# The command line needs no user: `deploy-diagrams` runs at set-up before any user exists, and
# the scheduler signs checkpoints unattended.
SYSTEM = SystemActor()


@lru_cache(maxsize=1)
def password_hasher() -> PasswordHasher:
    return PasswordHasher()


@cache
def _unknown_user_hash() -> str:
    return password_hasher().hash(secrets.token_urlsafe())


def active_user(uow: UnitOfWork, **where: object) -> User | None:
    query = (
        select(User)
        .filter_by(active=True, **where)
        .options(  # one round trip per request
            joinedload(User.roles), joinedload(User.agency).joinedload(Agency.parent)
        )
    )
    return uow.session.scalars(query).unique().one_or_none()


def actor_of(uow: UnitOfWork, user: User) -> Actor:
    roles = frozenset(r.role for r in user.roles)
    grants: list[Grant] = []
    if may(roles, Right.DEPUTIZE):
        head, deputy = HEAD_TITLES.get(user.agency.kind, OTHER_HEAD)
        grants.append(Grant(user.agency_id, HEAD_ROLE, None, f"KT. {head} / {deputy}"))
    if may(roles, Right.SIGN_BY_ORDER):
        grants += _by_order(uow, user)
    delegated, delegations = _delegated(uow, user, local_day(uow.now()))
    grants += delegated
    above = None if user.agency.parent is None else user.agency.parent.jurisdiction_id
    return Actor(
        user_id=user.id,
        username=user.username,
        full_name=user.full_name,
        agency_id=user.agency_id,
        agency_name=user.agency.name,
        jurisdiction_id=user.agency.jurisdiction_id,
        roles=roles,
        grants=tuple(grants),
        overseen=frozenset(j for j in (user.agency.jurisdiction_id, above) if j is not None),
        session_epoch=user.session_epoch,
        otp_enrolled=user.totp_enrolled,
        delegations=delegations,
    )


def _by_order(uow: UnitOfWork, user: User) -> list[Grant]:
    """Thừa lệnh (Nghị định 30): the chief of a committee's office signs what its head assigns
    him, "TL. CHỦ TỊCH / CHÁNH VĂN PHÒNG": the committee's tasks of its head, as a standing
    rule like a deputy's. The committee is the one his office sits beside."""
    committee = uow.session.scalars(
        select(Agency).filter_by(parent_id=user.agency.parent_id, kind="committee")
    ).first()
    if committee is None or user.agency.parent_id is None:
        return []
    head = HEAD_TITLES["committee"][0]
    own = user.agency.head_title or HEAD_TITLES.get(user.agency.kind, OTHER_HEAD)[0]
    return [Grant(committee.id, HEAD_ROLE, None, f"TL. {head} / {own}")]


def _delegated(uow: UnitOfWork, user: User, today: date) -> tuple[list[Grant], frozenset[int]]:
    """The grants of leaders who named this user their substitute for today, and the ids of
    those delegations."""
    rows = uow.session.execute(
        select(Delegation.kind, User.id, User.agency_id, Agency.kind, UserRole.role, Delegation.id)
        .join(User, User.id == Delegation.grantor_id)
        .join(Agency, Agency.id == User.agency_id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(
            Delegation.substitute_id == user.id,
            Delegation.starts <= today,
            Delegation.ends >= today,
            Delegation.revoked_at.is_(None),
        )
    )
    grants, ids = [], set()
    for kind, grantor_id, agency_id, agency_kind, role, delegation_id in rows:
        head = HEAD_TITLES.get(agency_kind, OTHER_HEAD)[0]
        mark = f"{kind}. {head}" + (f" / {user.title.upper()}" if user.title else "")
        grants.append(Grant(agency_id, role, grantor_id, mark))
        ids.add(delegation_id)
    return grants, frozenset(ids)


def authenticate(uow: UnitOfWork, username: str, password: str) -> Actor:
    """The actor for a username and password; the same 401 whichever of the two is wrong."""
    with uow:
        user = active_user(uow, username=username)
        try:
            # an unknown name costs the same Argon2 check as a wrong password: the answer's
            # time must not tell which usernames exist
            password_hasher().verify(
                _unknown_user_hash() if user is None else user.password_hash, password
            )
            if user is None:
                raise VerificationError
        except (VerificationError, InvalidHashError) as err:
            raise Unauthorized("bad_credentials", "Wrong username or password.") from err
        return actor_of(uow, user)


def users_with_password(uow: UnitOfWork, password: str) -> list[str]:
    """Active users whose password is `password`: one Argon2 check per distinct hash (the
    demo directory shares one), so it costs about a tenth of a second per user otherwise."""
    with uow:
        by_hash: dict[str, list[str]] = {}
        for username, hashed in uow.session.execute(
            select(User.username, User.password_hash).filter_by(active=True)
        ):
            by_hash.setdefault(hashed, []).append(username)
    found = []
    for hashed, usernames in by_hash.items():
        try:
            password_hasher().verify(hashed, password)
        except (VerificationError, InvalidHashError):
            continue
        found += usernames
    return sorted(found)


def load_actor(uow: UnitOfWork, user_id: int, session_epoch: int | None = None) -> Actor:
    """The actor behind a token or session of `session_epoch` (None: no session, a command
    acting in process); 401 once the user is disabled or gone, or the epoch has moved on since
    the session was issued."""
    with uow:
        user = active_user(uow, id=user_id)
        if user is None:
            raise Unauthorized("user_inactive", "This account no longer exists or is disabled.")
        if session_epoch is not None and user.session_epoch != session_epoch:
            raise Unauthorized("session_ended", "This session has ended; please log in again.")
        return actor_of(uow, user)


# A write to one of these tables may change an actor (their user, roles, agency or grants) or
# what is kept with them (service.operations.agency_cache: agencies, the roles each fills, the
# newest version of each process); on PostgreSQL each notifies the other processes
# (migrations 0030, 0033, 0034).
_DIRECTORY_WRITE = re.compile(
    r"^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?"
    r"(?:user_account|user_role|agency|delegation|role_binding|process_definition)\b",
    re.IGNORECASE,
)


class ActorCache:
    """Actors by (user, session epoch, day), kept `ttl` seconds so that a client's run of
    requests loads its actor once (two statements and most of a short request's Python).

    Disabling a user, ending their sessions (logout, new roles, a new password) and giving or
    revoking a delegation take effect at the next request in every process:
    - this process forgets every actor when it commits a write to the directory's tables;
    - on PostgreSQL, so do the others, when that commit's notice reaches them
      (service.db.notices): a request reads its connection's socket, not the database;
    - on SQLite, every request reads, in one light statement, the user's session epoch (gone
      once disabled) and the delegations they hold today (how many, the newest).
    Whatever the notices miss (a pooler that does not pass them on) is forgotten after `ttl`
    seconds, as is what the light read does not see (names, the roles of whoever delegated, an
    office chief's standing right after a reorganisation). `ttl` 0: no cache."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._actors: dict[tuple[int, int | None, date], tuple[datetime, Actor]] = {}
        self._lock = threading.Lock()
        self._generation = 0  # moves on every clear: an actor read before it is not kept
        self._notices: DirectoryNotices | None = None  # PostgreSQL's, once watching
        self.cleared: list[Callable[[], None]] = []  # what else forgets with it (agency_cache)

    def watch(self, engine: Engine) -> None:
        """Forget every actor when a transaction on `engine` that wrote the directory commits
        (and when the statement runs: a request racing the commit must not keep the old one)."""

        def seen(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if _DIRECTORY_WRITE.match(statement):
                conn.info["directory_written"] = True
                self.clear()

        def committed(conn: Any) -> None:
            if conn.info.pop("directory_written", False):
                self.clear()

        def rolled_back(conn: Any) -> None:
            # an invalidated connection (the database went away) has nothing to forget, and
            # reading its info would try to reconnect inside the rollback: a 500, not a 503;
            # what was read after the write, in its transaction, is forgotten with it
            if not conn.invalidated and conn.info.pop("directory_written", False):
                self.clear()

        event.listen(engine, "after_cursor_execute", seen)
        event.listen(engine, "commit", committed)
        event.listen(engine, "rollback", rolled_back)
        if engine.dialect.name == "postgresql":
            self._notices = DirectoryNotices(engine, self.clear)

    def clear(self) -> None:
        with self._lock:
            self._actors.clear()
            self._generation += 1
        for also in self.cleared:
            also()

    def heard(self, connection: Connection) -> bool:
        """Whatever the directory's notices that reached `connection` said is forgotten; False
        where there are none to hear (SQLite, no cache): the directory must be read."""
        return self.ttl > 0 and self._notices is not None and self._notices.heard(connection)

    def load(self, uow: UnitOfWork, user_id: int, session_epoch: int | None) -> Actor:
        """`load_actor`, from the cache while it is fresh (by the unit's clock: tests that hold
        time hold the cache, and one that moves it past `ttl` sees a fresh load)."""
        if self.ttl <= 0:
            return load_actor(uow, user_id, session_epoch)
        now = uow.now()
        day = local_day(now)
        key = (user_id, session_epoch, day)  # delegations run by the day
        kept = self._actors.get(key)
        if kept is not None and timedelta(0) <= now - kept[0] < timedelta(seconds=self.ttl):
            # a notice heard empties the cache: then `kept` is no longer there
            if self._unchanged(uow, user_id, day, kept[1]) and self._actors.get(key) is kept:
                return kept[1]
        generation = self._generation
        actor = load_actor(uow, user_id, session_epoch)  # 401s are never kept
        with self._lock:
            if generation != self._generation:  # the directory changed while we read it
                return actor
            if len(self._actors) > 10_000:  # many callers at once: start afresh, stay small
                self._actors.clear()
            self._actors[key] = (now, actor)
        return actor

    def _unchanged(self, uow: UnitOfWork, user_id: int, day: date, actor: Actor) -> bool:
        """Whether what `actor` was read from may still hold: the notices that have come in
        are handled (PostgreSQL), else the light read agrees with it."""
        if self._notices is not None:
            with uow.connection() as connection:
                if self.heard(connection):
                    return True
        return _live(uow, user_id, day) == _fingerprint(actor)


def _fingerprint(actor: Actor) -> tuple[int, int, int]:
    """What `_live` reads, as the actor was loaded (a miss costs no extra statement)."""
    return (actor.session_epoch, len(actor.delegations), max(actor.delegations, default=0))


def _live_query() -> Any:
    """`_live`'s statement, built once: SQLAlchemy then keys its compiled form by this object
    (building and keying the statement anew cost more than running it)."""
    user_id = bindparam("user_id", type_=Integer)
    today = bindparam("today", type_=Date)
    held = (
        Delegation.substitute_id == user_id,
        Delegation.starts <= today,
        Delegation.ends >= today,
        Delegation.revoked_at.is_(None),
    )
    count = select(func.count()).where(*held).scalar_subquery()
    newest = select(func.coalesce(func.max(Delegation.id), 0)).where(*held).scalar_subquery()
    return select(User.session_epoch, count, newest).where(User.id == user_id, User.active)


_LIVE = _live_query()


def _live(uow: UnitOfWork, user_id: int, today: date) -> tuple[int, int, int] | None:
    """What must never be stale, in one light read: the user's session epoch (None once
    disabled), and how many delegations they hold today and the newest (a revocation lowers
    the one, a new grant raises the other)."""
    with uow.connection() as connection:  # a Core row: no Session, no ORM work per result
        row = connection.execute(_LIVE, {"user_id": user_id, "today": today}).one_or_none()
    return None if row is None else (row[0], row[1], row[2])
