"""The user's own sessions: where they are logged in, and ending the others (a phone lost,
a shared computer left logged in)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import ngettext
from flask_login import current_user, login_required

from service.operations import sessions
from service.web.deps import current_actor, new_uow, wall_clock

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.get("/sessions")
@login_required
def index() -> ResponseReturnValue:
    rows = sessions.mine(new_uow(write=False), current_actor(), current_user.session_id)
    return render_template("account_sessions.html", rows=rows)


@bp.post("/sessions/<int:session_id>/end")
@login_required
def end_one(session_id: int) -> ResponseReturnValue:
    _end(session_id=session_id)
    return redirect(url_for("web.account.index"))


@bp.post("/sessions/end-others")
@login_required
def end_others() -> ResponseReturnValue:
    _end(keep=current_user.session_id)
    return redirect(url_for("web.account.index"))


def _end(keep: int | None = None, session_id: int | None = None) -> None:
    actor = current_actor()
    ended = sessions.end_mine(new_uow(), actor, wall_clock(), keep, session_id)
    flash(ngettext("%(num)d session ended.", "%(num)d sessions ended.", ended), "info")
