"""The auditor's page: verify the whole log in one click, sign and show the latest root,
export or replay one process."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from flask import Blueprint, current_app, render_template, request, send_file
from flask.typing import ResponseReturnValue
from flask_login import login_required

from service.operations.audit import checkpoint, latest_checkpoint, verify
from service.operations.audit_export import export
from service.operations.replay import replay
from service.operations.signing import fingerprint, verifying_key
from service.web.deps import current_actor, new_uow

bp = Blueprint("audit", __name__)


@bp.route("/audit", methods=["GET", "POST"])
@login_required
def index() -> ResponseReturnValue:
    """GET shows the latest signed root; POST verifies the log or signs a checkpoint."""
    actor, config = current_actor(), current_app.config
    latest = latest_checkpoint(new_uow(write=False), actor)  # refuses a non-auditor first
    report: dict[str, Any] | None = None
    if request.method == "POST" and request.form.get("action") == "checkpoint":
        latest = checkpoint(new_uow(), actor, config["AUDIT_KEY_PATH"], config["WITNESS_DIR"])
    elif request.method == "POST":
        key = verifying_key(config["AUDIT_KEY_PATH"])
        report = verify(new_uow(write=False), actor, config["WITNESS_DIR"], key)
    key = verifying_key(config["AUDIT_KEY_PATH"])
    return render_template(
        "audit.html",
        report=report,
        latest=latest,
        key_fingerprint=None if key is None else fingerprint(key),
    )


@bp.get("/processes/<int:process_id>/audit-export")
@login_required
def export_process(process_id: int) -> ResponseReturnValue:
    """The process's full record as JSON lines, to check offline with tools/verify_export.py."""
    actor, config = current_actor(), current_app.config
    text = export(new_uow(), actor, process_id, config["AUDIT_KEY_PATH"], config["WITNESS_DIR"])
    return send_file(
        BytesIO(text.encode()),
        mimetype="application/x-ndjson",
        as_attachment=True,
        download_name=f"process-{process_id}-audit.jsonl",
    )


@bp.get("/processes/<int:process_id>/replay")
@login_required
def replay_process(process_id: int) -> ResponseReturnValue:
    """Re-run the process from its diagram and events and compare with what is stored."""
    result = replay(new_uow(write=False), current_actor(), process_id)
    return render_template("replay.html", result=result)
