"""No text of the other language on any page: each demo role, in Vietnamese and in English,
crawls every page its menu reaches and the first item of each list on them (a task, a process,
its history and documents, a dashboard, a notification, the admin pages) plus the 403 and 404
pages, and the page's own text is read in Chromium once its diagram is drawn: text nodes,
titles, placeholders and alt texts.

What users typed (plan titles, agency and people's names) is marked `lang="vi"` in the pages and
left out, as a screen reader would switch voice there; so are what they are typing (textareas),
internal codes (`<code>`), the window's title (it names the plan) and the per-row buttons'
aria-labels (they name the row's unit)."""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask

from service.cli import DEMO_PASSWORD
from service.demo import campaigns
from tests.browser.conftest import ARTIFACTS, LiveServer
from tests.browser.test_chain_browser import DESKTOP, PHONE
from tests.conftest import ROOT, SECOND_FACTOR_USERS, ApiClient, FakeClock, fresh_code

ROLES = {
    "clerk": "thanhhoa.congan",
    "reviewer": "thanhhoa.taichinh",
    "chairman": "thanhhoa.chutich",
    "supervisor": "thanhhoa.congan.truongphong",
    "auditor": "thanhhoa.thanhtra",
    "administrator": "admin",
    "commune": "xangason.congan",  # a commune of today, after the demo's reorganisation
}
# pages every role tries: some answer 403 to some roles, the last ones 404 to everyone
PROBES = ("/dashboard", "/audit", "/admin/users", "/processes/99999999", "/no-such-page")
# files, not pages, and forms that change something when followed
SKIP = re.compile(r"\.(pdf|csv|xlsx|docx|json|svg|png|zip)$|/files?/|/download|/api/|/logout")
# common English words that are not also Vietnamese words written without accents
ENGLISH = frozenset(
    """the and of is are this that these only you your with for from has have been was were
    will cannot can't please not there here which should must when who what page task tasks
    process step sign signed draft submit save error open none nothing yet by or into than
    may be done sent returned received other others all any""".split()
) - {"may"}  # "may" is a Vietnamese word too
TEXTS = """(lang) => {
  const own = (el) => { const m = el.closest('[lang]'); return !m || m.lang === lang; };
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || el.closest('script,style,template,textarea,code') || !own(el)) continue;
    const text = node.textContent.trim();
    if (text) out.push(text);
  }
  for (const el of document.body.querySelectorAll('[title],[placeholder],[alt]')) {
    if (!own(el)) continue;
    for (const a of ['title', 'placeholder', 'alt']) {
      const v = el.getAttribute(a);
      if (v && v.trim()) out.push(v.trim());
    }
  }
  return out;
}"""


# grey text against the nearest background behind it: WCAG's contrast ratio, 4.5:1 at least
CONTRAST = """() => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map((v) => {
    v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  }).reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const behind = (el) => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || c[3] > 0) return c;
    }
    return [255, 255, 255];
  };
  const low = [];
  for (const el of document.querySelectorAll('.muted, .sub, .breadcrumb, .footer, .stat-label')) {
    if (!el.offsetParent || !el.textContent.trim()) continue;
    const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(behind(el))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const text = el.textContent.trim().slice(0, 40);
    if (ratio < 4.5) low.push(`${el.className}: ${ratio.toFixed(2)} "${text}"`);
  }
  return low;
}"""


def _vietnamese(text: str) -> bool:
    """Any Vietnamese letter: a diacritic (tones, ă â ê ô ơ ư) or đ."""
    return any(unicodedata.combining(c) or c in "đĐ" for c in unicodedata.normalize("NFD", text))


