"""A web worker keeps the agencies its signings name, on PostgreSQL, and forgets them when the
directory changes, here or elsewhere (service.operations.agency_cache); on SQLite a signing
reads them each time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from sqlalchemy import create_engine, event, text

from service.operations.agency_cache import agencies_by_code, agencies_with_parents
from tests.conftest import ApiClient, render_documents
from tests.service.documents_read import docx_text
from tests.service.test_actor_cache import _notice_arrived, _postgresql
from tests.service.test_documents import CHAIRMAN, POLICE, download, to_signature

# named by the signed plan among those it informs: a body bound in the plan (read by id) and
# a unit it addresses (read by code)
AWARDS_BOARD, HEALTH = "Ban Thi đua - Khen thưởng tỉnh Thanh Hóa", "Sở Y tế tỉnh Thanh Hóa"


@contextmanager
def agency_reads(app: Flask) -> Iterator[list[str]]:
    """The statements sent while the block runs that read the agency table itself."""
    seen: list[str] = []

    def read(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.lstrip().startswith("SELECT agency."):
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
    with agency_reads(app) as reads:
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
