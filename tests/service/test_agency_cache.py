"""A web worker keeps the agencies its signings name, who fills which role at the levels it
starts and issues plans for, and the newest version of the processes it starts, on PostgreSQL,
and forgets them when the directory changes or a version is deployed, here or elsewhere
(service.operations.agency_cache); on SQLite each use reads them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, event, select, text

from service.db.models import Agency, ProcessDefinition, ProcessInstance
from service.db.session import make_engine, make_session_factory
from service.db.uow import UnitOfWork
from service.operations.actors import SYSTEM
from service.operations.agency_cache import (
    agencies_by_code,
    agencies_with_parents,
    below_level,
    newest_definition,
    role_bindings,
)
from service.operations.definitions import deploy
from tests.conftest import PLAN_2023, ROOT, ApiClient, render_documents
from tests.service.documents_read import docx_text
from tests.service.test_actor_cache import _notice_arrived, _postgresql
from tests.service.test_documents import CHAIRMAN, POLICE, download, to_signature

# named by the signed plan among those it informs: a body bound in the plan (read by id) and
# a unit it addresses (read by code)
AWARDS_BOARD, HEALTH = "Ban Thi đua - Khen thưởng tỉnh Thanh Hóa", "Sở Y tế tỉnh Thanh Hóa"


@contextmanager
def reads_of(app: Flask, table: str, joined: bool = False) -> Iterator[list[str]]:
    """The statements sent while the block runs that read `table` itself (`joined`: or read
    from it at all, in a subquery or a join)."""
    seen: list[str] = []

    def read(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.lstrip().startswith(f"SELECT {table}.") or (
            joined and f"FROM {table}" in statement
        ):
            seen.append(statement)

    engine = app.extensions["db_engine"]
    event.listen(engine, "before_cursor_execute", read)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", read)


def _sign(api: ApiClient) -> int:
    task = to_signature(api)
    answer = api.complete(CHAIRMAN, task, "approve")
    assert answer.status_code == 200, answer.json
    return int(answer.json["process_id"])


def _names(api: ApiClient, process_id: int) -> str:
    """The text of the process's signed plan."""
    render_documents(api.client.application)
    (doc,) = api.get(f"/api/v1/processes/{process_id}/documents", POLICE).json
    return docx_text(download(api, doc["id"], "docx"))


_RENAME = text("UPDATE agency SET name = name || ' (mới)' WHERE name IN (:board, :health)")


def test_a_second_signing_reads_no_agency_on_postgresql(app: Flask, api: ApiClient) -> None:
    _sign(api)
    task = to_signature(api)
    with reads_of(app, "agency") as reads:
        assert api.complete(CHAIRMAN, task, "approve").status_code == 200
    assert (len(reads) == 0) is _postgresql(app), reads


def test_a_rename_committed_elsewhere_names_the_next_document(
    app: Flask, api: ApiClient, database_url: str
) -> None:
    """Another worker (another engine) renames the drafting agency: this worker's next
    signing names the new name (on PostgreSQL once the commit's notice has reached it, as it
    has by the next request)."""
    first = _names(api, _sign(api))
    assert AWARDS_BOARD in first and HEALTH in first
    other = create_engine(database_url)
    try:
        with other.begin() as conn:
            conn.execute(_RENAME, {"board": AWARDS_BOARD, "health": HEALTH})
    finally:
        other.dispose()
    _notice_arrived(app)
    second = _names(api, _sign(api))
    assert f"{AWARDS_BOARD} (mới)" in second and f"{HEALTH} (mới)" in second


def test_a_rename_through_this_engine_names_the_next_document(app: Flask, api: ApiClient) -> None:
    assert AWARDS_BOARD in _names(api, _sign(api))
    with app.extensions["db_engine"].begin() as conn:
        conn.execute(_RENAME, {"board": AWARDS_BOARD, "health": HEALTH})
    second = _names(api, _sign(api))
    assert f"{AWARDS_BOARD} (mới)" in second and f"{HEALTH} (mới)" in second


def test_what_a_rolled_back_rename_let_be_read_is_forgotten(app: Flask, api: ApiClient) -> None:
    """Read after a rename in its own transaction, then rolled back: the next reader gets the
    name as committed, not the one the rolled-back transaction saw."""
    factory = app.extensions["session_factory"]
    with factory() as session:
        (board,) = agencies_by_code(session, ["thanh-hoa-ban-thi-dua-khen-thuong"]).values()
        session.expunge_all()  # what it reads next comes from the cache or the database
        session.execute(
            text("UPDATE agency SET name = name || ' (nháp)' WHERE id = :id"), {"id": board.id}
        )
        seen = agencies_with_parents(session, [board.id])[board.id]
        assert seen.name.endswith("(nháp)")  # its own write, in its transaction
        session.rollback()
    with factory() as session:
        assert agencies_with_parents(session, [board.id])[board.id].name == AWARDS_BOARD


