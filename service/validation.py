"""marshmallow, with every reason a user can cause coded (`service.errors.Message`).

Import `Schema` and the validators from here instead of marshmallow (`from service import
validation as validate`): the field errors marshmallow raises by key (`required`, `null`,
`invalid`…) and the validators' reasons then carry a code and parameters, and the pages
translate them by message id instead of reading marshmallow's English.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import marshmallow
from marshmallow import ValidationError, fields, validate

from service.errors import Message

REQUIRED = Message("required", "Please fill in this field.")
NOT_A_WHOLE_NUMBER = Message("not_a_whole_number", "Enter a whole number.")
NOT_A_DATE = Message("not_a_date", "Enter a date as dd/mm/yyyy.")
NO_SUCH_DATE = Message("no_such_date", "This date does not exist.")  # 31/02/2026
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")  # as typed in a form: 31/12/2026
# marshmallow's own messages, by field class and key (a field's class and its bases are looked
# up, the nearest first)
_FIELD_MESSAGES: dict[type, dict[str, Message]] = {
    fields.Field: {
        "required": REQUIRED,
        "null": REQUIRED,
        "validator_failed": Message("invalid", "Invalid value."),
    },
    fields.Integer: {"invalid": NOT_A_WHOLE_NUMBER},
    fields.Number: {"invalid": Message("not_a_number", "Enter a number.")},
    fields.Date: {"invalid": NOT_A_DATE},
    fields.DateTime: {"invalid": NOT_A_DATE},
    fields.String: {"invalid": Message("not_text", "Enter text.")},
    fields.Boolean: {"invalid": Message("not_yes_or_no", "Choose yes or no.")},
    fields.List: {"invalid": Message("not_a_list", "Invalid list.")},
    fields.Nested: {"type": Message("invalid", "Invalid value.")},
    fields.Dict: {"invalid": Message("invalid", "Invalid value.")},
}


def code_field(field: fields.Field[Any]) -> None:
    """Replace marshmallow's plain messages of `field` (and of a list's items) by coded ones;
    a message the schema wrote itself stays."""
    for cls in type(field).__mro__:
        for key, message in _FIELD_MESSAGES.get(cls, {}).items():
            current = field.error_messages.get(key)
            if current is not None and not isinstance(current, Message):
                field.error_messages[key] = message
    inner = getattr(field, "inner", None)
    if isinstance(inner, fields.Field):
        code_field(inner)


class Date(fields.Date):
    """An ISO date; one written so that the calendar lacks (2026-02-31, or 31/02/2026 as a
    form passes it on) is refused as such (`no_such_date`), not as a malformed date."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        try:
            return super()._deserialize(value, attr, data, **kwargs)
        except ValidationError:
            if isinstance(value, str) and date_reason(value) is NO_SUCH_DATE:
                raise ValidationError(NO_SUCH_DATE) from None
            raise


def date_reason(raw: str) -> Message:
    """Why `raw` was refused as a date: written as one (31/02/2026, 2026-02-31) but not in the
    calendar, the date does not exist; else it is not written as the field takes it (an API
    takes 2026-01-31 only, a form 31/01/2026 too)."""
    raw = raw.strip()
    if found := DMY.match(raw):
        day, month, year = (int(part) for part in found.groups())
    elif ISO_DAY.fullmatch(raw):
        year, month, day = (int(part) for part in raw.split("-"))
    else:
        return NOT_A_DATE
    try:
        date(year, month, day)
    except ValueError:
        return NO_SUCH_DATE
    return NOT_A_DATE  # a real day, written as this field does not take it


