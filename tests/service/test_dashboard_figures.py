"""The dashboard's kept figures (service.operations.dashboard_figures) against the live
queries, the reference: after a refresh every view of every campaign reads what the live
computation gives, in a table of scenarios; stale campaigns, idempotence, two schedulers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, delete, func, select, text, update

from service.db.models import (
    Agency,
    DashboardAgency,
    DashboardFigure,
    DashboardPart,
    DashboardRefresh,
    ProcessInstance,
    Task,
    User,
)
from service.db.uow import UnitOfWork
from service.demo import bac_giang, campaigns
from service.operations.actors import Actor, load_actor
from service.operations.dashboard_figures import (
    REFRESH_LOCK,
    Patch,
    refresh_figures,
    stale_campaigns,
)
from service.operations.scheduler import tick
from service.queries import dashboard
from service.queries.reports import subtree_ids
from tests.conftest import ApiClient, FakeClock
from tests.service.test_cascade import at, report, run_scheduler, unit_plan
from tests.service.test_dashboard import (
    DISTRICT,
    HEALTH,
    MEDIA,
    SUPERVISOR,
    act,
    dash,
    play_campaign,
)
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
    campaigns.play(app.extensions["session_factory"], clock.now, stories=[bac_giang.schedule])


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
        for table in (DashboardFigure, DashboardAgency, DashboardPart, DashboardRefresh):
            session.execute(delete(table))
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


def _recounting(app: Flask, clock: FakeClock) -> list[set[int] | None]:
    """Refresh with the computation watched: what each campaign was recounted for (None:
    whole)."""
    seen: list[set[int] | None] = []

    def compute(uow: UnitOfWork, campaign: int, changed: set[int] | None) -> Any:
        seen.append(None if changed is None else set(changed))
        return dashboard.compute_figures(uow, campaign, changed)

    refresh_figures(lambda: _uow(app, clock, write=True), compute)
    return seen


def assert_recount_equals_whole(app: Flask, clock: FakeClock, changed: set[int] | None) -> None:
    """A refresh recounts `changed` only (in every campaign that holds them; None: a whole
    recount) and keeps, row for row, what a whole recount would."""
    seen = _recounting(app, clock)
    if changed is None:
        assert None in seen
    else:
        assert all(s is not None and s <= changed for s in seen), seen
        assert set().union(*(s or set() for s in seen)) == changed
    with _uow(app, clock) as read:
        for c in campaign_ids(app):
            whole = _written(dashboard.compute_figures(read, c, None))
            for kept_, counted in zip(_stored(read, c), whole, strict=True):
                differ = {
                    k for k in kept_.keys() | counted.keys() if kept_.get(k) != counted.get(k)
                }
                assert not differ, [(k, kept_.get(k), counted.get(k)) for k in differ]


PART = ("parent_id", "version", "position", "part")


def _stored(read: UnitOfWork, campaign: int) -> tuple[Any, ...]:
    figures = read.session.execute(
        select(DashboardFigure.view, DashboardFigure.position, DashboardFigure.row).where(
            DashboardFigure.campaign_id == campaign
        )
    )
    agencies = read.session.scalars(
        select(DashboardAgency).where(DashboardAgency.campaign_id == campaign)
    )
    parts = read.session.scalars(select(DashboardPart).where(DashboardPart.campaign_id == campaign))
    columns = [c.key for c in DashboardAgency.__table__.columns if c.key != "campaign_id"]
    return (
        {(v, p): row for v, p, row in figures},
        {a.agency_id: {k: getattr(a, k) for k in columns} for a in agencies},
        {p.instance_id: tuple(getattr(p, k) for k in PART) for p in parts},
    )


def _written(patch: Patch) -> tuple[Any, ...]:
    return (
        {(v, p): row for v, p, row in patch.figures},
        {a["agency_id"]: a for a in patch.agencies},
        {
            p["instance_id"]: (p["parent_id"], p["version"], p["position"], p["part"])
            for p in patch.parts
        },
    )


def test_a_refresh_recounts_only_the_units_that_changed(
    app: Flask, api: ApiClient, clock: FakeClock
) -> None:
    units = play_campaign(app, api, clock)
    assert refresh(app, clock) == 1
    # 25/5, later that day: Sở TT&TT sends its plan, late (a completion)
    clock.advance(minutes=10)
    act(api, "thanhhoa.sotttt", units[MEDIA], "submit", data=unit_plan("Kế hoạch TT&TT"))
    assert_recount_equals_whole(app, clock, {units[MEDIA]})
    # its director returns it (a return), and the next pass finds nothing new
    clock.advance(minutes=10)
    act(api, "thanhhoa.sotttt.giamdoc", units[MEDIA], "return", comment="Bổ sung dự toán.")
    assert_recount_equals_whole(app, clock, {units[MEDIA]})
    assert _recounting(app, clock) == []
    # a deadline moved by the scheduler changes tasks alone: their instance is recounted
    clock.advance(minutes=10)
    with app.extensions["session_factory"]() as session:
        session.execute(
            update(Task)
            .where(Task.instance_id == units[DISTRICT], Task.state == "open")
            .values(due_at=clock(), deadline_state="on_time")
        )
        session.commit()
    clock.advance(minutes=1)
    report_ = tick(lambda: _uow(app, clock, write=True), figures=dashboard.compute_figures)
    assert report_.deadline_changes > 0 and report_.figures_refreshed == 1
    assert_recount_equals_whole(app, clock, set())  # already recounted by the tick
    # the district signs: its unit starts, the tree grows, the province is recounted whole
    clock.advance(minutes=10)
    act(api, "thuongxuan.chutich", units[DISTRICT], "approve")
    assert_recount_equals_whole(app, clock, None)
    # 21/8, a new day (recounted whole): Sở TT&TT's plan goes through, its report comes late
    at(clock, "2023-08-21")
    act(api, "thanhhoa.sotttt", units[MEDIA], "submit", data=unit_plan("Kế hoạch TT&TT"))
    act(api, "thanhhoa.sotttt.giamdoc", units[MEDIA], "approve")
    assert_recount_equals_whole(app, clock, None)
    clock.advance(minutes=10)
    act(api, "thanhhoa.sotttt", units[MEDIA], "submit", data=report(1, 100, 1_000_000))
    act(api, "thanhhoa.sotttt.giamdoc", units[MEDIA], "approve")
    assert_recount_equals_whole(app, clock, {units[MEDIA]})
    with app.extensions["session_factory"]() as session:  # every instance counted once per tree
        parts = session.scalar(select(func.count()).select_from(DashboardPart))
        assert parts == sum(
            session.scalar(select(func.count()).select_from(subtree_ids(c)))
            for c in campaign_ids(app)
        )
    recounted = every_view(app, clock)  # and what the views read is what the live queries give
    forget(app)
    assert every_view(app, clock) == recounted


def test_a_page_of_agencies_and_units_is_a_range_of_the_whole(
    app: Flask, api: ApiClient, clock: FakeClock
) -> None:
    play_campaign(app, api, clock)
    at(clock, "2023-08-21")
    for kept_ in (False, True):  # live, then kept
        if kept_:
            refresh(app, clock)
        actor = _overseer(app, clock)
        for c in campaign_ids(app):
            for sort in dashboard.AGENCY_SORTS:
                whole = dashboard.agencies(_uow(app, clock), actor, c, sort).agencies
                pages = [
                    dashboard.agencies(_uow(app, clock), actor, c, sort, 2, offset).agencies
                    for offset in range(0, len(whole) + 2, 2)
                ]
                assert [a for page in pages for a in page] == whole
            for only in dashboard.UNIT_FILTERS:
                tree = dashboard.units(_uow(app, clock), actor, c, only)
                pages = [
                    dashboard.units(_uow(app, clock), actor, c, only, 2, offset)
                    for offset in range(0, len(tree) + 2, 2)
                ]
                assert [u for page in pages for u in page] == tree