# Who fills finance in Thường Xuân, one of the units the province's plan addresses: its own
# starts bind it, and so does the province's issuing for its unit there.
DISTRICT, DISTRICT_POLICE = "thuong-xuan", "thuongxuan.congan"
BEFORE, AFTER = "thuong-xuan-tai-chinh-ke-hoach", "thuong-xuan-noi-vu"
_REBIND = text(
    "UPDATE role_binding SET agency_id = (SELECT id FROM agency WHERE code = :to)"
    " WHERE role = 'finance' AND jurisdiction_id = (SELECT id FROM agency WHERE code = :level)"
)


def _finance(app: Flask, process_id: int) -> str:
    """The agency bound to finance in Thường Xuân by a district's plan, or by the unit there
    of the province's."""
    with app.extensions["session_factory"]() as session:
        (bindings,) = session.scalars(
            select(ProcessInstance.bindings)
            .join(Agency, Agency.id == ProcessInstance.jurisdiction_id)
            .where((ProcessInstance.id == process_id) | (ProcessInstance.parent_id == process_id))
            .where(Agency.code == DISTRICT)
        )
        return session.get_one(Agency, bindings["finance"]).code


def test_a_second_start_and_issuing_read_no_role_binding_on_postgresql(
    app: Flask, api: ApiClient
) -> None:
    api.login(CHAIRMAN)  # (a second factor's login writes the user: a directory write)
    _sign(api)  # a start and an issuing: the province's roles and its units'
    with reads_of(app, "role_binding") as reads:
        _sign(api)
    assert len(reads) == (0 if _postgresql(app) else 2), reads


@pytest.mark.parametrize("where", ["here", "elsewhere"])
def test_a_binding_changed_binds_the_next_start_and_issuing(
    app: Flask, api: ApiClient, database_url: str, where: str
) -> None:
    """Finance rebound by this worker's engine, or by another worker's (on PostgreSQL once
    the commit's notice has reached this one, as it has by the next request): the district's
    next start binds the new one, and so does the province's next issuing."""
    assert _finance(app, api.start_plan(DISTRICT_POLICE)) == BEFORE
    assert _finance(app, _sign(api)) == BEFORE
    rebind = {"level": DISTRICT, "to": AFTER}
    if where == "here":
        with app.extensions["db_engine"].begin() as conn:
            conn.execute(_REBIND, rebind)
    else:
        other = create_engine(database_url)
        try:
            with other.begin() as conn:
                conn.execute(_REBIND, rebind)
        finally:
            other.dispose()
        _notice_arrived(app)
    assert _finance(app, api.start_plan(DISTRICT_POLICE)) == AFTER
    assert _finance(app, _sign(api)) == AFTER


def test_a_binding_a_rolled_back_rebinding_let_be_read_is_forgotten(app: Flask) -> None:
    """Read after a rebinding in its own transaction, then rolled back: the next reader gets
    the binding as committed, not the one the rolled-back transaction saw."""
    factory = app.extensions["session_factory"]
    with factory() as session:
        ids = {a.code: a.id for a in session.scalars(select(Agency))}
        level = ids[DISTRICT]
        session.execute(_REBIND, {"level": DISTRICT, "to": AFTER})
        seen = role_bindings(session, [level], ["finance"])[level]
        assert seen == {"finance": ids[AFTER]}  # its own write, in its transaction
        session.rollback()
    with factory() as session:
        assert role_bindings(session, [level], ["finance"])[level] == {"finance": ids[BEFORE]}


# A police force of another province: not a unit a plan of Thanh Hóa may address, until the
# directory moves it there.
ELSEWHERE = "bac-giang-cong-an"
_MOVE = text(
    "UPDATE agency SET parent_id = (SELECT id FROM agency WHERE code = 'thanh-hoa')"
    " WHERE code = :code"
)


def _draft(api: ApiClient) -> int:
    process = api.start_plan(POLICE)
    (draft,) = api.get(f"/api/v1/tasks?process={process}", POLICE).json
    return int(draft["id"])


def _submit(api: ApiClient, draft: int, units: list[str]) -> Any:
    return api.complete(POLICE, draft, "submit", data={**PLAN_2023, "addressed_units": units})


def test_a_second_draft_reads_no_agency_to_check_its_units_on_postgresql(
    app: Flask, api: ApiClient
) -> None:
    units = PLAN_2023["addressed_units"]
    assert _submit(api, _draft(api), units).status_code == 200
    draft = _draft(api)
    with reads_of(app, "agency", joined=True) as reads:
        assert _submit(api, draft, units).status_code == 200
    assert (len(reads) == 0) is _postgresql(app), reads


