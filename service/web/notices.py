"""Notifications in the reader's language: each is stored with a message id and its parameters
(service/operations: deadlines, supervision, conversations) and worded here when read. What
users typed (titles, agencies, people, comments) stays as typed, marked `lang="vi"`; the step is
named by its id. Rows sent before the message ids keep their stored Vietnamese text."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext
from markupsafe import Markup, escape

from service.queries.notifications import NotificationView
from service.web.formats import typed, vn_date
from service.web.labels import STEPS, label

TEXTS = {
    "reminder_due": lazy_gettext(
        "Reminder (due): “%(step)s” — %(title)s; due by the end of %(day)s."
    ),
    "reminder_overdue": lazy_gettext(
        "Reminder (overdue): “%(step)s” — %(title)s; due by the end of %(day)s."
    ),
    "reminder_from": lazy_gettext("Reminder from %(agency)s (%(person)s): “%(step)s” — %(title)s."),
    "reminder_from_due": lazy_gettext(
        "Reminder from %(agency)s (%(person)s): “%(step)s” — %(title)s; due by the end of %(day)s."
    ),
    "mention": lazy_gettext("Comment from %(agency)s: “%(excerpt)s” — %(title)s"),
}
TYPED = ("agency", "person", "title", "excerpt")


def notice_text(row: NotificationView) -> Markup:
    """The notification's words for this page; its stored text when it has no message id."""
    text_id, params = row.text_id, row.params or {}
    if text_id == "reminder_from" and params.get("day"):
        text_id = "reminder_from_due"
    found = TEXTS.get(text_id or "")
    if found is None:
        return typed(row.message)
    values: dict[str, Any] = {key: typed(params.get(key)) for key in TYPED}
    values["step"] = label(STEPS, params.get("step"), params.get("step_name"))
    values["day"] = vn_date(params.get("day"))
    try:
        return escape(str(found)) % values  # the values escaped, typed ones marked
    except (KeyError, ValueError, TypeError):  # a translation with a stray placeholder
        return typed(row.message)
