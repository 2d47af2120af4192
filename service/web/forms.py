"""Step forms drawn from the step's marshmallow schema, and posted forms read back into data.

A step kind's schema (`service.steps.KINDS`) is the one description of a step's fields: the API
validates with it, and this module walks it to draw the form (`build`) and to turn the posted
fields back into the nested dict the schema loads (`parse`). Nothing here validates: values
that do not convert (a word typed as a number) are passed on as typed, so the schema's own
message comes back and the field shows what was typed.

Names of inputs are dotted paths: `data.budget_lines.0.unit_amount`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from marshmallow import Schema, fields, validate
from werkzeug.datastructures import MultiDict

from service.validation import DMY
from service.web.formats import number, vn_date
from service.web.labels import ROWS, choice_label, field_label, label

MONEY = frozenset({"unit_amount", "budget_spent"})  # Integer fields that are amounts of đồng
LONG_TEXT = 500  # String fields allowed more than this get a text area
ROW = "__index__"  # the row number in a row template, replaced by the script
PRESENT = "__present__"  # marks a list as shown, so that removing every row empties it
# 1.000.000, or 1,000,000 in English; a minus kept, so that the schema says "cannot be negative"
_GROUPED = re.compile(r"^-?\d{1,3}([., \u00a0]\d{3})+$")


@dataclass
class Node:
    """One field as drawn: its input name, widget, label, value as typed and its errors."""

    name: str  # the schema's field name
    path: str  # the input's name: data.budget_lines.0.item
    kind: str  # text | textarea | integer | money | date | boolean | choice | group | rows | multi
    label: str
    required: bool = False
    value: Any = ""  # a string for inputs; a list of strings for `multi`
    errors: list[str] = field(default_factory=list)
    choices: list[tuple[str, str]] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)  # a group's fields
    rows: list[Node] = field(default_factory=list)  # a list's rows, each a group
    template: Node | None = None  # a list's empty row, for the add button
    row_label: str = ""
    max_length: int | None = None
    minimum: int | None = None
    maximum: int | None = None

    @property
    def id(self) -> str:
        return "f-" + self.path.replace(".", "-")

    @property
    def invalid(self) -> bool:
        return bool(self.errors) or any(c.invalid for c in self.children + self.rows)


@dataclass(frozen=True)
class Problem:
    """One line of the error summary: the field's id to link to, its name, its reasons."""

    id: str
    label: str
    messages: list[str]


def problems(nodes: Sequence[Node], within: str = "", anchor: str = "") -> list[Problem]:
    """Every field with reasons, in the form's order, named with its group and row ("Budget
    lines — Line 2 — Unit amount (đ)"); a row's own reasons link to its list."""
    found: list[Problem] = []
    for node in nodes:
        name = f"{within} — {node.label}" if within and node.label else node.label or within
        if node.errors:
            found.append(Problem(node.id if node.label else anchor, name, list(node.errors)))
        found += problems(node.children, name, node.id)
        for index, row in enumerate(node.rows, start=1):
            found += problems([row], f"{name} — {node.row_label} {index}", node.id)
    return found


def build(
    schema: Schema,
    values: Mapping[str, Any] | None,
    errors: Mapping[str, Any] | None,
    *,
    prefix: str = "data",
    options: Mapping[str, Sequence[tuple[str, str]]] | None = None,
    parent: str | None = None,
    hidden: frozenset[str] = frozenset(),
) -> list[Node]:
    """The nodes to draw for `schema`, filled with `values` and `errors` (keys as strings).

    `options` gives the choices of a list of strings by field name (e.g. the agencies a plan
    may address); `hidden` names fields this form leaves out, as `list.field` or `field`.
    """
    values = values or {}
    errors = errors or {}
    return [
        _node(
            name,
            f,
            values.get(name),
            errors.get(name),
            f"{prefix}.{name}",
            options or {},
            parent,
            hidden,
        )
        for name, f in schema.fields.items()
        if _shown(f, name, parent, hidden)
    ]


def _shown(f: fields.Field[Any], name: str, parent: str | None, hidden: frozenset[str]) -> bool:
    return not f.dump_only and name not in hidden and f"{parent}.{name}" not in hidden


