"""The supervisors' dashboard, materialised: each campaign's view rows as the live queries
computed them at `as_of`, refreshed by the scheduler off the request path
(service.operations.dashboard_figures), so a view reads rows bounded by what it shows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base

AGENCY_ORDERS = ("wait_p90", "wait_p50", "open", "overdue", "returns")  # each with an index


class DashboardRefresh(Base):
    """When a campaign's figures were computed, and what of its tree they were computed
    from (its instances' count and versions, the day in Vietnam): a new fingerprint means
    they are stale."""

    __tablename__ = "dashboard_refresh"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), primary_key=True)
    as_of: Mapped[datetime]
    fingerprint: Mapped[str] = mapped_column(String(64))


class DashboardFigure(Base):
    """One row of one view of a campaign, in the order the view shows it (`position`; the
    day's ordinal for the trend), as JSON. A view with several orders or filters has one
    list per order ("agencies/open", "units/late"), so a page of any of them is a range."""

    __tablename__ = "dashboard_figure"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("dashboard_refresh.campaign_id", ondelete="CASCADE"), primary_key=True
    )
    view: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    row: Mapped[dict[str, Any]]


class DashboardPart(Base):
    """What one instance of a campaign's tree adds to its figures (its tasks counted per step,
    agency and day, its unit's flags), as of its `version`: a refresh recounts only the
    instances whose version moved and rolls the difference up. `position` is the unit's place
    in the tree, depth first (its rows' position in every `units/…` view)."""

    __tablename__ = "dashboard_part"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("dashboard_refresh.campaign_id", ondelete="CASCADE"), primary_key=True
    )
    instance_id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None]
    version: Mapped[int]
    position: Mapped[int]
    part: Mapped[dict[str, Any]]


class DashboardAgency(Base):
    """An agency's figures in a campaign, one row each, so that a page of any order is an
    index range and a change rewrites one row; `waits` is how many open tasks it got per day
    (the percentiles' source), `tasks` all of its tasks (none left: the row goes)."""

    __tablename__ = "dashboard_agency"
    __table_args__ = tuple(
        Index(f"ix_dashboard_agency_{key}", "campaign_id", f"{key}_key", "name_key", "agency_id")
        for key in AGENCY_ORDERS
    ) + (Index("ix_dashboard_agency_name", "campaign_id", "name_key", "agency_id"),)

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("dashboard_refresh.campaign_id", ondelete="CASCADE"), primary_key=True
    )
    agency_id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    open: Mapped[int]
    overdue: Mapped[int]
    returns: Mapped[int]
    done: Mapped[int]
    tasks: Mapped[int]
    wait_p50: Mapped[int | None]
    wait_p90: Mapped[int | None]
    # the orders' keys, negated so every index runs ascending: -(value or 0)
    wait_p90_key: Mapped[int]
    wait_p50_key: Mapped[int]
    open_key: Mapped[int]
    overdue_key: Mapped[int]
    returns_key: Mapped[int]
    # the name as hex of its UTF-8: sorts as Python sorts names in any database collation
    name_key: Mapped[str] = mapped_column(Text)
    waits: Mapped[dict[str, Any]]
