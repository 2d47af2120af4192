"""Numbers, money, dates and deadlines the pages' way, through Babel's formatters; the page's
language and time zone.

Dates are dd/mm/yyyy in Vietnam time (UTC+7) in both languages; money is whole đồng grouped the
page's way ("165.000.000 đ"); deadlines count working days on the Vietnamese calendar.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from babel import dates, numbers
from flask import current_app, has_request_context, session
from flask_babel import format_date, get_locale, gettext, ngettext
from markupsafe import Markup

from workflows import calendar

VIETNAM = timezone(timedelta(hours=7), "ICT")
LOCALES = ("vi", "en")
DEFAULT_LOCALE = "vi"
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _locale() -> str:
    """The page's language; Vietnamese outside a request (mail, exports, tests)."""
    return str(get_locale() or DEFAULT_LOCALE) if has_request_context() else DEFAULT_LOCALE


def number(value: int | None) -> str:
    """Grouped the page's way: 165.000.000 in Vietnamese, 165,000,000 in English."""
    return "" if value is None else numbers.format_decimal(value, locale=_locale())


def money(value: int | None) -> str:
    """Whole đồng: 165000000 → "165.000.000 đ" (English pages: "165,000,000 VND")."""
    if value is None:
        return ""
    return f"{number(value)} {'VND' if _locale() == 'en' else 'đ'}"


def file_size(size: int) -> str:
    """Bytes as kilobytes to one decimal, the page's way: 8192 → "8,0 KB", 2100000 →
    "2.050,8 KB" (English pages: "8.0 KB", "2,050.8 KB")."""
    kilobytes = Decimal(size) / 1024
    return f"{numbers.format_decimal(kilobytes, format='#,##0.0', locale=_locale())} KB"


def typed(value: Any) -> Markup:
    """What users typed (titles, names of agencies and people): Vietnamese on any page, so
    marked for screen readers, and for the test that finds text of the other language."""
    if value is None or value == "":
        return Markup("")
    marked: Markup = Markup('<span lang="vi">%s</span>') % value  # the value escaped
    return marked


def _local(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(VIETNAM)


def vn_date(value: date | datetime | str | None) -> str:
    """dd/mm/yyyy; a moment is first put in Vietnam time."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return str(value)
    if isinstance(value, datetime):
        value = _local(value)
    return dates.format_date(value, "dd/MM/yyyy", locale=_locale())  # the same in both languages


def vn_datetime(value: datetime | None) -> str:
    """dd/mm/yyyy HH:MM, Vietnam time."""
    if value is None:
        return ""
    return dates.format_datetime(_local(value), "dd/MM/yyyy HH:mm", locale=_locale())


def as_of(value: datetime) -> str:
    """HH:MM dd/mm/yyyy, Vietnam time: when figures were computed ("Số liệu tính đến …")."""
    return dates.format_datetime(_local(value), "HH:mm dd/MM/yyyy", locale=_locale())


def _today() -> date:
    return calendar.local_day(current_app.extensions["clock"]())


def _last_day(value: date | datetime | str) -> date:
    """A task's due instant, or a dated deadline "before `value`" as plans write it."""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    if not isinstance(value, datetime):
        value = calendar.due_before(value)
    return calendar.last_day(_local(value))


def last_day(value: date | datetime | str | None) -> str:
    """The last day to act, as people read a deadline: a task due at 00:00 on 05/12 (a plan's
    "trước ngày 05/12") → "hết ngày 04/12/2026"."""
    if value is None or value == "":
        return ""
    day = format_date(_last_day(value), "dd/MM/yyyy")
    return str(gettext("by the end of %(date)s", date=day))


def days_left(value: date | datetime | str | None) -> str:
    """Working days left to act, or how late, on the Vietnamese calendar (as the dashboard
    counts), by the service's clock."""
    if value is None or value == "":
        return ""
    last, today = _last_day(value), _today()
    if today == last:
        return str(gettext("last day today"))
    if today < last:
        n = calendar.working_days_between(today, last)
        return str(ngettext("%(num)s working day left", "%(num)s working days left", n))
    n = calendar.working_days_between(last, today)
    return str(ngettext("%(num)s working day late", "%(num)s working days late", n)) if n else ""


def waited(value: datetime | None) -> str:
    """How long a task has waited, in working days on the Vietnamese calendar, by the service's
    clock: the dashboard's unit."""
    if value is None:
        return ""
    n = calendar.working_days_between(calendar.local_day(_local(value)), _today())
    if n == 0:
        return str(gettext("today"))
    return str(ngettext("%(num)s working day", "%(num)s working days", n))


def load_locale_data() -> None:
    """Read Babel's data of each language now (CLDR numbers and dates, and its global data),
    as the pages and the signed documents format with it: a tenth of a second of CPU at the
    first use, more from a cold disk. Called by `create_app`: gunicorn's workers, forked after
    it (preload_app), share what is loaded, and no user's first signing or page pays it."""
    moment = datetime(2026, 1, 1, tzinfo=VIETNAM)
    for code in LOCALES:
        numbers.format_decimal(165_000_000, locale=code)
        numbers.format_percent(0.5, locale=code)
        dates.format_date(moment.date(), "dd/MM/yyyy", locale=code)
        dates.format_datetime(moment, "dd/MM/yyyy HH:mm", locale=code)


def select_locale() -> str:
    chosen = session.get("lang")
    return chosen if chosen in LOCALES else DEFAULT_LOCALE


def select_timezone() -> str:
    return "Asia/Ho_Chi_Minh"


def html_lang() -> str:
    return select_locale()
