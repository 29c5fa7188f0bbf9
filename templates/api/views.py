from dataclasses import asdict

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from templates.api import examples
from templates.api.filters import TemplateFilter
from templates.api.serializers import SyncInput, SyncReportOutput, TemplateInput, TemplateOutput
from templates.models import Template
from templates.selectors import template_list
from templates.services import TemplateError, template_delete, template_submit, templates_sync
from transports.models import Transport
from whatsapp_gateway.api_input import ascii_id
from whatsapp_gateway.api_schema import conflict, errors, not_found_example
from whatsapp_gateway.authentication import AppScopedMixin

CREATE_EXAMPLE = OpenApiExample(
    "Order shipped (positional)",
    request_only=True,
    value={
        "transport": 1,
        "name": "order_shipped_v1",
        "language": "en_US",
        "category": "UTILITY",
        "components": [
            {
                "type": "BODY",
                "text": "Hi {{1}}, order {{2}} is on its way.",
                "example": {"body_text": [["Ana", "B-1042"]]},
            },
            {"type": "FOOTER", "text": "Reply STOP to opt out"},
        ],
    },
)


@extend_schema(tags=["templates"])
class TemplateViewSet(AppScopedMixin, viewsets.GenericViewSet):
    queryset = Template.objects.none()  # for the schema only; real queries are scoped to the app
    filterset_class = TemplateFilter

    def _transport(self, transport_id) -> Transport:
        transport = Transport.objects.filter(app=self.app, pk=transport_id).first()
        if transport is None:
            raise TemplateError(
                f"No transport with id {transport_id} in this app.", field="transport", code="unknown_transport"
            )
        return transport

    def _template(self, pk) -> Template:
        template_id = ascii_id(pk)
        template = (
            Template.objects.filter(app=self.app, pk=template_id).select_related("transport").first()
            if template_id is not None
            else None
        )
        if template is None:
            raise NotFound("No such template.")
        return template

    @extend_schema(
        summary="List your templates",
        description="The WhatsApp templates the gateway knows for your transports (as of the last sync), each "
        "with `requires`: what a send must give (parameters, header, buttons).",
        responses={200: TemplateOutput(many=True), **errors(400, 404)},
        examples=[examples.TEMPLATE],
    )
    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(template_list(app=self.app)))
        return self.get_paginated_response(TemplateOutput(page, many=True).data)

    @extend_schema(
        summary="One template",
        description="One template in one language: its components, status and quality at Meta, and what a send "
        "must give.",
        responses={200: TemplateOutput, **errors(404, examples={404: [not_found_example("No such template.")]})},
        examples=[examples.TEMPLATE],
    )
    def retrieve(self, request, pk=None):
        return Response(TemplateOutput(self._template(pk)).data)

    @extend_schema(
        summary="Submit a new template to Meta",
        description="Check the definition against Meta's rules, submit it to the transport's WhatsApp Business "
        "Account and store it as Meta answered (usually PENDING until Meta reviews it).",
        request=TemplateInput,
        responses={
            201: TemplateOutput,
            **errors(
                400, 409, 413, 415, 502,
                examples=conflict(
                    "Name taken", "template_exists",
                    "order_shipped_v1 already exists in en_US; use a new name such as a _v2 suffix.",
                ),
                when_409="A template of that name exists in that language.",
            ),
        },
        examples=[CREATE_EXAMPLE, examples.SUBMITTED],
    )
    def create(self, request):
        data = TemplateInput(data=request.data)
        data.is_valid(raise_exception=True)
        definition = dict(data.validated_data)
        transport = self._transport(definition.pop("transport"))
        template = template_submit(transport=transport, definition=definition)
        return Response(TemplateOutput(template).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Delete a template at Meta",
        description="Delete this language of the template at Meta (by its id), then here.",
        responses={
            204: OpenApiResponse(description="Deleted at Meta and here."),
            **errors(400, 404, 502, when_400="Meta refused the deletion; its words are under `meta`."),
        },
    )
    def destroy(self, request, pk=None):
        template_delete(template=self._template(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Sync templates from Meta",
        description="Fetch every page of the templates of your transports' WhatsApp Business Accounts from Meta "
        "now: new ones are added, changed ones updated, vanished ones marked DELETED. One report per transport.",
        request=SyncInput,
        responses={200: SyncReportOutput(many=True), **errors(400, 413, 415, 502)},
        examples=[examples.SYNCED],
    )
    @action(detail=False, methods=["post"], pagination_class=None)
    def sync(self, request):
        data = SyncInput(data=request.data)
        data.is_valid(raise_exception=True)
        if "transport" in data.validated_data:
            transports = [self._transport(data.validated_data["transport"])]
        else:
            transports = Transport.objects.filter(app=self.app, config__businessAccountId__isnull=False)
        reports = [templates_sync(transport=transport) for transport in transports]
        return Response([asdict(report) for report in reports])
