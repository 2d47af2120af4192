"""Sổ đăng ký văn bản đi: an agency's register for a year, and setting its next number."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from service.api.blueprint import BEARER, Blueprint
from service.api.deps import current_actor, new_uow
from service.api.schemas import RegisterSchema, RegisterSetResultSchema, RegisterSetSchema
from service.operations.registers import set_next_number
from service.queries.registers import register

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
    def get(self, agency_code: str, year: int) -> dict[str, Any]:
        """The documents the agency issued in the year, by kind and number, and the next
        number of each register (one per number symbol). The agency's own users and those
        who oversee its level."""
        return register(new_uow(write=False), current_actor(), agency_code, year)


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
