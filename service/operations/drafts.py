"""Drafts of a task's form: saved as typed (explicitly, by autosave, when a send is refused or
a session expires mid-send), read back when the task opens, gone when it completes.

A draft is unsent typing, like a browser's memory of a form: it changes nothing of the process
and is not recorded in the audit log (an autosave every few seconds would flood the history
and contend for the instance's chain); the completion records what was sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from service.db.models import Task, TaskDraft
from service.db.uow import UnitOfWork
from service.errors import Conflict, Invalid, Message, NotFound, from_json, to_json
from service.operations.actors import Actor
from service.operations.tasks import check_can_act

MAX_BYTES = 512 * 1024  # a plan with hundreds of lines fits many times over
# inputs that are no part of what was typed: the form's token and its buttons
NOT_TYPED = frozenset({"csrf_token", "decision", "_add", "_remove", "_apply_proposal", "_draft"})


@dataclass(frozen=True)
class Draft:
    task_id: int
    fields: list[tuple[str, str]]
    errors: dict[str, Any] | None
    saved_at: datetime
    saved_by: str


def typed(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The inputs of a posted form that hold what the user typed, in their order."""
    return [(str(k), str(v)) for k, v in pairs if k not in NOT_TYPED]


def _task(uow: UnitOfWork, actor: Actor, task_id: int) -> Task:
    task = uow.session.get(Task, task_id)
    if task is None:
        raise NotFound("task_not_found", "No such task.")
    check_can_act(actor, task)
    return task


def save_draft(
    uow: UnitOfWork,
    actor: Actor,
    task_id: int,
    fields: Iterable[tuple[str, str]],
    errors: Mapping[str, Any] | None = None,
) -> Draft:
    """Keep the form of an open task as typed (replacing the draft before); the draft saved.

    :raise Forbidden: not the actor's task. :raise Conflict: the task is closed, or a
        colleague holds it. :raise Invalid: the draft is too large.
    """
    pairs = typed(fields)
    if len(json.dumps(pairs, ensure_ascii=False).encode()) > MAX_BYTES:
        raise Invalid(
            {
                "fields": [
                    Message(
                        "draft_too_large",
                        "The draft is too large (at most %(max)s bytes).",
                        max=MAX_BYTES,
                    )
                ]
            }
        )
    with uow:
        task = _task(uow, actor, task_id)
        if task.state != "open":
            raise Conflict("task_not_open", f"This task is already {task.state}.", state=task.state)
        if task.claimed_by_id not in (None, actor.user_id):
            raise Conflict("task_claimed", "A colleague has taken this task in hand.")
        now = uow.now()
        draft = uow.session.get(TaskDraft, task_id)
        if draft is None:
            draft = TaskDraft(task_id=task_id)
            uow.session.add(draft)
        draft.fields = [list(p) for p in pairs]
        draft.errors = to_json(dict(errors)) if errors else None  # keeps the codes
        draft.saved_at, draft.saved_by_id = now, actor.user_id
        try:
            uow.commit()
        except IntegrityError as err:  # two first saves at once: one wins, the other retries
            raise Conflict("draft_saved_meanwhile", "The draft was saved meanwhile.") from err
        return Draft(task_id, pairs, from_json(draft.errors), now, actor.full_name)


def read_draft(uow: UnitOfWork, actor: Actor, task_id: int) -> Draft | None:
    """The draft of a task the actor may act on (None: none, or the task is closed).

    :raise Forbidden: not the actor's task. :raise NotFound: no such task.
    """
    with uow:
        task = _task(uow, actor, task_id)
        if task.state != "open":
            return None
        draft = uow.session.scalars(select(TaskDraft).filter_by(task_id=task_id)).one_or_none()
        if draft is None:
            return None
        return Draft(
            task_id,
            [(str(k), str(v)) for k, v in draft.fields],
            from_json(draft.errors),
            draft.saved_at,
            draft.saved_by.full_name,
        )
