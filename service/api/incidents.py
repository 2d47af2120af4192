"""Incidents: diagram scripts that failed, for administrators to retry or cancel."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from service.api.blueprint import BEARER, Blueprint
from service.api.deps import current_actor, new_uow
from service.api.schemas import IncidentListArgsSchema, IncidentSchema
from service.operations.incidents import cancel_incident, list_incidents, retry_incident

blp = Blueprint(
    "incidents",
    __name__,
    url_prefix="/api/v1/incidents",
    description="Failed diagram scripts (administrators)",
)


@blp.route("")
class Incidents(MethodView):
    @blp.doc(**BEARER)
    @blp.arguments(IncidentListArgsSchema, location="query")
    @blp.response(200, IncidentSchema(many=True))
    def get(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        """Incidents, newest first: open ones by default."""
        return list_incidents(new_uow(write=False), current_actor(), args["state"])


@blp.route("/<int:incident_id>/retry")
class RetryIncident(MethodView):
    @blp.doc(**BEARER)
    @blp.response(200, IncidentSchema)
    def post(self, incident_id: int) -> dict[str, Any]:
        """Re-run the failed step on the newest version of its diagram (deploy the corrected
        diagram first). It moves: the process runs that version, the incident is resolved and
        the task waits for its user again. It still fails: 422 with the reason. Audited as
        `incident_retried`."""
        return retry_incident(new_uow(), current_actor(), incident_id)


@blp.route("/<int:incident_id>/cancel")
class CancelIncident(MethodView):
    @blp.doc(**BEARER)
    @blp.response(200, IncidentSchema)
    def post(self, incident_id: int) -> dict[str, Any]:
        """Cancel the incident's process and its open tasks. Audited as `process_cancelled`."""
        return cancel_incident(new_uow(), current_actor(), incident_id)
