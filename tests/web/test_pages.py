"""The inbox's filters and pages, notifications, and substitutions."""

from __future__ import annotations

from flask import Flask

from service.db.uow import UnitOfWork
from service.operations.scheduler import tick
from tests.conftest import PLAN_2023, ApiClient, FakeClock
from tests.web.conftest import Browser

POLICE, FINANCE, CHAIRMAN, DEPUTY = (
    "thanhhoa.congan",
    "thanhhoa.taichinh",
    "thanhhoa.chutich",
    "thanhhoa.phochutich",
)


def _rows(page: str) -> int:
    return page.count('class="row-link"')


def test_inbox_search_ignores_diacritics_and_filters_and_pages(
    app: Flask, api: ApiClient, browser: Browser
) -> None:
    first = api.start_plan(POLICE)
    api.post(
        "/api/v1/processes", POLICE, json={"definition": "plan_chain", "title": "Sơ kết 6 tháng"}
    )
    browser.login(POLICE)
    page = browser.get("/inbox").get_data(as_text=True)
    assert _rows(page) == 2 and '<span class="count"' in page
    assert _rows(browser.get("/inbox?q=ngay+hoi").get_data(as_text=True)) == 1
    assert _rows(browser.get("/inbox?q=Ng%C3%A0y+h%E1%BB%99i+2023").get_data(as_text=True)) == 1
    assert _rows(browser.get("/inbox?q=2023+ngay+hoi").get_data(as_text=True)) == 1
    assert _rows(browser.get("/inbox?q=ngay+hoi+2024").get_data(as_text=True)) == 0
    assert _rows(browser.get("/inbox?q=SO+KET").get_data(as_text=True)) == 1
    assert _rows(browser.get(f"/inbox?process={first}").get_data(as_text=True)) == 1
    assert _rows(browser.get("/inbox?step=finance_appraisal").get_data(as_text=True)) == 0
    page = browser.get("/inbox?overdue=1").get_data(as_text=True)
    assert "Không có công việc nào phù hợp bộ lọc." in page
    app.config["INBOX_PAGE_SIZE"] = 1
    page = browser.get("/inbox").get_data(as_text=True)
    assert _rows(page) == 1 and 'rel="next"' in page and 'rel="prev"' not in page
    page = browser.get("/inbox?page=2").get_data(as_text=True)
    assert _rows(page) == 1 and 'rel="prev"' in page and 'rel="next"' not in page


def test_overdue_tasks_are_marked_counted_and_notified(
    app: Flask, api: ApiClient, browser: Browser, clock: FakeClock
) -> None:
    api.start_plan(POLICE)
    draft = api.only_task(POLICE)
    api.complete(POLICE, draft["id"], "submit", data=PLAN_2023)
    clock.advance(days=40)
    tick(lambda: UnitOfWork(app.extensions["session_factory"], clock=clock))
    browser.login(FINANCE)
    page = browser.get("/inbox").get_data(as_text=True)
    assert 'badge badge-overdue">Quá hạn' in page and "1 quá hạn" in page
    assert _rows(browser.get("/inbox?overdue=1").get_data(as_text=True)) == 1
    page = browser.get("/notifications").get_data(as_text=True)
    assert "Thông báo" in page and page.count("<tr>") >= 2  # a header and a reminder at least


def test_a_leader_names_a_substitute_and_ends_it(new_browser: object) -> None:
    chairman, deputy, police = (new_browser() for _ in range(3))  # type: ignore[operator]
    chairman.login(CHAIRMAN)
    page = chairman.get("/delegations").get_data(as_text=True)
    assert "Ủy quyền người thay thế" in page and "Trịnh Quốc Khánh" in page
    bad = chairman.post(
        "/delegations",
        {"substitute": DEPUTY, "starts": "30/04/2023", "ends": "20/04/2023", "kind": "TUQ"},
    )
    assert bad.status_code == 422
    assert "Ngày kết thúc trước ngày bắt đầu." in bad.get_data(as_text=True)
    assert 'value="30/04/2023"' in bad.get_data(as_text=True)
    done = chairman.post(
        "/delegations",
        {"substitute": DEPUTY, "starts": "20/04/2023", "ends": "30/04/2023", "kind": "TUQ"},
    )
    assert done.status_code == 302
    page = chairman.get("/delegations").get_data(as_text=True)
    assert "Đang hiệu lực" in page and "20/04/2023 – 30/04/2023" in page
    deputy.login(DEPUTY)
    assert "Đang hiệu lực" in deputy.get("/delegations").get_data(as_text=True)
    grant_id = page.split("/delegations/", 1)[1].split("/", 1)[0]
    police.login(POLICE)
    assert "Ủy quyền người thay thế" not in police.get("/delegations").get_data(as_text=True)
    assert police.post(f"/delegations/{grant_id}/revoke").status_code == 403
    assert chairman.post(f"/delegations/{grant_id}/revoke").status_code == 302
    assert "Đã chấm dứt" in chairman.get("/delegations").get_data(as_text=True)


def test_a_substitute_signs_tuq_within_the_dates(
    api: ApiClient, new_browser: object, clock: FakeClock
) -> None:
    office = "thanhhoa.vanphong.chanhvanphong"  # Chánh Văn phòng UBND tỉnh: a sibling agency
    api.start_plan(POLICE)
    draft = api.only_task(POLICE)
    assert api.complete(POLICE, draft["id"], "submit", data=PLAN_2023).status_code == 200
    reviewed = {"nominations": [{**n, "accepted": True} for n in PLAN_2023["nominations"]]}
    for user, data in ((FINANCE, {}), ("thanhhoa.thiduakhenthuong", reviewed)):
        assert (
            api.complete(user, api.only_task(user)["id"], "approve", data=data).status_code == 200
        )
    chairman, substitute = new_browser(), new_browser()  # type: ignore[operator]
    chairman.login(CHAIRMAN)
    assert "Văn phòng Ủy ban nhân dân tỉnh Thanh Hóa" in chairman.get("/delegations").get_data(
        as_text=True
    )
    form = {"substitute": office, "starts": "20/04/2023", "ends": "21/04/2023", "kind": "TUQ"}
    assert chairman.post("/delegations", form).status_code == 302
    substitute.login(office)
    inbox = substitute.get("/inbox").get_data(as_text=True)
    assert "Ký ban hành" in inbox and "badge-neutral" in inbox  # on someone's behalf
    signing = api.only_task(CHAIRMAN)
    page = substitute.get(f"/tasks/{signing['id']}").get_data(as_text=True)
    print(page[page.find("<main") : page.find("<main") + 2500])
    assert "Bạn ký thay" in page and "TUQ. CHỦ TỊCH" in page
    clock.advance(days=3)  # the range is over: the rights end with it
    assert substitute.get(f"/tasks/{signing['id']}").status_code == 403
    clock.advance(days=-3)
    assert substitute.complete(signing["id"], "approve").status_code == 302
    police = new_browser()  # type: ignore[operator]
    police.login(POLICE)
    process = police.get(f"/processes/{signing['process_id']}").get_data(as_text=True)
    assert "TUQ. CHỦ TỊCH" in process and "Lê Văn Thành" in process
