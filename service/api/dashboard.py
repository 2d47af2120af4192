"""Supervisors' figures for a campaign (a plan and everything that cascaded from it)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from service.api.blueprint import BEARER, Blueprint
from service.api.deps import current_actor, new_uow
from service.api.schemas import (
    AgencyArgsSchema,
    AgencyFiguresSchema,
    CampaignArgsSchema,
    CampaignSchema,
    CompareSchema,
    FiguresSchema,
    TrendArgsSchema,
    TrendDaySchema,
    UnitArgsSchema,
    UnitProgressSchema,
)
from service.queries import dashboard

blp = Blueprint(
    "dashboard",
    __name__,
    url_prefix="/api/v1/dashboard",
    description="Supervisors: bottlenecks, slow agencies, missing reports, trend, last year",
)


@blp.route("/campaigns")
class Campaigns(MethodView):
    @blp.doc(**BEARER)
    @blp.response(200, CampaignSchema(many=True))
    def get(self) -> list[dashboard.CampaignRef]:
        """The plans of the supervisor's jurisdiction, newest first."""
        return dashboard.campaigns(new_uow(write=False), current_actor())


@blp.route("/steps")
class Steps(MethodView):
    @blp.doc(**BEARER)
    @blp.arguments(CampaignArgsSchema, location="query")
    @blp.response(200, FiguresSchema(many=True))
    def get(self, args: dict[str, Any]) -> list[dashboard.Figures]:
        """Per step: open tasks, their wait (median, 90th percentile), overdue, round trips."""
        return dashboard.steps(new_uow(write=False), current_actor(), args["campaign"])


@blp.route("/agencies")
class Agencies(MethodView):
    @blp.doc(**BEARER)
    @blp.arguments(AgencyArgsSchema, location="query")
    @blp.response(200, AgencyFiguresSchema)
    def get(self, args: dict[str, Any]) -> dashboard.AgencyFigures:
        """The same figures per agency, sorted; the ten longest-waiting open tasks."""
        return dashboard.agencies(
            new_uow(write=False), current_actor(), args["campaign"], args["sort"]
        )


@blp.route("/units")
class Units(MethodView):
    @blp.doc(**BEARER)
    @blp.arguments(UnitArgsSchema, location="query")
    @blp.response(200, UnitProgressSchema(many=True))
    def get(self, args: dict[str, Any]) -> list[dashboard.UnitProgress]:
        """The tree of units, parents first, with progress and counts rolled up per branch."""
        return dashboard.units(
            new_uow(write=False), current_actor(), args["campaign"], args["show"]
        )


@blp.route("/trend")
class Trend(MethodView):
    @blp.doc(**BEARER)
    @blp.arguments(TrendArgsSchema, location="query")
    @blp.response(200, TrendDaySchema(many=True))
    def get(self, args: dict[str, Any]) -> list[dashboard.TrendDay]:
        """Tasks opened, closed and overdue per day (Vietnam time)."""
        return dashboard.trend(
            new_uow(write=False), current_actor(), args["campaign"], args["start"], args["end"]
        )


@blp.route("/compare")
class Compare(MethodView):
    @blp.doc(**BEARER)
    @blp.arguments(CampaignArgsSchema, location="query")
    @blp.response(200, CompareSchema)
    def get(self, args: dict[str, Any]) -> dashboard.Comparison:
        """This campaign beside last year's cycle of the same plan at the same level."""
        return dashboard.compare(new_uow(write=False), current_actor(), args["campaign"])
