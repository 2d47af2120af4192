"""Before signing: the document a signing task would issue, previewed, with the number it would
take and who would receive it. Reads only: no register is locked or moved, nothing is written.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import joinedload

from service.db.models import Task
from service.db.uow import UnitOfWork
from service.documents.layout import KINDS, from_data, to_data
from service.documents.pdf import write_pdf
from service.errors import Conflict, NotFound
from service.operations.actors import Actor
from service.operations.documents import to_sign
from service.operations.tasks import check_can_act
from service.states import TaskState
from service.steps import kind_of

ARCHIVE = "Lưu:"  # the records office's line of Nơi nhận: kept, not sent


@dataclass(frozen=True)
class SigningPreview:
    """What signing the task would issue: `number`/`symbol` as the register stands now
    (indicative: a signing elsewhere in the agency may take it first)."""

    task_id: int
    kind: str  # KH (a plan) or BC (a report)
    kind_name: str  # as printed: "KẾ HOẠCH"
    subject: str
    number: int
    symbol: str
    recipients: list[str]  # Nơi nhận, without the archive line
    units: int  # the units a plan addresses, each started on its own plan when signed
    content_sha256: str  # what the preview PDF shows: its ETag and its cache key

    @property
    def number_text(self) -> str:
        return f"{self.number}/{self.symbol}"


@dataclass(frozen=True)
class PreviewFile:
    name: str
    content: bytes
    sha256: str


def _content(uow: UnitOfWork, actor: Actor, task_id: int) -> tuple[Task, dict[str, Any], int]:
    task = uow.session.get(Task, task_id, options=[joinedload(Task.instance)])
    if task is None:
        raise NotFound("task_not_found", "No such task.")
    check_can_act(actor, task)
    kind = kind_of(task.form)
    if not (kind.signs_plan or kind.signs_report):
        raise Conflict("not_a_signing", "This task signs no document.")
    if task.state != TaskState.OPEN:
        raise Conflict("task_not_open", f"This task is already {task.state}.", state=task.state)
    document, number = to_sign(uow.session, task.instance, task, uow.now())
    return task, to_data(document), number


def _digest(data: dict[str, Any]) -> str:
    canonical = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def signing_preview(uow: UnitOfWork, actor: Actor, task_id: int) -> SigningPreview:
    """The confirmation before signing an open task.

    :raise NotFound: no such task. :raise Forbidden: another agency's or role's task.
    :raise Conflict: `not_a_signing` (the task signs nothing), `task_not_open`, or `no_draft`.
    """
    with uow:
        task, data, number = _content(uow, actor, task_id)
        plan = task.instance.document
        units = 0 if task.report_round else len(plan.get("addressed_units") or [])
        recipients = [str(r) for r in data["recipients"] if not str(r).startswith(ARCHIVE)]
        return SigningPreview(
            task.id,
            str(data["kind"]),
            KINDS[str(data["kind"])],
            str(data["subject"]),
            number,
            str(data["symbol"]),
            recipients,
            units,
            _digest(data),
        )


def preview_pdf(uow: UnitOfWork, actor: Actor, task_id: int, watermark: str) -> PreviewFile:
    """The document an open signing task would issue, as PDF, unnumbered and unsigned, with
    `watermark` across each page. Rendered outside the transaction, and cached by what it
    shows: opening it again, or by a colleague, costs nothing until the draft changes.

    :raise NotFound, Forbidden, Conflict: as `signing_preview`.
    """
    with uow:
        _, data, _ = _content(uow, actor, task_id)
    canonical = json.dumps(data, ensure_ascii=False, sort_keys=True)
    digest = hashlib.sha256(f"{canonical}\n{watermark}".encode()).hexdigest()
    return PreviewFile(f"xem-truoc-{task_id}.pdf", _render(canonical, watermark), digest)


@lru_cache(maxsize=32)  # a few seconds of WeasyPrint each: the drafts being signed today
def _render(canonical: str, watermark: str) -> bytes:
    return write_pdf(from_data(json.loads(canonical)), watermark=watermark)
