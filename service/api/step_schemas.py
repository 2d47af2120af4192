"""A completion's body, and the step forms' own schemas published beside it in the OpenAPI
spec: one component per step kind (`StepData_<form>`), made from the step table's schemas
(service.steps.KINDS), so the spec, the checks and the fuzz tests read the same rules."""

from __future__ import annotations

from typing import Any

from marshmallow import fields

from service import validation as validate
from service.steps import KINDS
from service.validation import Schema


def step_data_name(kind: str) -> str:
    """The OpenAPI component of a step kind's `data` (register_step_schemas)."""
    return f"StepData_{kind}"


class CompleteTaskSchema(Schema):
    decision = fields.String(required=True, validate=validate.Length(1, 20))
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=5000))
    data = fields.Dict(
        load_default=dict,
        metadata={
            "description": "the fields of the task's step kind (its `form`): the component "
            "StepData_<form>, checked by the same schema",
            "anyOf": [{"$ref": f"#/components/schemas/{step_data_name(k)}"} for k in KINDS],
        },
    )


def register_step_schemas(spec: Any) -> None:
    """Add each kind's `StepData_<form>` to `spec` (an apispec APISpec); kinds sharing a
    schema refer to the first one's, as apispec adds a schema class once."""
    first: dict[type, str] = {}
    for key, kind in KINDS.items():
        name = step_data_name(key)
        if type(kind.schema) in first:
            spec.components.schema(
                name, component={"$ref": f"#/components/schemas/{first[type(kind.schema)]}"}
            )
        else:
            first[type(kind.schema)] = name
            spec.components.schema(name, schema=kind.schema)
