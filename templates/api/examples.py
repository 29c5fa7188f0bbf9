"""Response examples shown in the OpenAPI docs: templates as Meta and the gateway know them."""

from drf_spectacular.utils import OpenApiExample

TEMPLATE_VALUE = {
    "id": 12,
    "transport": 1,
    "meta_id": "1546783219034567",
    "name": "order_confirmation",
    "language": "en_US",
    "category": "UTILITY",
    "status": "APPROVED",
    "quality_score": "GREEN",
    "parameter_format": "POSITIONAL",
    "components": [
        {
            "type": "BODY",
            "text": "Hi {{1}}, order {{2}} arrives {{3}}.",
            "example": {"body_text": [["Ana", "B-1042", "Friday"]]},
        },
        {"type": "FOOTER", "text": "Reply STOP to opt out"},
    ],
    "rejected_reason": "",
    "requires": "3 positional body parameter(s) (1, 2, 3)",
    "synced_at": "2026-11-25T07:55:00Z",
    "deleted_at_meta": None,
    "created_at": "2026-11-20T09:31:00Z",
    "updated_at": "2026-11-25T07:55:00Z",
}
TEMPLATE = OpenApiExample("Approved", response_only=True, status_codes=["200"], value=TEMPLATE_VALUE)
SUBMITTED = OpenApiExample(
    "Submitted, pending Meta's review",
    response_only=True,
    status_codes=["201"],
    value={
        **TEMPLATE_VALUE, "id": 13, "meta_id": "1546783219034999", "name": "order_shipped_v1", "status": "PENDING",
        "quality_score": "", "requires": "2 positional body parameter(s) (1, 2)", "synced_at": None,
        "components": [
            {
                "type": "BODY", "text": "Hi {{1}}, order {{2}} is on its way.",
                "example": {"body_text": [["Ana", "B-1042"]]},
            },
            {"type": "FOOTER", "text": "Reply STOP to opt out"},
        ],
        "created_at": "2026-11-25T08:10:00Z", "updated_at": "2026-11-25T08:10:00Z",
    },
)
SYNCED = OpenApiExample(
    "One transport synced",
    response_only=True,
    status_codes=["200"],
    # One report of the list the operation answers (the docs show it inside the list).
    value={
        "transport": 1, "created": 2, "updated": 5, "deleted": 1,
        "skipped": [{"name": "spring_sale", "language": "pt_BR", "reason": "components: more than one HEADER"}],
    },
)
