"""Comments and attached files on the pages: sent from the task page, read on the process
page and in the notifications of the agency mentioned; bad files answer 400 at the file field;
whatever is typed or named is shown as text, never as HTML."""

from __future__ import annotations

import re
from io import BytesIO

from service.operations.conversations import MAX_ATTACHMENT
from tests.conftest import PLAN_2023, ApiClient
from tests.security.test_html_escaping import PAYLOADS, _dangers
from tests.service.attached_samples import EXE, PDF, multipart, png
from tests.web.conftest import Browser

POLICE, FINANCE = "thanhhoa.congan", "thanhhoa.taichinh"


def _at_finance(api: ApiClient) -> tuple[int, int]:
    process = api.start_plan(POLICE)
    draft = api.only_task(POLICE)
    assert api.complete(POLICE, draft["id"], "submit", data=PLAN_2023).status_code == 200
    return process, api.only_task(FINANCE)["id"]


def test_a_question_from_the_task_page_reaches_the_police(api: ApiClient, browser: Browser) -> None:
    process, task = _at_finance(api)
    browser.login(FINANCE)
    page = browser.get(f"/tasks/{task}").get_data(as_text=True)
    assert 'id="conversation-title"' in page and 'value="thanh-hoa-cong-an"' in page
    sent = browser.post(
        f"/processes/{process}/comments",
        {
            "body": "Đề nghị làm rõ số suất quà cấp xã.",
            "task": str(task),
            "next": f"/tasks/{task}",
            "mentions": "thanh-hoa-cong-an",
        },
    )
    assert sent.status_code == 303 and sent.location.startswith(f"/tasks/{task}")
    attached = browser.post(
        f"/processes/{process}/attachments",
        {"file": [(BytesIO(PDF), "du-toan.pdf")], "task": str(task), "next": f"/tasks/{task}"},
    )
    assert attached.status_code == 303
    page = browser.get(f"/tasks/{task}").get_data(as_text=True)
    assert "Đề nghị làm rõ số suất quà cấp xã." in page and "du-toan.pdf" in page

    police = Browser(browser.client.application.test_client())
    police.login(POLICE)
    assert "Đề nghị làm rõ số suất quà cấp xã." in police.get("/notifications").get_data(
        as_text=True
    )
    shown = police.get(f"/processes/{process}").get_data(as_text=True)
    assert "Đề nghị làm rõ số suất quà cấp xã." in shown
    (attachment,) = re.findall(r"/attachments/(\d+)/preview", shown)[:1]
    preview = police.get(f"/attachments/{attachment}/preview")
    assert preview.status_code == 200 and preview.data == PDF
    assert preview.headers["Content-Disposition"].startswith("inline")
    assert preview.mimetype == "application/pdf"
    assert preview.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in preview.headers["Content-Security-Policy"]
    download = police.get(f"/attachments/{attachment}")
    assert download.headers["Content-Disposition"].startswith("attachment")


def test_the_next_step_reads_what_was_asked_and_sent_at_the_one_before(
    api: ApiClient, browser: Browser
) -> None:
    """Finance asks, attaches and returns the plan: the Police's returned task shows both,
    named by the step they were written at; what the Police then write shows on their own
    step without one."""
    process, task = _at_finance(api)
    asked = api.post(
        f"/api/v1/processes/{process}/comments",
        FINANCE,
        json={"body": "Đề nghị làm rõ số suất quà.", "task": task},
    )
    assert asked.status_code == 201, asked.json
    sent = api.post(
        f"/api/v1/processes/{process}/attachments",
        FINANCE,
        data={"file": (BytesIO(PDF), "du-toan.pdf"), "task": str(task)},
    )
    assert sent.status_code == 201, sent.json
    returned = api.complete(FINANCE, task, "return", comment="Xem ý kiến.")
    assert returned.status_code == 200, returned.json
    redraft = api.only_task(POLICE)["id"]
    api.post(
        f"/api/v1/processes/{process}/comments",
        POLICE,
        json={"body": "Đã làm rõ.", "task": redraft},
    )
    browser.login(POLICE)
    page = browser.get(f"/tasks/{redraft}").get_data(as_text=True)
    question = page.index("Đề nghị làm rõ số suất quà.")
    answer = page.index("Đã làm rõ.")
    step = api.get(f"/api/v1/tasks/{task}", FINANCE).json["name"]
    badge = f'Tại bước: <span lang="vi">{step}</span>'
    assert page.count(badge) == 2  # the question and the file, at Finance's step
    assert page.index(badge) < question < answer  # the question's, above it; none on the answer
    assert "du-toan.pdf" in page
    thread = api.get(f"/api/v1/processes/{process}/conversation", POLICE).json
    assert [(c["body"], c["step"]) for c in thread["comments"]] == [
        ("Đề nghị làm rõ số suất quà.", step),
        ("Đã làm rõ.", api.get(f"/api/v1/tasks/{redraft}", POLICE).json["name"]),
    ]
    assert [f["step"] for f in thread["attachments"]] == [step]