@pytest.mark.parametrize("where", ["here", "elsewhere"])
def test_an_agency_moved_below_the_plan_is_a_unit_of_the_next_draft(
    app: Flask, api: ApiClient, database_url: str, where: str
) -> None:
    """A directory move made by this worker's engine or another's (on PostgreSQL once the
    commit's notice has reached this one): the next draft's check of its units sees it."""
    units = [*PLAN_2023["addressed_units"], ELSEWHERE]
    draft = _draft(api)
    refused = _submit(api, draft, units)
    assert refused.status_code == 400
    assert refused.json["codes"] == [
        {
            "code": "not_a_unit_here",
            "field": f"data.addressed_units[{len(units) - 1}]",
            "params": {},
        }
    ]
    engine = app.extensions["db_engine"] if where == "here" else create_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(_MOVE, {"code": ELSEWHERE})
    finally:
        if where != "here":
            engine.dispose()
            _notice_arrived(app)
    answer = _submit(api, draft, units)
    assert answer.status_code == 200, answer.json


def test_below_a_level_is_at_any_depth_and_an_unknown_code_is_no_agency(app: Flask) -> None:
    """A commune's office (three levels under the province) and a district lie below the
    province; the province itself, a police force of another province and a made-up code do
    not, the last not being an agency at all. Asked twice: kept on PostgreSQL, read on SQLite."""
    codes = ["thuong-xuan-tt-thuong-xuan-ubnd", "thuong-xuan", "thanh-hoa", ELSEWHERE, "no-such"]
    factory = app.extensions["session_factory"]
    for _ in range(2):
        with factory() as session:
            province = session.scalars(select(Agency.id).where(Agency.code == "thanh-hoa")).one()
            assert below_level(session, codes, province) == {
                "thuong-xuan-tt-thuong-xuan-ubnd": True,
                "thuong-xuan": True,
                "thanh-hoa": False,
                ELSEWHERE: False,
            }


# the shipped chain with its first step renamed: a second version of plan_chain
NEW_CHAIN = (
    (ROOT / "bpmn" / "plan_chain.bpmn")
    .read_bytes()
    .replace("Xây dựng kế hoạch".encode(), "Dự thảo kế hoạch".encode())
)
POLICE_LOGIN = "thanhhoa.congan"


def _version(api: ApiClient, process_id: int) -> int:
    answer = api.get(f"/api/v1/processes/{process_id}", POLICE_LOGIN)
    return int(answer.json["definition"]["version"])


def test_a_second_start_reads_no_definition_on_postgresql(app: Flask, api: ApiClient) -> None:
    api.login(POLICE_LOGIN)
    api.start_plan(POLICE_LOGIN)
    with reads_of(app, "process_definition") as reads:
        process = api.start_plan(POLICE_LOGIN)
    assert len(reads) == (0 if _postgresql(app) else 1), reads
    assert _version(api, process) == 1
    # the kept row, taken in by a session that holds none: its own, the diagram read on demand
    with app.extensions["session_factory"]() as session:
        row = newest_definition(session, "plan_chain")
        assert row is not None and session.get(ProcessDefinition, row.id) is row
        assert row.bpmn.startswith("<?xml")


@pytest.mark.parametrize("where", ["here", "elsewhere"])
def test_a_deploy_starts_the_next_process_on_the_new_version(
    app: Flask, api: ApiClient, database_url: str, where: str
) -> None:
    """A new version deployed through this worker, or by another (the command line, another
    engine; on PostgreSQL once the commit's notice has reached this one, as it has by the
    next request): the next start is on it."""
    assert _version(api, api.start_plan(POLICE_LOGIN)) == 1
    if where == "here":
        answer = api.post(
            "/api/v1/definitions?filename=plan_chain.bpmn",
            "admin",
            data=NEW_CHAIN,
            content_type="application/xml",
        )
        assert answer.status_code == 201, answer.json
    else:
        other = make_engine(database_url)
        try:
            deploy(UnitOfWork(make_session_factory(other)), SYSTEM, "plan_chain.bpmn", NEW_CHAIN)
        finally:
            other.dispose()
        _notice_arrived(app)
    assert _version(api, api.start_plan(POLICE_LOGIN)) == 2


_DEPLOY_COPY = text(
    "INSERT INTO process_definition"
    " (process_id, version, name, filename, sha256, bpmn, roles, deployed_at)"
    " SELECT process_id, version + 1, name, filename, 'rolled back', bpmn, roles, deployed_at"
    " FROM process_definition WHERE process_id = 'plan_chain'"
)


def test_a_definition_a_rolled_back_deploy_let_be_read_is_forgotten(app: Flask) -> None:
    """Read after a deploy in its own transaction, then rolled back: the next reader gets the
    version as committed, not the one the rolled-back transaction saw."""
    factory = app.extensions["session_factory"]
    with factory() as session:
        session.execute(_DEPLOY_COPY)
        seen = newest_definition(session, "plan_chain")
        assert seen is not None and seen.version == 2  # its own write, in its transaction
        session.rollback()
    with factory() as session:
        newest = newest_definition(session, "plan_chain")
        assert newest is not None and newest.version == 1
