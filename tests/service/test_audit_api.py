"""The auditor's path: history, verify, checkpoint, export and offline check, replay; CLI too."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from sqlalchemy import text

from service.db.uow import UnitOfWork
from service.operations.directory import load_directory
from service.operations.signing import public_pem
from tests.conftest import ApiClient
from tests.service.audit_walk import AUDITOR, POLICE, WALKED, audited, event_count

ROOT = Path(__file__).parents[2]
VERIFIER = ROOT / "tools" / "verify_export.py"

pytestmark = WALKED


@pytest.fixture
def walked(app: Flask, built_state: dict[str, int], tmp_path: Path) -> dict[str, int]:
    audited(app, tmp_path)
    return built_state


def test_the_auditor_reads_the_history_verifies_it_and_signs_a_checkpoint(
    app: Flask, api: ApiClient, walked: dict[str, int]
) -> None:
    history = api.get(f"/api/v1/processes/{walked['province']}/history", AUDITOR).json
    assert [e["prev_hash"] for e in history[1:]] == [e["hash"] for e in history[:-1]]
    lowered = next(e for e in history if e["data"].get("step") == "finance_appraisal"
                   and e["data"]["decision"] == "approve")  # fmt: skip
    assert {"path": "budget_lines[1].unit_amount", "old": 500_000, "new": 400_000} in (
        lowered["data"]["changes"]
    )

    total = event_count(app)
    first = api.get("/api/v1/audit/verify", AUDITOR).json
    assert (first["first_broken"], first["checkpoints_checked"], first["unanchored"]) == (
        None,
        0,
        total,
    )
    signed = api.post("/api/v1/audit/checkpoints", AUDITOR)
    assert signed.status_code == 201, signed.json
    assert signed.json["tree_size"] == total
    assert signed.json["public_key"].startswith("-----BEGIN PUBLIC KEY-----")
    latest = api.get("/api/v1/audit/checkpoints/latest", AUDITOR).json
    assert (latest["id"], latest["root_hash"]) == (1, signed.json["root_hash"])
    again = api.get("/api/v1/audit/verify", AUDITOR).json
    assert (again["first_broken"], again["checkpoints_checked"], again["unanchored"]) == (
        None,
        1,
        0,
    )
    for call in (api.get, api.post):
        path = "/api/v1/audit/verify" if call == api.get else "/api/v1/audit/checkpoints"
        assert call(path, POLICE).status_code == 403


def test_no_checkpoint_yet_is_404(api: ApiClient, walked: dict[str, int]) -> None:
    assert api.get("/api/v1/audit/checkpoints/latest", AUDITOR).status_code == 404


def test_auditors_see_only_their_own_jurisdiction(
    app: Flask, api: ApiClient, walked: dict[str, int], demo_hash: str
) -> None:
    auditor = {"username": "bacgiang.thanhtra", "full_name": "Thanh tra Bắc Giang",
               "agency": "bac-giang-van-phong-ubnd", "roles": ["auditor"]}  # fmt: skip
    load_directory(UnitOfWork(app.extensions["session_factory"]), {"user": [auditor]}, demo_hash)
    for what in ("export", "replay", "history"):
        path = f"/api/v1/processes/{walked['province']}/{what}"
        assert api.get(path, "bacgiang.thanhtra").status_code == 403
        assert api.get(path, AUDITOR).status_code == 200


def offline(export: Path, key: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(VERIFIER), str(export), "--key", str(key)]
    return subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603


def test_an_export_verifies_offline_and_a_tampered_one_names_its_line(
    api: ApiClient, walked: dict[str, int], tmp_path: Path
) -> None:
    unsigned = api.get(f"/api/v1/processes/{walked['province']}/export", AUDITOR)
    assert api.get("/api/v1/audit/checkpoints/latest", AUDITOR).status_code == 404  # a GET: no
    assert '"checkpoint": null' in unsigned.get_data(as_text=True)  # write, so nothing signed
    assert api.post("/api/v1/audit/checkpoints", AUDITOR).status_code == 201
    answer = api.get(f"/api/v1/processes/{walked['province']}/export", AUDITOR)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/x-ndjson"
    export, key = tmp_path / "export.jsonl", tmp_path / "key.pem"
    export.write_bytes(answer.data)
    key.write_text(api.get("/api/v1/audit/checkpoints/latest", AUDITOR).json["public_key"])
    result = offline(export, key)
    assert (result.returncode, result.stdout.split(":")[0]) == (0, "intact"), result.stderr
    # with the plan and the report issued, and both rendered (document_rendered)
    assert "16 events of process" in result.stdout

    lines = answer.data.decode().splitlines(keepends=True)
    cases: dict[str, tuple[list[str], int, str]] = {
        "modified": (_edit(lines, 4, "Làm rõ số suất quà.", "Không có gì."), 1, "line 5:"),
        "deleted": (lines[:4] + lines[5:], 1, "(deleted)"),
        "swapped": (lines[:3] + [lines[4], lines[3]] + lines[5:], 1, "(reordered)"),
        "truncated": (lines[:-3], 1, "truncated"),
        "cut mid-line": (lines[:-1] + [lines[-1][:10]], 1, "truncated"),
        "title": (_header(lines, title="Kế hoạch khác"), 1, "the title differs"),
        "diagram": (_diagram(lines), 1, "line 2: the diagram is not the one"),
    }
    for name, (content, status, said) in cases.items():
        export.write_text("".join(content))
        result = offline(export, key)
        assert (result.returncode, said in result.stderr) == (status, True), (name, result.stderr)

    export.write_bytes(answer.data)
    key.write_text(public_pem(Ed25519PrivateKey.generate().public_key()))
    result = offline(export, key)
    assert result.returncode == 2 and "wrong key" in result.stderr


def _header(lines: list[str], **changes: Any) -> list[str]:
    header = json.loads(lines[0])
    header["header"] |= changes
    return [json.dumps(header, ensure_ascii=False) + "\n", *lines[1:]]


def _diagram(lines: list[str]) -> list[str]:
    """Another diagram, its sha256 recomputed so that it matches itself."""
    line = json.loads(lines[1])
    bpmn = line["definition"]["bpmn"].replace(
        "</bpmn:definitions>", "<!-- x --></bpmn:definitions>"
    )
    assert bpmn != line["definition"]["bpmn"]
    line["definition"] |= {"bpmn": bpmn, "sha256": hashlib.sha256(bpmn.encode()).hexdigest()}
    return [lines[0], json.dumps(line, ensure_ascii=False) + "\n", *lines[2:]]


def _edit(lines: list[str], index: int, old: str, new: str) -> list[str]:
    assert old in lines[index]
    return [*lines[:index], lines[index].replace(old, new), *lines[index + 1 :]]


def test_replay_reproduces_every_instance_and_names_a_divergence(
    app: Flask, api: ApiClient, walked: dict[str, int]
) -> None:
    for process_id in walked.values():
        answer = api.get(f"/api/v1/processes/{process_id}/replay", AUDITOR).json
        assert (answer["matches"], answer["divergences"]) == (True, []), answer
    with app.extensions["db_engine"].begin() as conn:  # the instance row is not hash-chained
        conn.execute(
            text("UPDATE process_instance SET status = 'completed' WHERE id = :id"),
            {"id": walked["silent"]},
        )
    answer = api.get(f"/api/v1/processes/{walked['silent']}/replay", AUDITOR).json
    assert answer["matches"] is False
    assert answer["divergences"] == [
        {"what": "completed (status)", "stored": True, "replayed": False}
    ]


def cli(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["audit", *args])


def test_the_command_line(app: Flask, walked: dict[str, int], tmp_path: Path) -> None:
    total = event_count(app)
    scheduler = ["scheduler", "--once"]  # the first pass signs: nothing is signed yet
    with app.app_context():  # the flask command pushes it; a plain click command needs it here
        scheduled = app.test_cli_runner().invoke(args=scheduler).output
    assert f"audit checkpoint 1: {total} events" in scheduled
    assert f'"tree_size": {total}' in cli(app, "checkpoint").output
    verified = cli(app, "verify")
    assert verified.exit_code == 0 and '"first_broken": null' in verified.output
    out = tmp_path / "province.jsonl"
    assert cli(app, "export", str(walked["province"]), "--out", str(out)).exit_code == 0
    key = tmp_path / "public.pem"
    key.write_text(cli(app, "public-key").output)
    assert offline(out, key).returncode == 0
    assert cli(app, "replay", str(walked["health"])).exit_code == 0
    assert cli(app, "replay", "999").exit_code == 1
    with app.extensions["db_engine"].begin() as conn:
        conn.exec_driver_sql("UPDATE process_instance SET last_event_seq = last_event_seq + 1")
    broken = cli(app, "verify")
    assert broken.exit_code == 1 and '"reason": "truncated"' in broken.output
