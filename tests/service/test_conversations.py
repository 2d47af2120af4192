"""Comments (xin ý kiến) and attached files: Finance asks the Police without returning the
plan, mentions reach the agency, files are known by their content, and the audit log holds
the hash of each."""

from __future__ import annotations

import hashlib
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.orm import Session

from service.db.attachment_store import FolderStore
from service.operations.audit import verify_log
from service.operations.conversations import MAX_ATTACHMENT
from tests.conftest import PLAN_2023, ApiClient
from tests.service.attached_samples import EXE, PDF, docx_file, jpeg, multipart, png, xlsx_file

POLICE, FINANCE, UNIT = "thanhhoa.congan", "thanhhoa.taichinh", "thanhhoa.soyte"
POLICE_CODE = "thanh-hoa-cong-an"


def submitted(api: ApiClient) -> tuple[int, int]:
    """A plan submitted to Finance: (process, Finance's task)."""
    process = api.start_plan(POLICE)
    draft = api.only_task(POLICE)
    assert api.complete(POLICE, draft["id"], "submit", data=PLAN_2023).status_code == 200
    return process, api.only_task(FINANCE)["id"]


def upload(api: ApiClient, process: int, user: str, content: bytes, name: str, **form: Any) -> Any:
    data = {"file": (BytesIO(content), name), **form}
    return api.post(f"/api/v1/processes/{process}/attachments", user, data=data)


def history(api: ApiClient, process: int, user: str = POLICE) -> list[dict[str, Any]]:
    answer = api.get(f"/api/v1/processes/{process}/history", user)
    assert answer.status_code == 200, answer.json
    return list(answer.json)


def test_finance_asks_the_police_without_returning_the_plan(api: ApiClient) -> None:
    process, task = submitted(api)
    body = "Đề nghị làm rõ số suất quà cấp xã <b>54</b>?"
    answer = api.post(
        f"/api/v1/processes/{process}/comments",
        FINANCE,
        json={"body": body, "task": task, "mentions": [POLICE_CODE]},
    )
    assert answer.status_code == 201, answer.json
    assert answer.json["body"] == body and answer.json["task_id"] == task
    assert answer.json["mentions"] == ["Công an tỉnh Thanh Hóa"]
    assert api.only_task(FINANCE)["id"] == task  # nothing decided: the task still waits

    police = api.get("/api/v1/notifications", POLICE).json
    assert police[0]["process_id"] == process and "làm rõ số suất quà" in police[0]["message"]
    assert not [n for n in api.get("/api/v1/notifications", FINANCE).json if n["rule"] == "mention"]

    (event,) = [e for e in history(api, process) if e["action"] == "comment_added"]
    assert event["data"]["sha256"] == hashlib.sha256(body.encode()).hexdigest()
    assert event["data"]["mentions"] == [POLICE_CODE] and event["task_id"] == task
    thread = api.get(f"/api/v1/processes/{process}/conversation", POLICE).json
    assert [c["body"] for c in thread["comments"]] == [body]
    assert POLICE_CODE in {a["code"] for a in thread["mentionable"]}


def test_bad_comments_name_the_field(api: ApiClient) -> None:
    process, _ = submitted(api)
    url = f"/api/v1/processes/{process}/comments"
    empty = api.post(url, FINANCE, json={"body": "   "})
    assert empty.status_code == 400 and "body" in empty.json["errors"]["json"]
    stranger = api.post(url, FINANCE, json={"body": "?", "mentions": ["ha-noi-cong-an"]})
    assert stranger.status_code == 400 and "mentions" in stranger.json["errors"]["json"]
    other = api.post(url, FINANCE, json={"body": "?", "task": 2**31 - 1})
    assert other.status_code == 404
    assert api.post(url, UNIT, json={"body": "?"}).status_code == 403  # takes no part
    assert api.get(f"/api/v1/processes/{process}/conversation", UNIT).status_code == 403