def _english(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z']+", text.lower()) if w in ENGLISH}


def _wrong(lang: str, texts: list[str]) -> list[str]:
    if lang == "en":
        return [t for t in texts if _vietnamese(t)]
    return [f"{t!r} {sorted(_english(t))}" for t in texts if _english(t)]


def _pattern(url: str) -> str:
    """One page per kind: /tasks/12 and /tasks/13, /registers/a-b/2026 and /registers/c/2026,
    ?page=2 and ?page=3 are the same page for this test."""
    parts = urlsplit(url)
    path = "/".join("N" if re.search(r"[\d-]", seg) else seg for seg in parts.path.split("/"))
    keys = sorted(re.findall(r"([^&=]+)=", parts.query))
    return path + "?" + "&".join(keys)


def _login(chromium: Any, server: LiveServer, username: str, lang: str, viewport: Any) -> Any:
    context = chromium.new_context(viewport=viewport, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(server.url + "/login")
    if lang == "en":
        page.locator(".lang-switch button[value=en]").click()
        page.wait_for_load_state()
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.locator("form button[type=submit]").last.click()
    if username in SECOND_FACTOR_USERS:
        page.wait_for_url("**/login/code**")
        page.fill("#code", fresh_code(server.app, username))
        page.locator("form button[type=submit]").last.click()
    page.wait_for_selector("nav.mainnav")
    assert page.locator("html").get_attribute("lang") == lang
    return context, page


def _links(page: Any, server: LiveServer, scope: str) -> list[str]:
    hrefs = page.eval_on_selector_all(scope, "els => els.map(a => a.href)")
    return [
        h.split("#")[0]
        for h in hrefs
        if h.startswith(server.url) and not SKIP.search(urlsplit(h).path)
    ]


def _crawl(page: Any, server: LiveServer, lang: str, role: str) -> dict[str, list[str]]:
    """Menu pages, then breadth first the first link of each kind found on them (depth 3)."""
    menu = _links(page, server, "nav.mainnav a, .masthead-tools a")
    queue = [(url, 0) for url in menu] + [(server.url + p, 2) for p in PROBES]
    seen = {_pattern(url) for url, _ in queue}
    found: dict[str, list[str]] = {}
    while queue:
        url, depth = queue.pop(0)
        answer = page.goto(url)
        assert answer is not None and answer.status < 500, (url, answer and answer.status)
        if "text/html" not in answer.headers.get("content-type", ""):
            continue
        assert page.locator("html").get_attribute("lang") == lang, url
        if page.locator("[data-bpmn-viewer]").count():
            page.wait_for_selector("[data-bpmn-viewer][data-ready]", state="attached")
        wrong = _wrong(lang, page.evaluate(TEXTS, lang))
        if wrong:
            found[urlsplit(page.url).path + f" ({answer.status})"] = wrong
        if depth == 0:
            name = re.sub(r"\W+", "-", urlsplit(url).path).strip("-") or "home"
            page.screenshot(path=str(ARTIFACTS / f"lang-{role}-{lang}-{name}-1366.png"))
        if depth < 3:
            for link in _links(page, server, "#main a[href]"):
                if _pattern(link) not in seen:
                    seen.add(_pattern(link))
                    queue.append((link, depth + 1))
    return found


def played(app: Flask, api: ApiClient, clock: FakeClock, folder: Path) -> dict[str, Any]:
    """The demo's campaigns played up to 23 November 2026, 09:00 in Thanh Hóa: a template
    (tests/conftest.py), played once per worker, each test on a copy of its own."""
    clock.now = datetime(2026, 11, 23, 2, tzinfo=UTC)
    campaigns.play(app.extensions["session_factory"], clock.now)
    return {}


pytestmark = [pytest.mark.browser, pytest.mark.template.with_args(played)]


# one test per role and language: they run on every core, none much longer than the others
@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("role", sorted(ROLES))
def test_no_page_shows_text_of_the_other_language(
    chromium: Any, live_server: LiveServer, role: str, lang: str
) -> None:
    context, page = _login(chromium, live_server, ROLES[role], lang, DESKTOP)
    found = _crawl(page, live_server, lang, role)
    context.close()
    report = ARTIFACTS / f"lang-crawl-{role}-{lang}.json"
    report.write_text(json.dumps(found, ensure_ascii=False, indent=1))
    assert found == {}, f"see {report.relative_to(ROOT)}"


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_phone_pages_in_either_language(
    chromium: Any, live_server: LiveServer, lang: str
) -> None:
    """Screenshots at 390 px of the clerk's menu pages; grey text readable (4.5:1)."""
    context, page = _login(chromium, live_server, ROLES["clerk"], lang, PHONE)
    for url in _links(page, live_server, "nav.mainnav a"):
        page.goto(url)
        assert _wrong(lang, page.evaluate(TEXTS, lang)) == [], url
        assert page.evaluate(CONTRAST) == [], url
        name = re.sub(r"\W+", "-", urlsplit(url).path).strip("-")
        page.screenshot(path=str(ARTIFACTS / f"lang-clerk-{lang}-{name}-390.png"), full_page=True)
    context.close()
