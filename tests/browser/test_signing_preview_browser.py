"""Daily work in Chromium, in Vietnamese and English, at 1366 and 390 px: the Chairman reads the
document to sign (a framed preview) and the number it will take, signs, and is told the number
given and the units reached; the drafter picks a pilot site's unit from a list narrowed by
typing; the standing body copies last year's plan into this year's."""

from __future__ import annotations

from typing import Any

import pypdfium2
import pytest

from tests.browser.conftest import ARTIFACTS, LiveServer
from tests.browser.test_chain_browser import DESKTOP, PHONE, Person
from tests.browser.test_documents_browser import _to_signature

pytestmark = pytest.mark.browser

SIZES = {"1366": DESKTOP, "390": PHONE}


def _english(person: Person) -> None:
    person.page.get_by_role("button", name="English").click()
    person.page.wait_for_load_state()


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("size", list(SIZES))
def test_the_chairman_reads_the_preview_and_the_number_then_signs(
    chromium: Any, live_server: LiveServer, lang: str, size: str
) -> None:
    _to_signature(live_server)
    chairman = Person(chromium, live_server, "thanhhoa.chutich", viewport=SIZES[size])
    page = chairman.page
    if lang == "en":
        _english(chairman)
    chairman.open_task("Ngày hội")
    preview = page.locator("[data-signing-preview]")
    frame = preview.locator("iframe.document-frame")
    assert frame.get_attribute("src").endswith("/preview.pdf")
    box = frame.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 250  # readable on a phone
    confirm = page.locator("[data-signing-confirm]").inner_text()
    if lang == "vi":
        assert "Văn bản sẽ được cấp số 1/KH-BCĐ." in confirm
        assert "dự kiến" in confirm and "Nơi nhận:" in confirm
        assert "Huyện Nga Sơn (để t/h)" in confirm
    else:
        assert "The document will take no. 1/KH-BCĐ." in confirm
        assert "indicative" in confirm and "Sent to:" in confirm
    link = preview.get_by_role(
        "link", name="Mở bản xem trước" if lang == "vi" else "Open the preview"
    )
    answer = page.request.get(live_server.url + link.get_attribute("href"))
    assert answer.status == 200 and answer.headers["content-type"] == "application/pdf"
    assert answer.headers["x-frame-options"] == "SAMEORIGIN"
    # headless Chromium draws no PDF in a frame: the preview's first page, as pdfium renders it
    pdf = pypdfium2.PdfDocument(answer.body())
    try:
        pdf[0].render(scale=1.2).to_pil().save(ARTIFACTS / f"signing-preview-pdf-{lang}.png")
    finally:
        pdf.close()
    chairman.shot(f"signing-preview-{lang}-{size}")

    chairman.decide("Ký ban hành" if lang == "vi" else "Sign and issue")
    flash = page.locator(".flash-success").first.inner_text()
    if lang == "vi":
        assert "Đã ký và ban hành Kế hoạch số 1/KH-BCĐ, gửi tới 9 đơn vị." in flash
    else:
        assert "Signed and issued plan no. 1/KH-BCĐ, sent to 9 units." in flash
    chairman.shot(f"signed-{lang}-{size}")
    chairman.close()


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("size", list(SIZES))
def test_copy_last_year_and_pick_a_pilot_unit(
    chromium: Any, live_server: LiveServer, lang: str, size: str
) -> None:
    process = _to_signature(live_server)
    chairman = Person(chromium, live_server, "thanhhoa.chutich")
    chairman.open_task("Ngày hội")
    chairman.decide("Ký ban hành")
    chairman.close()
    assert process
    live_server.clock.advance(days=366)  # a year on: 2024

    police = Person(chromium, live_server, "thanhhoa.congan", viewport=SIZES[size])
    page = police.page
    if lang == "en":
        _english(police)
    police.goto("/inbox")
    page.get_by_role(
        "button", name="Sao chép kế hoạch năm trước" if lang == "vi" else "Copy last year's plan"
    ).click()
    page.wait_for_url("**/tasks/*")
    copied = page.locator(".flash-success").first.inner_text()
    assert (
        "Đã sao chép kế hoạch năm trước" if lang == "vi" else "Last year's plan is copied"
    ) in copied
    assert page.locator("#f-data-year").input_value() == "2024"
    assert page.locator("#f-data-window-start").input_value() == "01/07/2024"
    assert "2024" in page.locator("#f-data-title").input_value()

    # the first pilot site's unit: a list of the province's units, narrowed by typing
    unit = page.locator("#f-data-pilot_sites-0-agency")
    assert unit.evaluate("el => el.tagName") == "SELECT"
    assert unit.input_value() == "thuong-xuan-tt-thuong-xuan"  # kept from last year's plan
    search = page.locator("#f-data-pilot_sites-0-agency-filter")
    assert search.is_visible()
    search.fill("nga lien")  # without accents
    visible = unit.evaluate(
        "el => [...el.options].filter(o => !o.hidden && o.value).map(o => o.value)"
    )
    assert "nga-son-nga-lien" in visible and "thanh-hoa-so-y-te" not in visible
    unit.select_option("nga-son-nga-lien")
    police.shot(f"copy-last-year-pilot-{lang}-{size}")
    police.decide("Trình thẩm định" if lang == "vi" else "Submit for appraisal")
    police.close()
