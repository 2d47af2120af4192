"""Loading the agency directory: the tree, who fills which role, and the users."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from service.db.models import Agency, RoleBinding, User, UserRole
from service.db.uow import UnitOfWork
from service.errors import Invalid
from service.permissions import Right, Role, may

LEVEL_KINDS = frozenset({"province", "district", "commune"})


def load_directory(
    uow: UnitOfWork,
    directory: dict[str, Any],
    password_hash: str,
    totp_secret: str | None = None,
) -> int:
    """Insert the agencies and users of `directory` not yet present; return how many were new.

    `directory` has `agency` entries (code, name, kind, parent, abbreviation, issuer_name,
    parent_body, head_title, collective, issuers, serves, level_roles, and valid_from: the
    day it was founded, for an office founded by a reorganisation) in parent-first order
    and `user` entries (username, full_name, title, email, agency, roles). A level is a
    province, district or commune, or an agency with `level_roles`; `serves` binds roles at
    the parent's level.
    Loading twice changes nothing; every new user gets `password_hash`,
    and, with `totp_secret` (the published demo secret), every new user who must log in with a
    second factor is enrolled with it.
    """
    with uow:
        by_code = {a.code: a for a in uow.session.scalars(select(Agency))}
        before = set(by_code)
        added = 0
        for entry in directory.get("agency", []):
            if entry["code"] in by_code:
                continue
            parent = by_code.get(entry.get("parent", ""))
            if "parent" in entry and parent is None:
                raise Invalid({"agency": {entry["code"]: ["Unknown parent."]}})
            agency = Agency(
                code=entry["code"],
                name=entry["name"],
                kind=entry["kind"],
                parent=parent,
                abbreviation=entry.get("abbreviation"),
                issuer_name=entry.get("issuer_name"),
                parent_body=entry.get("parent_body"),
                head_title=entry.get("head_title"),
                collective=entry.get("collective"),
                issuers=entry.get("issuers"),
                valid_from=entry.get("valid_from"),
            )
            uow.session.add(agency)
            uow.session.flush()
            above = None if parent is None else parent.jurisdiction_id
            is_level = agency.kind in LEVEL_KINDS or "level_roles" in entry
            agency.jurisdiction_id = agency.id if is_level else above
            bindings = [(above, role) for role in entry.get("serves", [])]
            bindings += [(agency.id, role) for role in entry.get("level_roles", [])]
            for level_id, role in bindings:
                if level_id is None:
                    raise Invalid({"agency": {entry["code"]: ["A root serves no level above it."]}})
                uow.session.add(
                    RoleBinding(jurisdiction_id=level_id, role=role, agency_id=agency.id)
                )
            by_code[agency.code] = agency
            added += 1
        new_agencies = [code for code in by_code if code not in before]
        usernames = set(uow.session.scalars(select(User.username)))
        new_users = []
        for entry in directory.get("user", []):
            if entry["username"] in usernames:
                continue
            home = by_code.get(entry["agency"])
            if home is None:
                raise Invalid({"user": {entry["username"]: ["Unknown agency."]}})
            if Role.SYSTEM in entry.get("roles", []):  # the command line's, never a user's
                raise Invalid({"user": {entry["username"]: ["No user holds the system role."]}})
            uow.session.add(
                User(
                    username=entry["username"],
                    full_name=entry["full_name"],
                    title=entry.get("title", ""),
                    email=entry.get("email"),
                    password_hash=password_hash,
                    agency=home,
                    roles=[UserRole(role=r) for r in entry.get("roles", [])],
                    totp_secret=totp_secret
                    if may(frozenset(entry.get("roles", [])), Right.SECOND_FACTOR)
                    else None,
                )
            )
            new_users.append(entry["username"])
            added += 1
        if added:  # the command line loads the directory: no user acts
            data = {"agencies": new_agencies, "users": new_users, "by": "command line"}
            uow.record("directory_loaded", None, data=data)
        uow.commit()
        return added
