"""Reorganising the directory (administrators): create, rename, merge, split, dissolve and move
agencies, each dated and recorded in the audit log (service.operations.reorganisation)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import request
from flask.views import MethodView
from marshmallow import fields

from service import validation as validate
from service.api.blueprint import BEARER, Blueprint, multipart
from service.api.deps import current_actor, new_uow, new_view
from service.errors import Invalid, Message
from service.imports import read_rows
from service.operations import reorganisation
from service.operations.directory_import import import_agencies
from service.operations.scheduled_reorganisation import (
    ACTIONS,
    Scheduled,
    schedule_reorganisation,
)
from service.permissions import Right, require
from service.queries.administration import scheduled_reorganisations
from service.validation import REQUIRED, Schema, date_reason

blp = Blueprint(
    "agencies",
    __name__,
    url_prefix="/api/v1/agencies",
    description="The directory's agencies and their reorganisation (administrators)",
)


def _code(**kwargs: Any) -> fields.String:
    return fields.String(validate=validate.Length(1, 80), **kwargs)


def _effective() -> validate.Date:
    return validate.Date(
        required=True,
        metadata={
            "description": "the day it takes effect (Vietnam); today or earlier: the open "
            "work moves when the change is applied",
            "example": "2025-07-01",
        },
    )


class AgencyCreateSchema(Schema):
    code = _code(required=True, metadata={"example": "thanh-hoa-xa-van-xuan"})
    name = fields.String(required=True, validate=validate.Length(1, 255))
    kind = fields.String(
        required=True,
        validate=validate.Length(1, 20),
        metadata={"description": "province, district, commune, department, police, office…"},
    )
    parent = _code(load_default=None, allow_none=True)
    admin_code = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Regexp(
            r"^[0-9]{2,10}$", error=Message("two_to_ten_digits", "Two to ten digits.")
        ),
        metadata={"description": "its code in the national list of administrative units"},
    )
    serves = fields.List(
        fields.String(validate=validate.Length(1, 40)),
        load_default=[],
        validate=validate.Length(max=10),
        metadata={"description": "chain roles it fills at its parent's level"},
    )
    effective = _effective()


class RenameSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 255))
    effective = _effective()


class MergeSchema(Schema):
    into = _code(required=True, metadata={"description": "the agency it merges into"})
    effective = _effective()


class SplitSchema(Schema):
    into = fields.List(_code(), required=True, validate=validate.Length(1, 100))
    open_work_to = _code(
        required=True, metadata={"description": "the successor that takes its open work"}
    )
    effective = _effective()


class DissolveSchema(Schema):
    successor = _code(
        load_default=None,
        allow_none=True,
        metadata={"description": "the agency that takes its open work, if any"},
    )
    effective = _effective()


class MoveSchema(Schema):
    parent = _code(required=True)
    effective = _effective()


class AgencySchema(Schema):
    code = fields.String()
    name = fields.String()
    kind = fields.String()
    parent = fields.String(allow_none=True)
    admin_code = fields.String(allow_none=True)
    valid_from = fields.Date(allow_none=True)
    valid_to = fields.Date(allow_none=True)
    successors = fields.List(fields.String())
    moved_processes = fields.List(
        fields.Integer(), metadata={"description": "its unit processes handed to the successor"}
    )


@blp.route("")
class Agencies(MethodView):
    @blp.doc(**BEARER)
    @blp.arguments(AgencyCreateSchema)
    @blp.response(201, AgencySchema)
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Create an agency from `effective` (400 naming `code`, `admin_code`, `parent` or
        `serves` when taken or unknown)."""
        args["serves"] = tuple(args["serves"])
        return reorganisation.create_agency(new_uow(), current_actor(), **args)


class ImportedSchema(Schema):
    agencies = fields.List(fields.String(), metadata={"description": "the codes created"})


@blp.route("/import")
class Import(MethodView):
    @blp.doc(
        **BEARER,
        requestBody={"content": multipart(("file", "effective"), effective="date")},
    )
    @blp.response(201, ImportedSchema)
    def post(self) -> dict[str, Any]:
        """Import agencies from a CSV (UTF-8) or Excel sheet with the columns code, name,
        kind, parent, admin_code, serves: every row is checked first, and any bad row refuses
        the whole sheet (400: `errors.json.rows` → row number → column → reasons)."""
        actor = current_actor()
        require(actor, Right.REORGANISE)  # 403 before the file is read
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise Invalid({"file": [REQUIRED]})
        raw = request.form.get("effective", "")
        try:
            effective = date.fromisoformat(raw)
        except ValueError:
            raise Invalid({"effective": [date_reason(raw)]}) from None
        rows = read_rows(upload.filename, upload.read(5_000_000))
        return {"agencies": import_agencies(new_uow(), actor, rows, effective)}