def _node(
    name: str,
    f: fields.Field[Any],
    value: Any,
    errors: Any,
    path: str,
    options: Mapping[str, Sequence[tuple[str, str]]],
    parent: str | None,
    hidden: frozenset[str],
) -> Node:
    node = Node(name=name, path=path, kind="text", label=field_label(name, parent))
    node.required = bool(f.required)
    if isinstance(f, fields.Nested):
        node.kind = "group"
        node.errors = _messages(errors, "_schema")
        node.children = build(
            _schema(f),
            value if isinstance(value, Mapping) else {},
            errors if isinstance(errors, Mapping) else {},
            prefix=path,
            options=options,
            parent=name,
            hidden=hidden,
        )
        return node
    if isinstance(f, fields.List) and isinstance(f.inner, fields.Nested):
        node.kind = "rows"
        node.row_label = label(ROWS, name, field_label(name))
        node.errors = errors if isinstance(errors, list) else _messages(errors, "_schema")
        inner = _schema(f.inner)
        rows = value if isinstance(value, list) else []
        row_errors = errors if isinstance(errors, Mapping) else {}
        for index, row in enumerate(rows):
            at = f"{path}.{index}"
            node.rows.append(
                _row(inner, row, row_errors.get(str(index)), at, options, name, hidden)
            )
        node.template = _row(inner, {}, None, f"{path}.{ROW}", options, name, hidden)
        return node
    if isinstance(f, fields.List):
        node.kind = "multi"
        node.choices = list(options.get(name, ()))
        node.value = [str(v) for v in value] if isinstance(value, list) else []
        node.errors = _item_errors(errors, node.value)
        return node
    node.errors = _messages(errors)
    node.value = _display(f, name, value)
    one_of = _validator(f, validate.OneOf)
    length = _validator(f, validate.Length)
    rng = _validator(f, validate.Range)
    if length is not None:
        node.max_length = length.max
    if rng is not None:
        node.minimum = None if rng.min is None else int(rng.min)
        node.maximum = None if rng.max is None else int(rng.max)
    if one_of is not None:
        node.kind = "choice"
        node.choices = [(str(c), choice_label(str(c))) for c in one_of.choices]
    elif options.get(f"{parent}.{name}") or options.get(name):
        # a choice among data (the bodies a plan may be issued as, a pilot site's unit), by
        # `list.field` or by name; a value no longer among them stays, as typed
        node.kind = "choice"
        node.choices = list(options.get(f"{parent}.{name}") or options[name])
        if node.value and node.value not in {c for c, _ in node.choices}:
            node.choices.insert(0, (node.value, node.value))
    elif isinstance(f, fields.Boolean):
        node.kind = "boolean"
    elif isinstance(f, fields.Date):
        node.kind = "date"
    elif isinstance(f, fields.Integer):
        node.kind = "money" if name in MONEY else "integer"
    elif length is not None and length.max is not None and length.max > LONG_TEXT:
        node.kind = "textarea"
    return node


def _row(
    schema: Schema,
    value: Any,
    errors: Any,
    path: str,
    options: Mapping[str, Sequence[tuple[str, str]]],
    parent: str,
    hidden: frozenset[str],
) -> Node:
    row = Node(name=parent, path=path, kind="group", label="")
    row.errors = _messages(errors, "_schema")
    row.children = build(
        schema,
        value if isinstance(value, Mapping) else {},
        errors if isinstance(errors, Mapping) else {},
        prefix=path,
        options=options,
        parent=parent,
        hidden=hidden,
    )
    return row


def _schema(f: fields.Nested) -> Schema:
    schema = f.schema
    assert isinstance(schema, Schema)
    return schema


def _validator(f: fields.Field[Any], kind: type[Any]) -> Any:
    for v in f.validators:
        if isinstance(v, kind):
            return v
    return None


def _messages(errors: Any, key: str | None = None) -> list[str]:
    if isinstance(errors, list):
        return [str(e) for e in errors if not isinstance(e, dict | list)]
    if key is not None and isinstance(errors, Mapping):
        return _messages(errors.get(key))
    return []


def _item_errors(errors: Any, values: list[str]) -> list[str]:
    """Errors of a list of strings, each item's prefixed with the value it is about."""
    if isinstance(errors, list):
        return [str(e) for e in errors]
    found = []
    for index, messages in (errors or {}).items():
        which = values[int(index)] if str(index).isdigit() and int(index) < len(values) else index
        found += [f"{which}: {m}" for m in _messages(messages)]
    return found


