"""The process page's "Văn bản" section while the render worker prepares a signed document."""

from __future__ import annotations

from flask import Flask

from tests.conftest import ApiClient, render_documents
from tests.service.test_documents import CHAIRMAN, POLICE, to_signature
from tests.web.conftest import Browser


def test_the_page_says_the_document_is_being_prepared_until_it_is(
    app: Flask, api: ApiClient, browser: Browser
) -> None:
    signed = api.complete(CHAIRMAN, to_signature(api), "approve")
    assert signed.status_code == 200, signed.json
    process_id = signed.json["process_id"]
    browser.login(POLICE)
    page = browser.get(f"/processes/{process_id}").get_data(as_text=True)
    assert "Số: 1/KH-BCĐ" in page and "Đang chuẩn bị văn bản…" in page
    assert "Tải PDF" not in page
    early = browser.client.get("/documents/1/pdf")  # followed too soon: back to the page
    assert (early.status_code, early.location) == (303, f"/processes/{process_id}#documents-title")
    browser.post("/language", {"lang": "en", "next": "/inbox"})
    assert "Preparing the document…" in browser.get(f"/processes/{process_id}").get_data(
        as_text=True
    )
    browser.post("/language", {"lang": "vi", "next": "/inbox"})

    assert render_documents(app).rendered == 1
    page = browser.get(f"/processes/{process_id}").get_data(as_text=True)
    assert "Đang chuẩn bị văn bản…" not in page and "Tải PDF" in page
    ready = browser.client.get("/documents/1/pdf")
    assert (ready.status_code, ready.mimetype) == (200, "application/pdf")
