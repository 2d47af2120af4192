"""Supervisors' figures for a campaign (a plan and everything that cascaded from it). Every view
answers with `Figures-As-Of`: when the figures were computed (the scheduler refreshes them;
service.operations.dashboard_figures), ISO 8601 in UTC."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask.views import MethodView
from marshmallow import fields, validate

from service.api.blueprint import BEARER, Blueprint
from service.api.deps import current_actor, new_view
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
from service.db.base import MAX_ID
from service.queries import dashboard

T = TypeVar("T")
PAGE, MAX_PAGE = 100, 1_000  # a page of agencies or units
AS_OF = {
    "Figures-As-Of": {
        "description": "when the figures were computed",
        "schema": {"type": "string", "format": "date-time"},
    }
}


class _First:
    """`limit` and `offset`: a page of a long view (the kept figures read just those rows);
    every row is in the pages' downloads."""

    limit = fields.Integer(
        load_default=PAGE,
        validate=validate.Range(1, MAX_PAGE),
        metadata={"description": f"rows of the page (default {PAGE}, at most {MAX_PAGE})"},
    )
    offset = fields.Integer(
        load_default=0,
        validate=validate.Range(0, MAX_ID),
        metadata={"description": "rows skipped: the page starts after them"},
    )


class _AgencyArgs(_First, AgencyArgsSchema):
    pass


class _UnitArgs(_First, UnitArgsSchema):
    pass


def _dated(campaign_id: int, view: Callable[[], T]) -> tuple[T, dict[str, str]]:
    """The view's figures and when they were computed, as a header (the bodies stay lists)."""
    as_of = dashboard.as_of(new_view(), current_actor(), campaign_id)
    return view(), {"Figures-As-Of": as_of.isoformat()}


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
        return dashboard.campaigns(new_view(), current_actor())


@blp.route("/steps")
class Steps(MethodView):
    @blp.doc(**BEARER)
    @blp.arguments(CampaignArgsSchema, location="query")
    @blp.response(200, FiguresSchema(many=True), headers=AS_OF)
    def get(self, args: dict[str, Any]) -> tuple[list[dashboard.Figures], dict[str, str]]:
        """Per step: open tasks, their wait (median, 90th percentile), overdue, round trips."""
        return _dated(
            args["campaign"],
            lambda: dashboard.steps(new_view(), current_actor(), args["campaign"]),
        )


@blp.route("/agencies")
class Agencies(MethodView):
    @blp.doc(**BEARER)
    @blp.arguments(_AgencyArgs, location="query")
    @blp.response(200, AgencyFiguresSchema, headers=AS_OF)
    def get(self, args: dict[str, Any]) -> tuple[dashboard.AgencyFigures, dict[str, str]]:
        """The same figures per agency, sorted, a page of them; the ten longest-waiting open
        tasks."""
        return _dated(
            args["campaign"],
            lambda: dashboard.agencies(
                new_view(),
                current_actor(),
                args["campaign"],
                args["sort"],
                args["limit"],
                args["offset"],
            ),
        )


@blp.route("/units")
class Units(MethodView):
    @blp.doc(**BEARER)
    @blp.arguments(_UnitArgs, location="query")
    @blp.response(200, UnitProgressSchema(many=True), headers=AS_OF)
    def get(self, args: dict[str, Any]) -> tuple[list[dashboard.UnitProgress], dict[str, str]]:
        """The tree of units, parents first, with progress and counts rolled up per branch; a
        page of it."""
        return _dated(
            args["campaign"],
            lambda: dashboard.units(
                new_view(),
                current_actor(),
                args["campaign"],
                args["show"],
                args["limit"],
                args["offset"],
            ),
        )


@blp.route("/trend")
class Trend(MethodView):
    @blp.doc(**BEARER)
    @blp.arguments(TrendArgsSchema, location="query")
    @blp.response(200, TrendDaySchema(many=True), headers=AS_OF)
    def get(self, args: dict[str, Any]) -> tuple[list[dashboard.TrendDay], dict[str, str]]:
        """Tasks opened, closed and overdue per day (Vietnam time)."""
        return _dated(
            args["campaign"],
            lambda: dashboard.trend(
                new_view(), current_actor(), args["campaign"], args["start"], args["end"]
            ),
        )


@blp.route("/compare")
class Compare(MethodView):
    @blp.doc(**BEARER)
    @blp.arguments(CampaignArgsSchema, location="query")
    @blp.response(200, CompareSchema, headers=AS_OF)
    def get(self, args: dict[str, Any]) -> tuple[dashboard.Comparison, dict[str, str]]:
        """This campaign beside last year's cycle of the same plan at the same level."""
        return _dated(
            args["campaign"],
            lambda: dashboard.compare(new_view(), current_actor(), args["campaign"]),
        )
