"""Process instances: start one, read it, read its history."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from service.api.blueprint import BEARER, Blueprint
from service.api.deps import current_actor, new_uow, new_view
from service.api.idempotency import DOC, once
from service.api.schemas import (
    ChildSchema,
    ConsolidatedSchema,
    CopyLastYearSchema,
    EventSchema,
    MissingUnitSchema,
    ProcessListArgsSchema,
    ProcessListItemSchema,
    ProcessSchema,
    RoundArgsSchema,
    StartProcessSchema,
)
from service.operations.processes import copy_last_year, start_process
from service.queries.process_list import Filters, ProcessRow, process_list
from service.queries.processes import (
    HistoryEvent,
    ProcessAsIssued,
    ProcessDetail,
    history,
    process_detail,
)
from service.queries.reports import Child, MissingUnit, children, consolidated, missing

blp = Blueprint(
    "processes", __name__, url_prefix="/api/v1/processes", description="Process instances"
)


@blp.route("")
class Processes(MethodView):
    @blp.doc(**BEARER)
    @blp.arguments(ProcessListArgsSchema, location="query")
    @blp.response(200, ProcessListItemSchema(many=True))
    def get(self, args: dict[str, Any]) -> list[ProcessRow]:
        """The processes the caller may read, newest first: filters by year, campaign (the
        plan at the top), agency, status, open step, overdue and `mine`; `q` searches titles,
        document numbers and agencies, ignoring diacritics. `reading` says how much of each
        the caller reads (`issued_plan`: the plan alone, so no open steps)."""
        limit, offset = args.pop("limit"), args.pop("offset")
        return process_list(
            new_view(), current_actor(), Filters(**args), limit=limit, offset=offset
        )

    @blp.doc(**BEARER, **DOC)
    @blp.arguments(StartProcessSchema)
    @blp.response(201, ProcessSchema)
    def post(self, args: dict[str, Any]) -> ProcessDetail | ProcessAsIssued:
        """Start the newest version of a process in the caller's jurisdiction.

        With an Idempotency-Key, a retry of the same request starts nothing and answers with
        the process the first attempt started.
        """
        actor = current_actor()
        process_id = once(
            actor,
            args,
            lambda key: start_process(
                new_uow(autocommit=True), actor, args["definition"], args["title"], key
            ),
            lambda result: int(result["id"]),
        )
        return process_detail(new_view(), actor, process_id)


@blp.route("/copy-last-year")
class CopyLastYear(MethodView):
    @blp.doc(**BEARER, **DOC)
    @blp.arguments(CopyLastYearSchema)
    @blp.response(201, ProcessSchema)
    def post(self, args: dict[str, Any]) -> ProcessDetail | ProcessAsIssued:
        """Start a plan copied from the caller's agency's plan of the year before (the issued
        one, else the latest draft): dates moved a year (29/2 to 28/2), the anniversaries and
        the year in its text counted again, budget lines, units and pilot sites kept, the
        documents it cited and the nominations left out. The plan to draft is the process's
        `document`. 403 for those who may not start a plan, 404 `no_plan_to_copy` when there
        is none. With an Idempotency-Key, a retry copies nothing more."""
        actor = current_actor()
        process_id = once(
            actor,
            args,
            lambda key: copy_last_year(new_uow(autocommit=True), actor, args["definition"], key),
            lambda result: int(result["id"]),
        )
        return process_detail(new_view(), actor, process_id)


@blp.route("/<int:process_id>")
class ProcessResource(MethodView):
    @blp.doc(**BEARER)
    @blp.response(200, ProcessSchema)
    def get(self, process_id: int) -> ProcessDetail | ProcessAsIssued:
        """A process with its plan and every task so far."""
        return process_detail(new_view(), current_actor(), process_id)


@blp.route("/<int:process_id>/history")
class ProcessHistory(MethodView):
    @blp.doc(**BEARER)
    @blp.response(200, EventSchema(many=True))
    def get(self, process_id: int) -> list[HistoryEvent]:
        """Every event of the process, in order."""
        return history(new_view(), current_actor(), process_id)


@blp.route("/<int:process_id>/children")
class ProcessChildren(MethodView):
    @blp.doc(**BEARER)
    @blp.response(200, ChildSchema(many=True))
    def get(self, process_id: int) -> list[Child]:
        """The units this plan was issued to, each with its status and open steps."""
        return children(new_view(), current_actor(), process_id)


@blp.route("/<int:process_id>/missing")
class ProcessMissing(MethodView):
    @blp.doc(**BEARER)
    @blp.arguments(RoundArgsSchema, location="query")
    @blp.response(200, MissingUnitSchema(many=True))
    def get(self, args: dict[str, Any], process_id: int) -> list[MissingUnit]:
        """Every unit below this plan, at any depth, that has not reported in the round."""
        return missing(new_view(), current_actor(), process_id, args["round"])


@blp.route("/<int:process_id>/consolidated")
class ProcessConsolidated(MethodView):
    @blp.doc(**BEARER)
    @blp.arguments(RoundArgsSchema, location="query")
    @blp.response(200, ConsolidatedSchema)
    def get(self, args: dict[str, Any], process_id: int) -> dict[str, Any]:
        """A round's reported figures of the whole tree below this plan, with targets missed."""
        return consolidated(new_view(), current_actor(), process_id, args["round"])
