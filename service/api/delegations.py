"""Ủy quyền: leaders name substitutes for a date range."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from service.api.blueprint import BEARER, Blueprint
from service.api.deps import current_actor, new_uow, new_view
from service.api.schemas import DelegationRequestSchema, DelegationSchema
from service.operations.delegations import grant_delegation, revoke_delegation
from service.queries.delegations import DelegationView, delegations

blp = Blueprint(
    "delegations",
    __name__,
    url_prefix="/api/v1/delegations",
    description="Substitutions (ủy quyền)",
)


@blp.route("")
class Delegations(MethodView):
    @blp.doc(**BEARER)
    @blp.response(200, DelegationSchema(many=True))
    def get(self) -> list[DelegationView]:
        """Delegations granted by and to the caller."""
        return delegations(new_view(), current_actor())

    @blp.doc(**BEARER)
    @blp.arguments(DelegationRequestSchema)
    @blp.response(201, DelegationSchema)
    def post(self, args: dict[str, Any]) -> DelegationView:
        """Name a substitute who sees and signs the caller's tasks from `starts` to `ends`."""
        actor = current_actor()
        grant_id = grant_delegation(
            new_uow(), actor, args["substitute"], args["starts"], args["ends"], args["kind"]
        )
        return next(d for d in delegations(new_view(), actor) if d.id == grant_id)


@blp.route("/<int:delegation_id>")
class DelegationResource(MethodView):
    @blp.doc(**BEARER)
    @blp.response(204)
    def delete(self, delegation_id: int) -> None:
        """End a delegation now (it stays on record)."""
        revoke_delegation(new_uow(), current_actor(), delegation_id)
