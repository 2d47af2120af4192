"""Process definitions: list them; administrators deploy new versions."""

from __future__ import annotations

from flask import request
from flask.views import MethodView

from service.api.blueprint import BEARER, Blueprint, multipart
from service.api.deps import current_actor, new_uow, new_view
from service.api.schemas import DefinitionSchema
from service.errors import Invalid, Message
from service.operations.definitions import DefinitionView, deploy
from service.queries.definitions import definitions

blp = Blueprint(
    "definitions",
    __name__,
    url_prefix="/api/v1/definitions",
    description="BPMN process definitions",
)

MAX_BPMN_BYTES = 5 * 1024 * 1024


@blp.route("")
class Definitions(MethodView):
    @blp.doc(**BEARER)
    @blp.response(200, DefinitionSchema(many=True))
    def get(self) -> list[DefinitionView]:
        """Every deployed version."""
        current_actor()
        return definitions(new_view())

    @blp.doc(
        **BEARER,
        requestBody={"content": {"application/xml": {"schema": {"type": "string"}}} | multipart()},
    )
    @blp.response(201, DefinitionSchema)
    @blp.alt_response(200, schema=DefinitionSchema, description="That exact file is deployed")
    def post(self) -> tuple[DefinitionView, int]:
        """Deploy a BPMN file (administrators): the raw XML as the body, or a multipart `file`.

        400 names the file, the element id, the line and the reason when the diagram is invalid.
        """
        actor = current_actor()
        upload = request.files.get("file")
        filename = (upload.filename if upload else request.args.get("filename")) or "upload.bpmn"
        xml = upload.read(MAX_BPMN_BYTES + 1) if upload else request.get_data()
        if not xml or len(xml) > MAX_BPMN_BYTES:
            raise Invalid({"bpmn": [Message("file_type", "Send a BPMN file of at most 5 MB.")]})
        row, created = deploy(new_uow(), actor, filename, xml)
        return row, 201 if created else 200
