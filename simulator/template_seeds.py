"""The templates every simulator starts with (all en_US, on the first business account).

They cover what a broadcaster meets: no parameters, positional and named body parameters, each
media header kind, a location header, buttons with and without a variable, and templates that cannot be sent.
"""

SEED_TEMPLATES: list[dict] = [
    {
        "name": "hello_world",
        "category": "UTILITY",
        "status": "APPROVED",
        "components": [
            {"type": "HEADER", "format": "TEXT", "text": "Hello World"},
            {"type": "BODY", "text": "Welcome and congratulations!! This message shows that your account is ready."},
            {"type": "FOOTER", "text": "WhatsApp Gateway demo"},
        ],
    },
    {
        "name": "order_confirmation",
        "category": "UTILITY",
        "status": "APPROVED",
        "components": [
            {
                "type": "BODY",
                "text": "Hi {{1}}, your order {{2}} is confirmed and will arrive on {{3}}. Thank you!",
                "example": {"body_text": [["Ana", "B-1042", "12 March"]]},
            },
            {"type": "FOOTER", "text": "Questions? Just reply to this message."},
        ],
    },
    {
        "name": "appointment_reminder",
        "category": "UTILITY",
        "status": "APPROVED",
        "parameter_format": "NAMED",
        "components": [
            {"type": "HEADER", "format": "TEXT", "text": "Appointment reminder"},
            {
                "type": "BODY",
                "text": "Hello {{first_name}}, your appointment is on {{date}} at {{time}}. See you!",
                "example": {
                    "body_text_named_params": [
                        {"param_name": "first_name", "example": "Ana"},
                        {"param_name": "date", "example": "12 March"},
                        {"param_name": "time", "example": "10:30"},
                    ]
                },
            },
        ],
    },
    {
        "name": "promo_image",
        "category": "MARKETING",
        "status": "APPROVED",
        "components": [
            {"type": "HEADER", "format": "IMAGE", "example": {"header_handle": ["4::aW1hZ2UvanBlZw==:ARb-promo"]}},
            {
                "type": "BODY",
                "text": "Our spring sale starts today: {{1}} off everything in store.",
                "example": {"body_text": [["20%"]]},
            },
            {"type": "FOOTER", "text": "Reply STOP to opt out"},
        ],
    },
    {
        "name": "product_video",
        "category": "MARKETING",
        "status": "APPROVED",
        "components": [
            {"type": "HEADER", "format": "VIDEO", "example": {"header_handle": ["4::dmlkZW8vbXA0:ARb-video"]}},
            {
                "type": "BODY",
                "text": "See the new {{1}} in action before anyone else.",
                "example": {"body_text": [["Trail Runner 2"]]},
            },
        ],
    },
    {
        "name": "invoice_document",
        "category": "UTILITY",
        "status": "APPROVED",
        "components": [
            {"type": "HEADER", "format": "DOCUMENT", "example": {"header_handle": ["4::YXBwbGljYXRpb24vcGRm:ARb-pdf"]}},
            {
                "type": "BODY",
                "text": "Your invoice {{1}} for {{2}} is attached.",
                "example": {"body_text": [["INV-2031", "$42.00"]]},
            },
        ],
    },
    {
        "name": "store_location",
        "category": "UTILITY",
        "status": "APPROVED",
        "components": [
            {"type": "HEADER", "format": "LOCATION"},
            {
                "type": "BODY",
                "text": "Your order {{1}} is ready for pickup at the store shown above.",
                "example": {"body_text": [["B-1042"]]},
            },
        ],
    },
    {
        "name": "shipping_update",
        "category": "UTILITY",
        "status": "APPROVED",
        "components": [
            {
                "type": "BODY",
                "text": "Good news: your parcel {{1}} is on its way.",
                "example": {"body_text": [["B-1042"]]},
            },
            {
                "type": "BUTTONS",
                "buttons": [
                    {
                        "type": "URL",
                        "text": "Track parcel",
                        "url": "https://shop.example.com/track/{{1}}",
                        "example": ["https://shop.example.com/track/B-1042"],
                    },
                    {"type": "QUICK_REPLY", "text": "Stop updates"},
                ],
            },
        ],
    },
    {
        "name": "old_promo",
        "category": "MARKETING",
        "status": "PAUSED",
        "quality": "RED",
        "components": [
            {
                "type": "BODY",
                "text": "Last chance: {{1}} ends tonight.",
                "example": {"body_text": [["the winter sale"]]},
            },
        ],
    },
    {
        "name": "legacy_notice",
        "category": "UTILITY",
        "status": "DISABLED",
        "quality": "RED",
        "components": [{"type": "BODY", "text": "This service will change soon. Reply for details."}],
    },
    {
        "name": "new_offer",
        "category": "MARKETING",
        "status": "PENDING",
        "quality": "UNKNOWN",
        "components": [
            {
                "type": "BODY",
                "text": "A new offer just for you, {{1}}: free delivery this week.",
                "example": {"body_text": [["Ana"]]},
            },
        ],
    },
]