def test_bad_files_answer_400_at_the_file_field(api: ApiClient, browser: Browser) -> None:
    process, _ = _at_finance(api)
    browser.login(FINANCE)
    browser.get(f"/processes/{process}")
    for content, name in ((EXE, "ke-hoach.pdf"), (b"just text", "ghi-chu.txt"), (b"", "x.pdf")):
        answer = browser.post(
            f"/processes/{process}/attachments",
            {"file": [(BytesIO(content), name)]},  # a list: MultiDict splits a tuple
        )
        assert answer.status_code == 400, name
        page = answer.get_data(as_text=True)
        assert 'id="attach-file-error"' in page and 'aria-invalid="true"' in page
    empty = browser.post(f"/processes/{process}/comments", {"body": "  "})
    assert empty.status_code == 400 and 'id="comment-body-error"' in empty.get_data(as_text=True)
    body = "Giữ lại nội dung đã gõ"
    stranger = browser.post(
        f"/processes/{process}/comments", {"body": body, "mentions": "ha-noi-cong-an"}
    )
    assert stranger.status_code == 400 and body in stranger.get_data(as_text=True)
    over = PDF + b"\0" * (MAX_ATTACHMENT + 1 - len(PDF))
    request = multipart(over, "lon.pdf")
    request["data"] = (  # the form token goes first, as a browser sends the form in order
        f'--attached-sample-boundary\r\nContent-Disposition: form-data; name="csrf_token"'
        f"\r\n\r\n{browser.token}\r\n"
    ).encode() + request["data"]  # type: ignore[operator]
    too_large = browser.client.post(f"/processes/{process}/attachments", **request)
    assert too_large.status_code == 400
    assert 'id="attach-file-error"' in too_large.get_data(as_text=True)
    far_over = multipart(over + b"\0" * (2 * 1024 * 1024), "lon.pdf")
    refused = browser.client.post(f"/processes/{process}/attachments", **far_over)
    assert refused.status_code == 413 and "Tệp quá lớn" in refused.get_data(as_text=True)


def test_comments_and_file_names_are_shown_as_text(api: ApiClient, browser: Browser) -> None:
    process, task = _at_finance(api)
    for payload in PAYLOADS:
        answer = api.post(
            f"/api/v1/processes/{process}/comments",
            FINANCE,
            json={"body": payload, "task": task, "mentions": ["thanh-hoa-cong-an"]},
        )
        assert answer.status_code == 201, answer.json
    for payload in PAYLOADS[:10]:
        attached = api.post(
            f"/api/v1/processes/{process}/attachments",
            FINANCE,
            data={"file": (BytesIO(png()), payload[:200])},
        )
        assert attached.status_code == 201, attached.json
    browser.login(FINANCE)
    for path in (f"/processes/{process}", f"/tasks/{task}"):
        page = browser.get(path).get_data(as_text=True)
        assert _dangers(page) == [], path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    police = Browser(browser.client.application.test_client())
    police.login(POLICE)
    assert _dangers(police.get("/notifications").get_data(as_text=True)) == []


def test_file_sizes_are_written_the_pages_way(api: ApiClient, browser: Browser) -> None:
    """Kilobytes with the page's decimal comma or point, and grouped: not "2050.8 KB"."""
    process, _ = _at_finance(api)
    for size in (8192, 2_100_000):
        content = PDF + b"\0" * (size - len(PDF))  # built here: the client would spool it
        sent = multipart(content, f"du-toan-{size}.pdf")
        attached = api.post(f"/api/v1/processes/{process}/attachments", FINANCE, **sent)
        assert attached.status_code == 201, attached.json
    browser.login(FINANCE)
    page = browser.get(f"/processes/{process}").get_data(as_text=True)
    assert "8,0 KB" in page and "2.050,8 KB" in page and "8.0 KB" not in page
    browser.post("/language", {"lang": "en", "next": f"/processes/{process}"})
    page = browser.get(f"/processes/{process}").get_data(as_text=True)
    assert "8.0 KB" in page and "2,050.8 KB" in page and "2.050,8 KB" not in page
