"""Health for load balancers and process supervisors: no token, no user data."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from service.api.blueprint import Blueprint
from service.api.deps import new_uow
from service.api.schemas import HealthSchema
from service.queries.health import database_reachable

blp = Blueprint("health", __name__, url_prefix="/api/v1", description="Health")


@blp.route("/health")
class Health(MethodView):
    @blp.response(200, HealthSchema)
    @blp.alt_response(503, schema=HealthSchema, description="The database is unreachable.")
    def get(self) -> tuple[dict[str, Any], int]:
        """200 while the database answers SELECT 1, else 503: take this process out of rotation."""
        if database_reachable(new_uow(write=False)):
            return {"status": "ok", "database": "ok"}, 200
        return {"status": "unavailable", "database": "unreachable"}, 503