class Schema(marshmallow.Schema):
    """marshmallow's Schema with coded messages for its fields and for unknown fields."""

    error_messages = {  # noqa: RUF012  # marshmallow's own class attribute
        "unknown": Message("unknown_field", "Unknown field."),
        "type": Message("invalid", "Invalid input type."),
    }

    def on_bind_field(self, field_name: str, field_obj: fields.Field[Any]) -> None:
        code_field(field_obj)

    def dump(self, obj: Any, *, many: bool | None = None) -> Any:
        """marshmallow's `dump`, each field's own `_serialize` called straight on the object's
        attribute: its per-field accessors cost more than the values' conversion (most of a
        long inbox page's answer). The output is marshmallow's: a schema with dump hooks, a
        field that reads no attribute (Function, Method) or a dotted one, and an object read by
        key (a dict) take marshmallow's own path."""
        plan = self.__dict__.get("_dump_plan", _UNPLANNED)
        if plan is _UNPLANNED:
            plan = self._dump_plan = _dump_plan(self)
        if plan is None:
            return super().dump(obj, many=many)
        if self.many if many is None else many:
            return [self._dump_one(each, plan) for each in obj]
        return self._dump_one(obj, plan)

    def _dump_one(self, obj: Any, plan: list[tuple[str, str, str, fields.Field[Any]]]) -> Any:
        if hasattr(obj, "__getitem__"):  # marshmallow reads by key first
            return super().dump(obj, many=False)
        missing = marshmallow.missing
        ret = self.dict_class()
        for name, attribute, key, field in plan:
            value = getattr(obj, attribute, missing)
            if value is missing:
                default = field.dump_default
                value = default() if callable(default) else default
                if value is missing:
                    continue
            ret[key] = field._serialize(value, name, obj)  # noqa: SLF001
        return ret


_UNPLANNED = object()


def _dump_plan(schema: Schema) -> list[tuple[str, str, str, fields.Field[Any]]] | None:
    """(name, attribute, output key, field) of each field `dump` writes, or None when the
    schema needs marshmallow's own path."""
    hooks = schema._hooks  # noqa: SLF001
    if hooks[marshmallow.decorators.PRE_DUMP] or hooks[marshmallow.decorators.POST_DUMP]:
        return None
    if type(schema).get_attribute is not marshmallow.Schema.get_attribute:
        return None
    plan = []
    for name, field in schema.dump_fields.items():
        attribute = field.attribute or name
        if not field._CHECK_ATTRIBUTE or "." in attribute:  # noqa: SLF001
            return None
        plan.append((name, attribute, name if field.data_key is None else field.data_key, field))
    return plan


class Range(validate.Range):
    """A number within bounds; below a lower bound of 0 it "cannot be negative"."""

    def __call__(self, value: Any) -> Any:
        if self.error is not None:
            return super().__call__(value)
        if self.min is not None and (value < self.min if self.min_inclusive else value <= self.min):
            if self.min == 0:
                raise ValidationError(Message("negative", "Cannot be negative."))
            raise ValidationError(Message("too_small", "Must be at least %(min)s.", min=self.min))
        if self.max is not None and (value > self.max if self.max_inclusive else value >= self.max):
            raise ValidationError(Message("too_large", "Must be at most %(max)s.", max=self.max))
        return value


class Year(validate.Range):
    """A calendar year between two years; shown as a year (2026, never 2.026)."""

    def __init__(self, first: int, last: int) -> None:
        super().__init__(first, last)
        self.first, self.last = first, last

    def __call__(self, value: Any) -> Any:
        if not self.first <= value <= self.last:
            raise ValidationError(
                Message(
                    "year_out_of_range",
                    "Enter a year from %(first_year)s to %(last_year)s.",
                    first_year=self.first,
                    last_year=self.last,
                )
            )
        return value


class Length(validate.Length):
    """Text or a list of a length; an empty one where one is needed is "required"."""

    def __call__(self, value: Any) -> Any:
        if self.error is not None or self.equal is not None:
            return super().__call__(value)
        if self.min is not None and len(value) < self.min:
            if self.min == 1 or not value:
                raise ValidationError(REQUIRED)
            raise ValidationError(
                Message("too_short", "At least %(min)s characters.", min=self.min)
            )
        if self.max is not None and len(value) > self.max:
            if isinstance(value, str):
                raise ValidationError(
                    Message("too_long", "At most %(max)s characters.", max=self.max)
                )
            raise ValidationError(Message("too_many", "At most %(max)s items.", max=self.max))
        return value


class OneOf(validate.OneOf):
    """One of the choices; the choices go with the code."""

    def __init__(self, choices: Any, labels: Any = None, *, error: str | None = None) -> None:
        super().__init__(choices, labels, error=error)
        if error is None:
            self.error = Message("not_a_choice", "Choose one of the options.")

    def _format_error(self, value: Any) -> str:
        if isinstance(self.error, Message):
            return Message(self.error.code, self.error.msgid, choices=list(self.choices))
        return super()._format_error(value)


class Regexp(validate.Regexp):
    """Text of a pattern; say what the pattern means with `error` (a Message)."""

    def __init__(self, regex: Any, flags: int = 0, *, error: str | None = None) -> None:
        super().__init__(regex, flags, error=error or Message("invalid", "Invalid value."))
