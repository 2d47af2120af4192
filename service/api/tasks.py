"""The caller's tasks: list, open, complete."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app
from flask.views import MethodView
from flask_babel import gettext

from service.api.blueprint import BEARER, Blueprint
from service.api.deps import current_actor, new_uow, new_view
from service.api.idempotency import DOC, once
from service.api.notice_schemas import RemindedSchema
from service.api.schemas import (
    AssignTaskSchema,
    CompletedSchema,
    DraftFieldsSchema,
    DraftSchema,
    InboxCountsSchema,
    TaskDetailSchema,
    TaskListArgsSchema,
    TaskSchema,
)
from service.api.signing_schemas import SigningPreviewSchema
from service.api.step_schemas import CompleteTaskSchema
from service.attachment_http import send_inline_pdf
from service.errors import NotFound
from service.operations.drafts import Draft, read_draft, save_draft
from service.operations.supervision import Reminded, assign_task, remind_task
from service.operations.tasks import Completed, claim_task, complete_task, release_task
from service.queries.signing import SigningPreview, preview_pdf, signing_preview
from service.queries.tasks import (
    InboxCounts,
    InboxTask,
    TaskDetail,
    inbox,
    inbox_counts,
    task_detail,
)

blp = Blueprint("tasks", __name__, url_prefix="/api/v1/tasks", description="Human tasks")


@blp.route("")
class Tasks(MethodView):
    @blp.doc(**BEARER)
    @blp.arguments(TaskListArgsSchema, location="query")
    @blp.response(200, TaskSchema(many=True))
    def get(self, args: dict[str, Any]) -> list[InboxTask]:
        """The inbox: tasks of the caller's agency in the roles they hold."""
        return inbox(new_view(), current_actor(), **args)


@blp.route("/counts")
class TaskCounts(MethodView):
    @blp.doc(**BEARER)
    @blp.response(200, InboxCountsSchema)
    def get(self) -> InboxCounts:
        """How many open tasks wait for the caller, and how many are overdue."""
        return inbox_counts(new_view(), current_actor())


@blp.route("/<int:task_id>")
class TaskResource(MethodView):
    @blp.doc(**BEARER)
    @blp.response(200, TaskDetailSchema)
    def get(self, task_id: int) -> TaskDetail:
        """One task with the plan it is about (403 for another agency's or role's task)."""
        return task_detail(new_view(), current_actor(), task_id)


@blp.route("/<int:task_id>/complete")
class CompleteTask(MethodView):
    @blp.doc(**BEARER, **DOC)
    @blp.arguments(CompleteTaskSchema)
    @blp.response(200, CompletedSchema)
    def post(self, args: dict[str, Any], task_id: int) -> Completed:
        """Complete a task with its step's data and a decision (submit, approve or return).

        A return needs a comment. 403 for another agency's or role's task, 404 for an unknown
        task, 409 for one already completed or completed concurrently. With an Idempotency-Key,
        a retry of the same request answers as the first attempt did.
        """
        actor = current_actor()
        settings = current_app.extensions["settings"]
        keys = settings.key_store()
        return once(
            actor,
            args,
            lambda key: complete_task(
                new_uow(autocommit=True),  # no BEGIN before its first write (service.db.uow)
                actor,
                task_id,
                args["decision"],
                args["comment"],
                args["data"],
                key,
                keys=keys,
                fanout_inline_max=settings.fanout_inline_max,
            ),
            lambda result: Completed(**result),
        )


@blp.route("/<int:task_id>/signing")
class SigningPreviewResource(MethodView):
    @blp.doc(**BEARER)
    @blp.response(200, SigningPreviewSchema)
    def get(self, task_id: int) -> SigningPreview:
        """Before signing an open task (chairman_sign, sign_report): the number the document
        would take as the register stands now (indicative: another signing of the agency may
        take it first; nothing is locked or taken) and who would receive it. The document
        itself: `GET …/signing/preview.pdf`. 409 `not_a_signing` for a task that signs nothing,
        `no_draft` when nothing is drafted yet."""
        return signing_preview(new_view(), current_actor(), task_id)


@blp.route("/<int:task_id>/signing/preview.pdf")
class SigningPreviewPdf(MethodView):
    @blp.doc(
        **BEARER,
        responses={200: {"description": "PDF", "content": {"application/pdf": {}}}},
    )
    def get(self, task_id: int) -> Response:
        """The document signing would issue, unnumbered and unsigned, marked PREVIEW on every
        page (in the caller's language); its ETag changes with the draft."""
        file = preview_pdf(new_view(), current_actor(), task_id, gettext("PREVIEW"))
        return send_inline_pdf(file.name, file.content, file.sha256)


@blp.route("/<int:task_id>/claim")
class ClaimTask(MethodView):
    @blp.doc(**BEARER)
    @blp.response(204)
    def post(self, task_id: int) -> None:
        """Take the task in hand (409 if a colleague holds it)."""
        claim_task(new_uow(), current_actor(), task_id)

    @blp.doc(**BEARER)
    @blp.response(204)
    def delete(self, task_id: int) -> None:
        """Give the task back to the agency's queue."""
        release_task(new_uow(), current_actor(), task_id)


@blp.route("/<int:task_id>/remind")
class RemindTask(MethodView):
    @blp.doc(**BEARER)
    @blp.response(201, RemindedSchema)
    def post(self, task_id: int) -> Reminded:
        """Nhắc việc: remind the agency holding this open task (in the app; by e-mail too when
        SMTP is set). Supervisors of its level and heads of the agency signing its plan; 403
        for a unit one does not supervise, 409 once reminded today (`next_at`: from when)."""
        return remind_task(new_uow(), current_actor(), task_id)


@blp.route("/<int:task_id>/assign")
class AssignTask(MethodView):
    @blp.doc(**BEARER)
    @blp.arguments(AssignTaskSchema)
    @blp.response(204)
    def post(self, args: dict[str, Any], task_id: int) -> None:
        """Give an open task of the caller's agency to a named colleague (supervisors and
        heads): it is in their hands and inbox. 400 naming `assignee` for someone of another
        agency or role, 403 for another agency's task."""
        assign_task(new_uow(), current_actor(), task_id, args["assignee"])


@blp.route("/<int:task_id>/draft")
class TaskDraftResource(MethodView):
    @blp.doc(**BEARER)
    @blp.response(200, DraftSchema)
    def get(self, task_id: int) -> Draft:
        """The task's draft: its form as last saved and not yet sent (404 when there is none,
        403 for another agency's or role's task)."""
        draft = read_draft(new_view(), current_actor(), task_id)
        if draft is None:
            raise NotFound("draft_not_found", "This task has no draft.")
        return draft

    @blp.doc(**BEARER)
    @blp.arguments(DraftFieldsSchema)
    @blp.response(200, DraftSchema)
    def put(self, args: dict[str, Any], task_id: int) -> Draft:
        """Save the task's form as typed, unchecked, replacing the draft before; colleagues who
        act on the task see it, and it goes when the task completes (409 when the task is
        closed or a colleague holds it)."""
        return save_draft(new_uow(), current_actor(), task_id, args["fields"])
