"""Every string of the pages is translated; Vietnamese formats; the English switch."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from flask import Flask, session

from service.errors import Message
from service.validation import NOT_A_DATE
from service.web.formats import file_size, money, vn_date, vn_datetime
from service.web.labels import translate_errors
from tests.conftest import PLAN_2023, ApiClient
from tests.web.conftest import Browser

ROOT = Path(__file__).parents[2]
CATALOGS = ROOT / "service" / "translations"
_AT_MOST = "Must be at most %(max)s."
_YEARS = "Enter a year from %(first_year)s to %(last_year)s."


def _catalog(lang: str) -> dict[str, object]:
    with (CATALOGS / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return {m.id if isinstance(m.id, str) else m.id[0]: m.string for m in read_po(f) if m.id}


def test_every_vietnamese_message_is_translated() -> None:
    empty = [
        msgid
        for msgid, msgstr in _catalog("vi").items()
        if not (msgstr if isinstance(msgstr, str) else all(msgstr))
    ]
    assert empty == []


def test_every_message_in_the_code_is_in_both_catalogs() -> None:
    used = {
        message if isinstance(message, str) else message[0]
        for _, _, message, *_ in extract_from_dir(
            ROOT / "service" / "web",
            method_map=[("**.py", "python"), ("**/templates/**.html", "jinja2")],
            keywords={"_": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2)},
        )
    } | {  # the reasons a field is wrong, coded where they are raised (service.errors.Message)
        message
        for _, _, message, *_ in extract_from_dir(
            ROOT / "service", method_map=[("**.py", "python")], keywords={"Message": (2,)}
        )
    }
    for lang in ("vi", "en"):
        missing = sorted(used - set(_catalog(lang)))
        assert missing == [], f"{lang}: run pybabel extract/update (README, Web)"


def test_vietnamese_dates_times_and_money() -> None:
    assert money(165_000_000) == "165.000.000 đ" and money(0) == "0 đ"
    assert vn_date(date(2023, 8, 20)) == "20/08/2023" and vn_date("2023-07-01") == "01/07/2023"
    late = datetime(2023, 8, 19, 17, 30, tzinfo=UTC)  # 00:30 the next day in Vietnam
    assert vn_datetime(late) == "20/08/2023 00:30" and vn_date(late) == "20/08/2023"


def test_file_sizes_in_the_pages_language(app: Flask) -> None:
    """Kilobytes to one decimal, grouped (Babel): the attached files' sizes."""
    assert file_size(8192) == "8,0 KB" and file_size(100) == "0,1 KB"
    assert file_size(2_100_000) == "2.050,8 KB" and file_size(20 * 1024 * 1024) == "20.480,0 KB"
    with app.test_request_context():
        session["lang"] = "en"
        assert file_size(8192) == "8.0 KB" and file_size(2_100_000) == "2,050.8 KB"


def test_field_errors_are_translated_by_code_with_vietnamese_numbers(app: Flask) -> None:
    errors = {
        "data": {
            "budget_lines": {0: {"unit_amount": [Message("too_large", _AT_MOST, max=10**12)]}},
            "year": [Message("year_out_of_range", _YEARS, first_year=2000, last_year=2100)],
            "window": {"end": [NOT_A_DATE]},
        },
        "comment": ["Something new."],
    }
    with app.test_request_context():
        shown = translate_errors(errors)
    assert shown == {
        "data": {
            "budget_lines": {"0": {"unit_amount": ["Không được quá 1.000.000.000.000."]}},
            "year": ["Nhập năm từ 2000 đến 2100."],  # a year is never grouped
            "window": {"end": ["Nhập ngày theo dạng dd/mm/yyyy."]},
        },
        "comment": ["Something new."],  # not a msgid: shown as it came
    }


def test_english_on_request_and_remembered(browser: Browser) -> None:
    page = browser.get("/login").get_data(as_text=True)
    assert '<html lang="vi">' in page and "Đăng nhập" in page
    answer = browser.post("/language", {"lang": "en", "next": "/login"})
    assert answer.status_code == 302 and answer.location == "/login"
    browser.login("thanhhoa.congan")
    page = browser.get("/inbox").get_data(as_text=True)
    assert '<html lang="en">' in page and ">Inbox" in page and "Log out" in page
    browser.post("/language", {"lang": "vi", "next": "/inbox"})
    assert "Hộp việc" in browser.get("/inbox").get_data(as_text=True)


def test_dashboard_downloads_speak_the_page_language(browser: Browser, api: ApiClient) -> None:
    """The tables a supervisor downloads carry the page's language: no Vietnamese in English."""
    api.start_plan("thanhhoa.congan")
    browser.login("thanhhoa.congan.truongphong")
    board = browser.get("/dashboard").location
    vi = browser.get(f"{board}/steps.csv").get_data(as_text=True).splitlines()[0].lstrip("\ufeff")
    assert vi.startswith("Bước,Việc đang chờ,Chờ - trung vị (ngày làm việc)")
    browser.post("/language", {"lang": "en", "next": "/inbox"})
    en = browser.get(f"{board}/steps.csv").get_data(as_text=True).splitlines()[0].lstrip("\ufeff")
    assert en.startswith("Step,Open tasks,Waiting - median (working days)") and en.isascii()
    chart = browser.get(f"{board}/trend.svg").get_data(as_text=True)
    assert "Tasks opened, completed and overdue per day" in chart


def test_every_refusal_of_the_rights_table_is_in_both_catalogs() -> None:
    """A 403 page says why in the page's language: the refusals are msgids (a 403 said
    "Only administrators manage users." on Vietnamese pages)."""
    from service.permissions import _REFUSALS

    for lang in ("vi", "en"):
        missing = sorted({m for _, m in _REFUSALS.values()} - set(_catalog(lang)))
        assert missing == [], lang


def test_what_users_typed_is_marked_vietnamese_on_an_english_process_page(
    browser: Browser, api: ApiClient
) -> None:
    """A return's comment and a changed title in the history are Vietnamese on an English
    page, and marked so (screen readers switch voice; the language crawl leaves them out)."""
    process = api.start_plan("thanhhoa.congan")
    draft = api.only_task("thanhhoa.congan")["id"]
    assert api.complete("thanhhoa.congan", draft, "submit", data=PLAN_2023).status_code == 200
    appraisal = api.only_task("thanhhoa.taichinh")["id"]
    returned = api.complete("thanhhoa.taichinh", appraisal, "return", comment="Làm rõ dự toán.")
    assert returned.status_code == 200
    redraft = api.only_task("thanhhoa.congan")["id"]
    renamed = PLAN_2023 | {"title": "Kế hoạch đã sửa tên"}
    assert api.complete("thanhhoa.congan", redraft, "submit", data=renamed).status_code == 200
    browser.login("thanhhoa.congan")
    browser.post("/language", {"lang": "en", "next": "/inbox"})
    page = browser.get(f"/processes/{process}").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert '<blockquote class="comment" lang="vi">Làm rõ dự toán.</blockquote>' in page
    assert '<td class="new"><span lang="vi">Kế hoạch đã sửa tên</span></td>' in page
