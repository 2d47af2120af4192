"""Reminders and escalations for the caller's agency."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from service.api.blueprint import BEARER, Blueprint
from service.api.deps import current_actor, new_uow
from service.api.schemas import NotificationSchema
from service.queries.notifications import notifications

blp = Blueprint(
    "notifications",
    __name__,
    url_prefix="/api/v1/notifications",
    description="In-app reminders, escalations and mentions in comments",
)


@blp.route("")
class Notifications(MethodView):
    @blp.doc(**BEARER)
    @blp.response(200, NotificationSchema(many=True))
    def get(self) -> list[dict[str, Any]]:
        """The newest reminders, escalations and comments mentioning the caller's agency."""
        return notifications(new_uow(write=False), current_actor())