def _display(f: fields.Field[Any], name: str, value: Any) -> str:
    """A value as the input shows it: 1.000.000 for money, dd/mm/yyyy for dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) and name in MONEY:
        return number(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(f, fields.Date) and isinstance(value, str | date):
        return vn_date(value)
    return str(value)


# --- reading a posted form back ---------------------------------------------------------


def parse(
    schema: Schema,
    form: MultiDict[str, str],
    prefix: str = "data",
    *,
    parent: str | None = None,
    hidden: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """The nested dict the schema loads, from inputs named like `build` names them.

    Blank inputs are left out (so the schema says what is missing and fills its defaults),
    rows left wholly blank are dropped, and values that do not convert are kept as typed.
    """
    data: dict[str, Any] = {}
    for name, f in schema.fields.items():
        if not _shown(f, name, parent, hidden):
            continue
        path = f"{prefix}.{name}"
        if isinstance(f, fields.Nested):
            nested = parse(_schema(f), form, path, parent=name, hidden=hidden)
            if nested or f.required:
                data[name] = nested
        elif isinstance(f, fields.List) and isinstance(f.inner, fields.Nested):
            indices = _indices(form, path)
            inner = _schema(f.inner)
            rows = [parse(inner, form, f"{path}.{i}", parent=name, hidden=hidden) for i in indices]
            rows = [r for r in rows if r]
            if rows or f"{path}.{PRESENT}" in form:
                data[name] = rows
        elif isinstance(f, fields.List):
            items = [v.strip() for v in form.getlist(path) if v.strip()]
            if items or f"{path}.{PRESENT}" in form:
                data[name] = items
        else:
            raw = form.get(path)
            if raw is None or not raw.strip():
                continue
            data[name] = _convert(f, raw.strip())
    return data


def _indices(form: MultiDict[str, str], path: str) -> list[int]:
    found: set[int] = set()
    start = f"{path}."
    for key in form:
        if key.startswith(start):
            head = key[len(start) :].split(".", 1)[0]
            if head.isdigit():
                found.add(int(head))
    return sorted(found)


def _convert(f: fields.Field[Any], raw: str) -> Any:
    if isinstance(f, fields.Boolean):
        return {"true": True, "false": False}.get(raw, raw)
    if isinstance(f, fields.Integer):
        if raw.isdigit() or (raw.startswith("-") and raw[1:].isdigit()):
            return int(raw)
        if _GROUPED.match(raw):
            return int(re.sub(r"[^\d-]", "", raw))
        return raw
    if isinstance(f, fields.Date):
        match = DMY.match(raw)
        parsed = parse_date(raw) if match else None
        return raw if parsed is None else parsed.isoformat()
    return raw


def parse_date(raw: str) -> date | None:
    """dd/mm/yyyy (or an ISO date) as a date; None when it is neither."""
    match = DMY.match(raw.strip())
    try:
        if match:
            day, month, year = (int(g) for g in match.groups())
            return date(year, month, day)
        return date.fromisoformat(raw.strip())
    except ValueError:
        return None


def budget_total(lines: Any) -> int | None:
    """The total of budget lines as typed, when every figure is a number."""
    if not isinstance(lines, list):
        return 0
    total = 0
    for line in lines:
        quantity, amount = (
            (line.get("quantity"), line.get("unit_amount"))
            if isinstance(line, dict)
            else (None, None)
        )
        if not isinstance(quantity, int) or not isinstance(amount, int):
            return None
        total += quantity * amount
    return total


# --- adding and removing rows without a script ------------------------------------------


def add_row(data: dict[str, Any], path: str, prefix: str = "data") -> None:
    """Append an empty row to the list at `path` (an input name)."""
    target = _walk(data, path, prefix, create=True)
    if isinstance(target, list):
        target.append({})


def remove_row(data: dict[str, Any], path: str, prefix: str = "data") -> None:
    """Remove the row at `path` (`data.budget_lines.1`)."""
    head, _, index = path.rpartition(".")
    target = _walk(data, head, prefix, create=False)
    if isinstance(target, list) and index.isdigit() and int(index) < len(target):
        del target[int(index)]


def _walk(data: dict[str, Any], path: str, prefix: str, *, create: bool) -> Any:
    parts = path.split(".")
    if not parts or parts[0] != prefix:
        return None
    node: Any = data
    for i, part in enumerate(parts[1:]):
        last = i == len(parts) - 2
        if isinstance(node, dict):
            if part not in node:
                if not create:
                    return None
                node[part] = [] if last else {}
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node
