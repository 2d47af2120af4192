"""Sổ đăng ký văn bản đi: an agency's register for a year, and setting its next number."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields

from service.api.blueprint import BEARER, Blueprint
from service.api.deps import current_actor, new_uow, new_view
from service.operations.registers import set_next_number
from service.queries.registers import RegisterView, register
from service.states import DocumentState


class RegisterSetSchema(Schema):
    next_number = fields.Integer(
        required=True,
        strict=True,
        metadata={
            "description": "the number the next document of this register and year will take; "
            "never below the register's next number, never one already issued",
            "example": 84,
        },
    )


class RegisterSetResultSchema(Schema):
    agency = fields.String(metadata={"description": "the agency's code"})
    year = fields.Integer()
    kind = fields.String(metadata={"enum": ["KH", "BC", "QĐ"]})
    symbol = fields.String(
        metadata={"description": "the register's number symbol", "example": "KH-SYT"}
    )
    next_number = fields.Integer()
    last_issued = fields.Integer(
        allow_none=True, metadata={"description": "the last number issued here, if any"}
    )


class RegisterKindSchema(Schema):
    """One register: each number symbol (each body the agency issues as) keeps a sequence."""

    kind = fields.String(metadata={"enum": ["KH", "BC", "QĐ"]})
    symbol = fields.String(metadata={"example": "KH-BCĐ"})
    name = fields.String(metadata={"example": "Kế hoạch"})
    next_number = fields.Integer(metadata={"description": "the number the next one will take"})


class RegisterEntrySchema(Schema):
    """One document in the register (sổ đăng ký văn bản đi)."""

    id = fields.Integer()
    process_id = fields.Integer()
    kind = fields.String()
    kind_name = fields.String()
    number = fields.Integer()
    symbol = fields.String(metadata={"example": "KH-SYT"})
    number_symbol = fields.String(metadata={"example": "83/KH-SYT"})
    signed_at = fields.DateTime()
    signed_on = fields.Date(metadata={"description": "the day it was signed, Vietnam time"})
    subject = fields.String(metadata={"description": "trích yếu"})
    signed_by = fields.String()
    signing_mark = fields.String(allow_none=True, metadata={"example": "KT. GIÁM ĐỐC"})
    state = fields.String(metadata={"enum": list(DocumentState)})


class RegisterSchema(Schema):
    """An agency's registers for a year: each symbol's next number, and what it issued."""

    agency = fields.Nested(
        Schema.from_dict({"code": fields.String(), "name": fields.String()}, name="RegisterAgency")
    )
    year = fields.Integer()
    registers = fields.List(fields.Nested(RegisterKindSchema))
    documents = fields.List(fields.Nested(RegisterEntrySchema))


blp = Blueprint(
    "registers",
    __name__,
    url_prefix="/api/v1/registers",
    description="Registers of issued documents (sổ đăng ký văn bản đi)",
)


@blp.route("/<agency_code>/<int:year>")
class AgencyRegister(MethodView):
    @blp.doc(**BEARER)
    @blp.response(200, RegisterSchema)
    def get(self, agency_code: str, year: int) -> RegisterView:
        """The documents the agency issued in the year, by kind and number, and the next
        number of each register (one per number symbol). The agency's own users and those
        who oversee its level."""
        return register(new_view(), current_actor(), agency_code, year)


@blp.route("/<agency_code>/<int:year>/<kind>")
class RegisterNumber(MethodView):
    @blp.doc(
        **BEARER,
        parameters=[
            {
                "in": "path",
                "name": "kind",
                "description": "the register: a number symbol the agency numbers (KH-UBND, "
                "KH-BCĐ), or a kind (KH, BC, QĐ) for the agency's own symbol",
                "schema": {"type": "string", "example": "KH-BCĐ"},
            }
        ],
    )
    @blp.arguments(RegisterSetSchema)
    @blp.response(200, RegisterSetResultSchema)
    def put(self, args: dict[str, Any], agency_code: str, year: int, kind: str) -> dict[str, Any]:
        """Set the next number of one of the agency's registers for the year, to continue its
        existing numbering (administrators); each issuing body keeps its own register. Never
        backwards, never a number already issued (400 naming `next_number`); recorded in the
        audit log as `register_set`."""
        return set_next_number(
            new_uow(), current_actor(), agency_code, year, kind, args["next_number"]
        )
