"""The dashboard's kept figures (service.operations.dashboard_figures) against the live
queries, the reference: after a refresh every view of every campaign reads what the live
computation gives, in a table of scenarios; stale campaigns, idempotence, two schedulers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, delete, func, select, text

from service.db.models import Agency, DashboardFigure, DashboardRefresh, ProcessInstance, User
from service.db.uow import UnitOfWork
from service.demo import bac_giang, campaigns
from service.operations.actors import Actor, load_actor
from service.operations.dashboard_figures import REFRESH_LOCK, refresh_figures, stale_campaigns
from service.operations.scheduler import tick
from service.queries import dashboard
from tests.conftest import ApiClient, FakeClock
from tests.service.test_cascade import at, run_scheduler, unit_plan
from tests.service.test_dashboard import HEALTH, MEDIA, SUPERVISOR, act, dash, play_campaign
from tests.service.test_reorganisation import (
    test_the_province_reorganises_while_its_movement_plan_runs as reorganised,
)
from tests.service.test_year_on_year import (
    test_the_merged_province_compares_with_both_provinces_last_year as merged,
)
from tests.web.conftest import Browser
from workflows.calendar import local_day

Scenario = Callable[[Flask, ApiClient, FakeClock], Any]


def _late_and_returned(app: Flask, api: ApiClient, clock: FakeClock) -> Any:
    return play_campaign(app, api, clock)  # late plans, returns, overdue steps, one report


def _reports_missing(app: Flask, api: ApiClient, clock: FakeClock) -> Any:
    units = play_campaign(app, api, clock)
    at(clock, "2023-08-21")  # the report deadline has passed: two units missing
    run_scheduler(app)
    return units


def _several_campaigns(app: Flask, api: ApiClient, clock: FakeClock) -> None:
    at(clock, "2026-11-23")  # the demo: two years of Thanh Hóa, then Bắc Giang's cycle
    campaigns.play(app.extensions["session_factory"], date(2026, 11, 23))
    bac_giang.play(app.extensions["session_factory"], date(2026, 11, 23))


SCENARIOS: dict[str, Scenario] = {
    "late and returned": _late_and_returned,
    "reports missing": _reports_missing,
    "reorganised units, work handed over": reorganised,
    "merged provinces, year on year": merged,
    "several campaigns (the demo)": _several_campaigns,
}


def _uow(app: Flask, clock: FakeClock, write: bool = False) -> UnitOfWork:
    return UnitOfWork(app.extensions["session_factory"], write=write, clock=clock)


def refresh(app: Flask, clock: FakeClock, force: bool = False) -> int:
    return refresh_figures(
        lambda: _uow(app, clock, write=True), dashboard.compute_figures, force=force
    )


def _overseer(app: Flask, clock: FakeClock) -> Actor:
    """A supervisor watching every level: the views' scope is tested elsewhere."""
    with app.extensions["session_factory"]() as session:
        user = session.scalars(select(User.id).filter_by(username=SUPERVISOR)).one()
        levels = frozenset(session.scalars(select(Agency.id)))
    return replace(load_actor(_uow(app, clock), user), overseen=levels)


def campaign_ids(app: Flask) -> list[int]:
    """The plans of no parent and those with units below them."""
    with app.extensions["session_factory"]() as session:
        parents = select(ProcessInstance.parent_id).where(ProcessInstance.parent_id.is_not(None))
        roots = select(ProcessInstance.id).where(ProcessInstance.parent_id.is_(None))
        return sorted(set(session.scalars(parents)) | set(session.scalars(roots)))


def every_view(app: Flask, clock: FakeClock) -> dict[tuple[int, str], Any]:
    """Every view, order and filter of every campaign, as the routes call them."""
    actor, views = _overseer(app, clock), {}
    for c in campaign_ids(app):
        views[c, "as_of"] = None  # compared apart
        views[c, "steps"] = dashboard.steps(_uow(app, clock), actor, c)
        for sort in dashboard.AGENCY_SORTS:
            views[c, f"agencies/{sort}"] = dashboard.agencies(_uow(app, clock), actor, c, sort)
        for only in dashboard.UNIT_FILTERS:
            views[c, f"units/{only}"] = dashboard.units(_uow(app, clock), actor, c, only)
        # the campaign's whole course, or its last TREND_MAX_DAYS for last year's
        end = local_day(clock())
        start = end - timedelta(days=dashboard.TREND_MAX_DAYS)
        with _uow(app, clock) as read:
            found = dashboard.campaign(read, actor, c)
        start = max(start, local_day(found.started_at))
        views[c, "trend"] = dashboard.trend(_uow(app, clock), actor, c, start, end)
        views[c, "compare"] = dashboard.compare(_uow(app, clock), actor, c)
    return views


