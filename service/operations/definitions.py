"""Deploying BPMN diagrams as versioned process definitions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from service.db.models import ProcessDefinition
from service.db.uow import UnitOfWork
from service.errors import Invalid
from service.operations.actors import Actor, SystemActor
from service.operations.agency_cache import newest_definition
from service.permissions import Right, require
from service.steps import KINDS
from workflows.errors import DiagramInvalid
from workflows.specs import Definition, load_definition

# Parsed definitions by content hash. Deployed versions never change and are few, so entries
# are never evicted; a process parses each version at most once.
_PARSED: dict[str, Definition] = {}


def engine_definition(row: ProcessDefinition) -> Definition:
    """The parsed definition of a stored version."""
    definition = _PARSED.get(row.sha256)
    if definition is None:
        definition = _PARSED[row.sha256] = load_definition(row.filename, row.bpmn.encode())
    return definition


@dataclass(frozen=True, slots=True)
class DefinitionView:
    """A deployed version, as the list and a deploy's answer show it."""

    id: int
    process_id: str
    version: int
    name: str
    filename: str
    sha256: str
    roles: list[str]
    deployed_at: datetime


def definition_view(row: ProcessDefinition) -> DefinitionView:
    return DefinitionView(
        id=row.id,
        process_id=row.process_id,
        version=row.version,
        name=row.name,
        filename=row.filename,
        sha256=row.sha256,
        roles=list(row.roles),
        deployed_at=row.deployed_at,
    )


def deploy(
    uow: UnitOfWork, actor: Actor | SystemActor, filename: str, xml: bytes
) -> tuple[DefinitionView, bool]:
    """Store `xml` as the next version of its process unless that exact file is deployed.

    Returns the definition row and whether it is new. A diagram that fails validation is
    refused with the file, the element id, the line and the reason. `actor` is the
    administrator deploying, or the command line's SYSTEM (`deploy-diagrams`, set-up); the
    event names them.

    :raise Forbidden: the actor may not deploy.
    """
    require(actor, Right.DEPLOY)
    try:
        xml.decode("utf-8")
    except UnicodeDecodeError as err:
        reason = {"file": filename, "element_id": None, "line": None, "reason": "not UTF-8 text"}
        raise Invalid({"bpmn": [reason]}, "The diagram cannot be deployed.") from err
    try:
        definition = load_definition(filename, xml)
    except DiagramInvalid as err:
        raise Invalid({"bpmn": [err.params]}, "The diagram cannot be deployed.") from err
    problems = _unknown_kinds(definition)
    if problems:
        raise Invalid({"bpmn": problems}, "The diagram cannot be deployed.")
    with uow:
        existing = uow.session.scalars(
            select(ProcessDefinition).filter_by(
                process_id=definition.process_id, sha256=definition.sha256
            )
        ).one_or_none()
        if existing is not None:
            return definition_view(existing), False
        latest = uow.session.scalar(
            select(func.max(ProcessDefinition.version)).filter_by(process_id=definition.process_id)
        )
        row = ProcessDefinition(
            process_id=definition.process_id,
            version=(latest or 0) + 1,
            name=definition.name,
            filename=filename,
            sha256=definition.sha256,
            bpmn=xml.decode(),
            roles=list(definition.roles),
        )
        uow.session.add(row)
        uow.session.flush()
        view = definition_view(row)
        uow.record(
            "definition_deployed",
            actor,
            data={
                "process_id": row.process_id,
                "version": row.version,
                "filename": filename,
                "sha256": row.sha256,
                "by": actor.username,
            },
        )
        uow.commit()
        return view, True


def _unknown_kinds(definition: Definition) -> list[dict[str, Any]]:
    """Every user task must name a step kind of service.steps (a plain approve-or-return step
    names `review`); a report kind needs its round and only a report kind has one."""
    problems = []
    for task in definition.user_tasks:
        kind = KINDS.get(task.form)
        if kind is None:
            reason = (
                f"the user task names no known step kind (“{task.form}”): set its `form` "
                f"property to one of {', '.join(sorted(KINDS))}"
            )
        elif kind.has_round != (task.report_round is not None):
            reason = (
                "a report step (or its signing) needs a `report_round` property, and only they"
                " have one"
            )
        else:
            continue
        problems.append(
            {
                "file": definition.filename,
                "element_id": task.element_id,
                "line": task.line,
                "reason": reason,
            }
        )
    return problems


def latest(uow: UnitOfWork, process_id: str) -> ProcessDefinition:
    """The newest version of a process; new instances start on it. A web worker on PostgreSQL
    keeps it until the next deploy (service.operations.agency_cache)."""
    row = newest_definition(uow.session, process_id)
    if row is None:
        raise Invalid({"definition": [f"No process “{process_id}” is deployed."]})
    return row