@blp.route("/<code>/rename")
class Rename(MethodView):
    @blp.doc(**BEARER)
    @blp.arguments(RenameSchema)
    @blp.response(200, AgencySchema)
    def post(self, args: dict[str, Any], code: str) -> dict[str, Any]:
        """Rename the agency from `effective`; the audit log keeps the old name."""
        return reorganisation.rename_agency(new_uow(), current_actor(), code, **args)


@blp.route("/<code>/merge")
class Merge(MethodView):
    @blp.doc(**BEARER)
    @blp.arguments(MergeSchema)
    @blp.response(200, AgencySchema)
    def post(self, args: dict[str, Any], code: str) -> dict[str, Any]:
        """Merge the agency into `into`: it ends, and `into` takes over its running plans."""
        return reorganisation.merge_agency(new_uow(), current_actor(), code, **args)


@blp.route("/<code>/split")
class Split(MethodView):
    @blp.doc(**BEARER)
    @blp.arguments(SplitSchema)
    @blp.response(200, AgencySchema)
    def post(self, args: dict[str, Any], code: str) -> dict[str, Any]:
        """Split the agency into `into`; `open_work_to` takes over its running plans."""
        return reorganisation.split_agency(new_uow(), current_actor(), code, **args)


@blp.route("/<code>/dissolve")
class Dissolve(MethodView):
    @blp.doc(**BEARER)
    @blp.arguments(DissolveSchema)
    @blp.response(200, AgencySchema)
    def post(self, args: dict[str, Any], code: str) -> dict[str, Any]:
        """Dissolve the agency; `successor`, if named, takes over its running plans."""
        return reorganisation.dissolve_agency(new_uow(), current_actor(), code, **args)


@blp.route("/<code>/move")
class Move(MethodView):
    @blp.doc(**BEARER)
    @blp.arguments(MoveSchema)
    @blp.response(200, AgencySchema)
    def post(self, args: dict[str, Any], code: str) -> dict[str, Any]:
        """Move the agency, with all below it, under `parent` (400 on a cycle)."""
        return reorganisation.move_agency(new_uow(), current_actor(), code, **args)


class ScheduleSchema(Schema):
    action = fields.String(required=True, validate=validate.OneOf(tuple(ACTIONS)))
    agency = _code(required=True, metadata={"description": "the agency it changes or creates"})
    arguments = fields.Dict(
        keys=fields.String(),
        load_default={},
        metadata={
            "description": "the action's fields as its own route takes them (rename: name; "
            "merge: into; split: into, open_work_to; dissolve: successor; move: parent; "
            "create: name, kind, parent, admin_code, serves)",
            "example": {"into": "bac-ninh"},
        },
    )
    effective = validate.Date(
        required=True, metadata={"description": "a day after today", "example": "2025-07-01"}
    )


class ScheduledSchema(Schema):
    id = fields.Integer()
    action = fields.String()
    agency = fields.String()
    arguments = fields.Dict()
    effective = fields.Date()
    applied_at = fields.DateTime(allow_none=True)
    refused = fields.Dict(
        allow_none=True, metadata={"description": "why its day refused it: field → reasons"}
    )


@blp.route("/scheduled")
class ScheduledReorganisations(MethodView):
    @blp.doc(**BEARER)
    @blp.response(200, ScheduledSchema(many=True))
    def get(self) -> list[Scheduled]:
        """The reorganisations scheduled ahead, by day: pending, applied or refused."""
        return scheduled_reorganisations(new_view(), current_actor())

    @blp.doc(**BEARER)
    @blp.arguments(ScheduleSchema)
    @blp.response(201, ScheduledSchema)
    def post(self, args: dict[str, Any]) -> Scheduled:
        """Schedule a reorganisation for a day after today: the scheduler applies it on that
        day, as the routes above would, and records it; one the day refuses keeps its
        reasons in `refused`."""
        return schedule_reorganisation(new_uow(), current_actor(), **args)