def forget(app: Flask) -> None:
    """Drop the kept figures: the views compute live again."""
    with app.extensions["session_factory"]() as session:
        session.execute(delete(DashboardFigure))
        session.execute(delete(DashboardRefresh))
        session.commit()


def assert_kept_equal_live(app: Flask, clock: FakeClock) -> None:
    forget(app)
    live = every_view(app, clock)
    assert refresh(app, clock) == len(campaign_ids(app)) > 0
    kept = every_view(app, clock)
    assert kept.keys() == live.keys()
    for key, figures in live.items():
        assert kept[key] == figures, key


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_kept_figures_equal_the_live_ones(
    app: Flask, api: ApiClient, clock: FakeClock, scenario: str
) -> None:
    SCENARIOS[scenario](app, api, clock)
    assert_kept_equal_live(app, clock)
    # idempotent: nothing changed, nothing is written; forced, the same rows again
    assert refresh(app, clock) == 0
    before = every_view(app, clock)
    assert refresh(app, clock, force=True) == len(campaign_ids(app))
    assert every_view(app, clock) == before


def test_a_view_shows_the_last_refresh_until_the_next(
    app: Flask, api: ApiClient, clock: FakeClock
) -> None:
    units = play_campaign(app, api, clock)
    province = units["province"]
    factory = app.extensions["session_factory"]
    # never refreshed: live, as of now
    first = dash(api, "units", campaign=province)
    assert first.headers["Figures-As-Of"] == clock().isoformat()
    # the scheduler's pass with the computation refreshes the province (the only campaign)
    report = tick(lambda: _uow(app, clock, write=True), figures=dashboard.compute_figures)
    assert report.figures_refreshed == 1
    assert [c for c, _ in stale_campaigns(_uow(app, clock))] == []
    refreshed_at = clock()
    # Sở TT&TT sends its plan an hour later: the kept figures still say it has not
    clock.advance(hours=1)
    act(api, "thanhhoa.sotttt", units[MEDIA], "submit", data=unit_plan("Kế hoạch ngành TT&TT"))
    assert [c for c, _ in stale_campaigns(_uow(app, clock))] == [province]
    rows = {u["unit"]: u for u in dash(api, "units", campaign=province).json}
    assert rows[MEDIA]["plan_submitted"] is False
    answer = dash(api, "steps", campaign=province)
    assert answer.headers["Figures-As-Of"] == refreshed_at.isoformat()
    # the next pass picks it up, and only it
    assert refresh(app, clock) == 1
    rows = {u["unit"]: u for u in dash(api, "units", campaign=province).json}
    assert rows[MEDIA]["plan_submitted"] is True and rows[HEALTH]["reported"] is True
    # a new day: every campaign is stale (waits and missing reports move with the day)
    at(clock, "2023-05-26")
    assert [c for c, _ in stale_campaigns(_uow(app, clock))] == [province]
    # a page of the tree reads only its rows
    assert len(dash(api, "units", campaign=province, limit=2).json) == 2
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(DashboardRefresh)) == 1


def test_the_page_says_as_of_when(app: Flask, api: ApiClient, clock: FakeClock) -> None:
    province = play_campaign(app, api, clock)["province"]
    refresh(app, clock)  # 25/5/2023 09:00 in Vietnam
    page = Browser(app.test_client())
    page.login(SUPERVISOR)
    shown = page.get(f"/dashboard/{province}").get_data(as_text=True)
    assert "Số liệu tính đến 09:00 25/05/2023" in shown
    page.post("/language", {"lang": "en", "next": f"/dashboard/{province}"})
    english = page.get(f"/dashboard/{province}").get_data(as_text=True)
    assert "Figures as of 09:00 25/05/2023" in english


def test_two_schedulers_write_a_campaign_once(
    app: Flask, api: ApiClient, clock: FakeClock, database_url: str
) -> None:
    province = play_campaign(app, api, clock)["province"]
    if not database_url.startswith("postgresql"):
        # one writer at a time: the second pass finds the figures as new as its own
        assert refresh(app, clock) == 1 and refresh(app, clock) == 0
        return
    other = create_engine(database_url)
    with other.begin() as held:  # another scheduler is writing the province's figures
        held.execute(
            text("SELECT pg_advisory_xact_lock(:key, :campaign)"),
            {"key": REFRESH_LOCK, "campaign": province},
        )
        assert refresh(app, clock) == 0  # skipped, not waited for
    other.dispose()
    assert refresh(app, clock) == 1
