"""The reorganisations of 2025 in the demo (service/demo/reorganisation_2025.toml), applied by
the administrator through the reorganisation operations on their dates, as the demo's clock
passes them: departments merged on 1 March, the district level ended on 1 July (new communes
created under the province, the old communes merged into them, the districts dissolved with
the new commune as successor, so that a district's open work goes to it). Bắc Giang's merger
into Bắc Ninh, in the same file, is the Bắc Giang story's (service/demo/bac_giang.py). The new
communes' offices and people are loaded as the directory file's are, with the password and
second factor the demo's other users were given."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select

from service.db.models import User
from service.db.uow import UnitOfWork
from service.operations.actors import load_actor
from service.operations.directory import load_directory
from service.operations.reorganisation import create_agency, dissolve_agency, merge_agency

DATA = Path(__file__).parent / "reorganisation_2025.toml"
ADMIN = "admin"
# whose password and second factor the new communes' people get: the demo's own
LIKE = {"password": "admin", "second_factor": "thanhhoa.chutich"}


def load() -> dict[str, Any]:
    return tomllib.loads(DATA.read_text(encoding="utf-8"))


def dates() -> list[date]:
    """The days on which the demo reorganises, in order."""
    data = load()
    return sorted({e["effective"] for e in [*data["merger"], *data["commune"]]})


def apply(new_uow: Callable[[], UnitOfWork], day: date) -> list[str]:
    """Apply the reorganisations effective on `day` (`new_uow` makes a UnitOfWork on the
    demo's clock, which reads `day`); what was done, one line each."""
    data, done = load(), []
    with new_uow() as u:
        admin_id = _user_id(u, ADMIN)
    admin = load_actor(new_uow(), admin_id)
    communes = [c for c in data["commune"] if c["effective"] == day]
    for commune in communes:
        create_agency(
            new_uow(),
            admin,
            code=commune["code"],
            name=commune["name"],
            kind="commune",
            parent=commune["parent"],
            effective=day,
        )
        done.append(f"created {commune['name']}")
    if communes:
        created = {c["code"] for c in communes}
        offices = [a for a in data["agency"] if a["parent"] in created]
        codes = {a["code"] for a in offices}
        people = [p for p in data["user"] if p["agency"] in codes]
        with new_uow() as u:
            password = u.session.scalars(
                select(User.password_hash).where(User.username == LIKE["password"])
            ).one()
            second = u.session.scalars(
                select(User).where(User.username == LIKE["second_factor"])
            ).one()
            secret = second.totp_secret
        load_directory(new_uow(), {"agency": offices, "user": people}, password, secret)
        done.append(f"offices and people of {len(communes)} new communes")
    for merger in (m for m in data["merger"] if m["effective"] == day):
        merge_agency(new_uow(), admin, merger["agency"], into=merger["into"], effective=day)
        done.append(f"merged {merger['agency']} into {merger['into']}")
    for commune in communes:
        for old in commune["merged"]:
            merge_agency(new_uow(), admin, old, into=commune["code"], effective=day)
        dissolve_agency(
            new_uow(), admin, commune["district"], effective=day, successor=commune["code"]
        )
        done.append(f"{commune['district']} dissolved into {commune['code']}")
    return done


def _user_id(u: UnitOfWork, username: str) -> int:
    return int(u.session.scalars(select(User.id).where(User.username == username)).one())
