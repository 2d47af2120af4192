"""The audit log: verify it, sign a checkpoint, export or replay one process."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from flask import Response, current_app, send_file
from flask.views import MethodView
from marshmallow import Schema, fields

from service.api.blueprint import BEARER, Blueprint
from service.api.deps import current_actor, new_uow
from service.errors import NotFound
from service.operations.audit import checkpoint, latest_checkpoint, verify
from service.operations.audit_export import export
from service.operations.replay import replay
from service.operations.signing import fingerprint, public_pem, verifying_key

blp = Blueprint("audit", __name__, url_prefix="/api/v1", description="The tamper-evident audit log")


class BrokenLinkSchema(Schema):
    reason = fields.String(metadata={"description": "modified, deleted, inserted, reordered, …"})
    event_id = fields.Integer(allow_none=True)
    instance_id = fields.Integer(allow_none=True)
    seq = fields.Integer(allow_none=True)
    checkpoint_id = fields.Integer(allow_none=True)
    table = fields.String(allow_none=True, metadata={"description": "a business row's table"})
    row_id = fields.Raw(allow_none=True, metadata={"description": "that row's key"})
    field = fields.String(allow_none=True, metadata={"description": "the field that differs"})
    detail = fields.String()


class VerifySchema(Schema):
    events_checked = fields.Integer()
    checkpoints_checked = fields.Integer()
    witness_copies = fields.Integer()
    unanchored = fields.Integer(metadata={"description": "events after the latest checkpoint"})
    rows_checked = fields.Integer(metadata={"description": "business rows compared with the log"})
    first_broken = fields.Nested(BrokenLinkSchema, allow_none=True)
    breaks = fields.List(fields.Nested(BrokenLinkSchema), metadata={"description": "the first 100"})
    breaks_found = fields.Integer()


class CheckpointSchema(Schema):
    id = fields.Integer()
    tree_size = fields.Integer()
    root_hash = fields.String()
    note = fields.String(metadata={"description": "the signed text: origin, size, root, time"})
    signature = fields.String(metadata={"description": "Ed25519, hex"})
    key_fingerprint = fields.String()
    created_at = fields.DateTime()
    public_key = fields.String(allow_none=True, metadata={"description": "PEM, to verify it"})


class DivergenceSchema(Schema):
    what = fields.String()
    stored = fields.Raw()
    replayed = fields.Raw()


class ReplaySchema(Schema):
    process_id = fields.Integer()
    events_replayed = fields.Integer()
    matches = fields.Boolean()
    divergences = fields.List(fields.Nested(DivergenceSchema))


def _with_key(view: dict[str, Any]) -> dict[str, Any]:
    """The checkpoint and the service's public key, if it is the one that signed it."""
    key = verifying_key(current_app.config["AUDIT_KEY_PATH"])
    if key is None or fingerprint(key) != view["key_fingerprint"]:
        return {**view, "public_key": None}
    return {**view, "public_key": public_pem(key)}


@blp.route("/audit/verify")
class Verify(MethodView):
    @blp.doc(**BEARER)
    @blp.response(200, VerifySchema)
    def get(self) -> dict[str, Any]:
        """Verify every event, checkpoint and witness copy (auditors, administrators)."""
        actor = current_actor()
        key = verifying_key(current_app.config["AUDIT_KEY_PATH"])
        return verify(new_uow(write=False), actor, current_app.config["WITNESS_DIR"], key)


@blp.route("/audit/checkpoints")
class Checkpoints(MethodView):
    @blp.doc(**BEARER)
    @blp.response(201, CheckpointSchema)
    def post(self) -> dict[str, Any]:
        """Sign the Merkle root over every event so far (auditors, administrators)."""
        actor, config = current_actor(), current_app.config
        signed = checkpoint(new_uow(), actor, config["AUDIT_KEY_PATH"], config["WITNESS_DIR"])
        return _with_key(signed)


@blp.route("/audit/checkpoints/latest")
class LatestCheckpoint(MethodView):
    @blp.doc(**BEARER)
    @blp.response(200, CheckpointSchema)
    def get(self) -> dict[str, Any]:
        """The newest signed root, to print or copy somewhere the operator cannot reach."""
        view = latest_checkpoint(new_uow(write=False), current_actor())
        if view is None:
            raise NotFound("no_checkpoint", "No checkpoint has been signed yet.")
        return _with_key(view)


@blp.route("/processes/<int:process_id>/export")
class Export(MethodView):
    @blp.doc(**BEARER)
    @blp.response(200, description="JSON lines", content_type="application/x-ndjson")
    def get(self, process_id: int) -> Response:
        """The process's full audit record, for `tools/verify_export.py` (offline).

        Never writes: events are proven against the latest checkpoint (sign one first with
        `POST /audit/checkpoints` to cover them all), later ones by their chain only.
        """
        actor, config = current_actor(), current_app.config
        text = export(new_uow(), actor, process_id, config["AUDIT_KEY_PATH"], config["WITNESS_DIR"])
        return send_file(
            BytesIO(text.encode()),
            mimetype="application/x-ndjson",
            as_attachment=True,
            download_name=f"process-{process_id}-audit.jsonl",
        )


@blp.route("/processes/<int:process_id>/replay")
class Replay(MethodView):
    @blp.doc(**BEARER)
    @blp.response(200, ReplaySchema)
    def get(self, process_id: int) -> dict[str, Any]:
        """Re-run the process from its diagram and recorded events; list any divergence."""
        return replay(new_uow(write=False), current_actor(), process_id)
