"""Routes compile their URL builders at first use (service.app.LazyRule): the URLs are
Werkzeug's own."""

from __future__ import annotations

from werkzeug.routing import Map, Rule

from service.app import LazyRule

_ROUTES = [
    ("/api/v1/tasks/<int:task_id>/complete", "complete", {"task_id": 7}),
    ("/documents/<int:doc>/<any(pdf, docx):kind>", "file", {"doc": 3, "kind": "pdf"}),
    ("/static/<path:filename>", "static", {"filename": "js/bpmn viewer.js"}),
    ("/processes", "processes", {}),
]


def _urls(rule_class: type[Rule]) -> list[str]:
    routes = Map([rule_class(path, endpoint=endpoint) for path, endpoint, _ in _ROUTES])
    urls = routes.bind("example.org", url_scheme="https")
    built = []
    for _, endpoint, values in _ROUTES:
        built.append(urls.build(endpoint, values))
        built.append(urls.build(endpoint, values, force_external=True))
        built.append(urls.build(endpoint, values | {"q": "ngày hội", "page": 2}))  # unknown
        built.append(urls.build(endpoint, values, append_unknown=False))
    return built


def test_lazy_routes_build_the_urls_werkzeugs_own_build() -> None:
    assert _urls(LazyRule) == _urls(Rule)


def test_a_builder_is_compiled_at_its_first_use_then_kept() -> None:
    rule = LazyRule("/tasks/<int:task_id>", endpoint="task")
    urls = Map([rule]).bind("example.org")
    first = rule._build
    assert urls.build("task", {"task_id": 1}, append_unknown=False) == "/tasks/1"
    compiled = rule._build
    assert compiled is not first  # replaced by the compiled builder
    assert urls.build("task", {"task_id": 2}, append_unknown=False) == "/tasks/2"
    assert rule._build is compiled