@pytest.mark.parametrize(
    ("make", "name", "mimetype"),
    [
        (lambda: PDF, "ke-hoach.pdf", "application/pdf"),
        (png, "anh.png", "image/png"),
        (jpeg, "anh.jpg", "image/jpeg"),
        (
            docx_file,
            "du-toan.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            xlsx_file,
            "du-toan.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (png, "named-wrong.pdf", "image/png"),  # the content decides, never the name
    ],
)
def test_accepted_files_are_typed_by_content_and_hashed_in_the_log(
    api: ApiClient, make: Any, name: str, mimetype: str
) -> None:
    process, task = submitted(api)
    content = make()
    answer = upload(api, process, FINANCE, content, name, task=str(task))
    assert answer.status_code == 201, answer.json
    sha256 = hashlib.sha256(content).hexdigest()
    assert (answer.json["mimetype"], answer.json["sha256"]) == (mimetype, sha256)
    assert answer.json["task_id"] == task and answer.json["size"] == len(content)
    (event,) = [e for e in history(api, process) if e["action"] == "file_attached"]
    assert event["data"]["sha256"] == sha256

    got = api.get(f"/api/v1/attachments/{answer.json['id']}", POLICE)
    assert got.status_code == 200 and got.data == content
    assert got.mimetype == mimetype and got.headers["X-Content-Type-Options"] == "nosniff"
    assert got.headers["Content-Disposition"].startswith("attachment")
    shown = api.get(f"/api/v1/attachments/{answer.json['id']}?inline=true", POLICE)
    previewed = mimetype in ("application/pdf", "image/png", "image/jpeg")
    disposition = shown.headers["Content-Disposition"]
    assert disposition.startswith("inline" if previewed else "attachment")
    if previewed:
        assert "default-src 'none'" in shown.headers["Content-Security-Policy"]
    assert api.get(f"/api/v1/attachments/{answer.json['id']}", UNIT).status_code == 403


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (EXE, "ke-hoach.pdf"),  # a program renamed
        (b"<script>alert(1)</script>", "anh.png"),
        (b"PK\x03\x04 not a zip at all", "du-toan.docx"),
        (b"", "empty.pdf"),
    ],
)
def test_other_types_are_refused_naming_file(api: ApiClient, content: bytes, name: str) -> None:
    process, _ = submitted(api)
    answer = upload(api, process, FINANCE, content, name)
    assert answer.status_code == 400, answer.json
    assert "file" in answer.json["errors"]["json"]
    assert not [e for e in history(api, process) if e["action"] == "file_attached"]


def test_too_large_is_refused(api: ApiClient) -> None:
    process, _ = submitted(api)
    url = f"/api/v1/processes/{process}/attachments"
    just_over = PDF + b"\0" * (MAX_ATTACHMENT + 1 - len(PDF))
    answer = api.post(url, FINANCE, **multipart(just_over, "lon.pdf"))
    assert answer.status_code == 400 and "file" in answer.json["errors"]["json"]
    far_over = PDF + b"\0" * (MAX_ATTACHMENT + 2 * 1024 * 1024)
    assert api.post(url, FINANCE, **multipart(far_over, "lon.pdf")).status_code == 413


def test_a_folder_store_keeps_the_bytes_outside_the_database(
    app: Flask, api: ApiClient, tmp_path: Path
) -> None:
    app.extensions["attachments"] = FolderStore(tmp_path / "files")
    process, _ = submitted(api)
    content = png("green")
    answer = upload(api, process, FINANCE, content, "anh.png")
    assert answer.status_code == 201, answer.json
    sha256 = hashlib.sha256(content).hexdigest()
    assert (tmp_path / "files" / sha256[:2] / sha256).read_bytes() == content
    assert api.get(f"/api/v1/attachments/{answer.json['id']}", POLICE).data == content


def test_verification_names_a_comment_or_file_changed_by_sql(app: Flask, api: ApiClient) -> None:
    process, _ = submitted(api)
    said = api.post(f"/api/v1/processes/{process}/comments", FINANCE, json={"body": "Đồng ý."})
    assert said.status_code == 201
    assert upload(api, process, FINANCE, png(), "anh.png").status_code == 201
    engine = app.extensions["db_engine"]
    for statement, table, field in (
        ("UPDATE comment SET body = 'Không đồng ý.'", "comment", "body"),
        ("UPDATE attachment SET name = 'khac.png'", "attachment", "name"),
        ("UPDATE attachment_blob SET content = :forged", "attachment_blob", "content"),
        (
            "DELETE FROM notification WHERE comment_id IS NOT NULL; DELETE FROM comment",
            "comment",
            "id",
        ),
    ):
        with engine.connect() as conn:
            with Session(bind=conn) as session:
                assert verify_log(session, app.config["WITNESS_DIR"], None)["breaks"] == []
            for part in statement.split("; "):
                conn.execute(text(part), {"forged": b"\x89PNG forged"})
            with Session(bind=conn) as session:
                report = verify_log(session, app.config["WITNESS_DIR"], None)
            conn.rollback()
        assert (table, field) in {(b["table"], b["field"]) for b in report["breaks"]}, statement
