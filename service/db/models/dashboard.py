"""The supervisors' dashboard, materialised: each campaign's view rows as the live queries
computed them at `as_of`, refreshed by the scheduler off the request path
(service.operations.dashboard_figures), so a view reads rows bounded by what it shows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base


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
