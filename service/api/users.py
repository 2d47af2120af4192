"""Users in bulk (administrators): import a sheet, every row checked first, and export every
user with their roles by agency, in the same columns (service.operations.users_import)."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from service.api.blueprint import BEARER, Blueprint, multipart
from service.api.deps import current_actor, new_uow
from service.errors import Invalid
from service.exports import send_table
from service.imports import read_rows
from service.operations.users_import import import_users
from service.permissions import Right, require
from service.queries.administration import users_sheet
from service.validation import REQUIRED
from workflows.calendar import local_day

blp = Blueprint(
    "users", __name__, url_prefix="/api/v1/users", description="Users in bulk (administrators)"
)


class ImportedUserSchema(Schema):
    username = fields.String()
    password = fields.String(metadata={"description": "one-time: shown only in this answer"})


class ImportedUsersSchema(Schema):
    users = fields.List(fields.Nested(ImportedUserSchema))


class ExportArgs(Schema):
    format = fields.String(load_default="csv", validate=validate.OneOf(("csv", "xlsx")))


@blp.route("/import")
class Import(MethodView):
    @blp.doc(**BEARER, requestBody={"content": multipart(("file",))})
    @blp.response(201, ImportedUsersSchema)
    def post(self) -> dict[str, Any]:
        """Import users from a CSV (UTF-8) or Excel sheet with the columns username,
        full_name, title, email, agency, roles (comma-separated): usernames unused, roles
        from the rights table, agencies existing today. Any bad row refuses the whole sheet
        (400: `errors.json.rows` → row number → column → reasons)."""
        actor = current_actor()
        require(actor, Right.MANAGE_USERS)  # 403 before the file is read
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise Invalid({"file": [REQUIRED]})
        rows = read_rows(upload.filename, upload.read(5_000_000))
        created = import_users(new_uow(), actor, rows)
        return {"users": [{"username": u.username, "password": u.password} for u in created]}


@blp.route("/export")
class Export(MethodView):
    @blp.doc(**BEARER)
    @blp.arguments(ExportArgs, location="query")
    @blp.response(200, description="the sheet", content_type="text/csv")
    def get(self, args: dict[str, str]) -> Response:
        """Every user with their roles, by agency, in the import's columns and `active`."""
        uow = new_uow(write=False)
        name = f"users-{local_day(uow.now()):%Y%m%d}.{args['format']}"
        return send_table(args["format"], "Users", users_sheet(uow, current_actor()), name)
