"""Payload builders: a provider's own request body, written from a gateway message.

A config asks for one with the placeholder `{%<name>.payload%}` (e.g. `{%whatsapp.payload%}` as
its body); the engine calls the builder for each recipient and knows nothing of the body it writes.
Builders live with their provider (transports/whatsapp/payloads.py) and are listed in
transports/providers.py.
"""

from collections.abc import Callable
from dataclasses import dataclass

TEXT_LIMIT = 4096  # the longest text content a TEXT transport sends (WhatsApp's limit, the strictest)


class BuildError(ValueError):
    """The message cannot be turned into the provider's request; str() names the field."""


@dataclass(frozen=True)
class PayloadBuilder:
    name: str  # the placeholder's root: {%<name>.payload%}
    # build(to=, message=, params=, callback_data=) → the body; raises BuildError naming the field
    build: Callable[..., object]
    # False when the message's content is not what is sent (a template's text lives at the provider)
    sends_content: Callable[[dict], bool]
    # True when the provider can address a person by a user id instead of a phone number (WhatsApp's BSUIDs)
    user_ids: bool = False
    # True when free-form content may only go to someone who wrote in the last 24 hours (WhatsApp's
    # customer-service window); template messages are not bound by it
    service_window: bool = False
    # True when the provider charges per delivered template by category and recipient country (WhatsApp's
    # per-message pricing): the gateway prices its sessions with the app's rate card
    priced_per_message: bool = False
    # route(config, message) → (endpoint, body fields it adds): the endpoint `{%<name>.endpoint%}` names for
    # this message (WhatsApp: messages or marketing_messages) and what its body needs there; None: one endpoint
    route: Callable[[dict, dict], tuple[str, dict]] | None = None

    @property
    def placeholder(self) -> str:
        return f"{self.name}.payload"

    @property
    def placeholders(self) -> tuple[str, ...]:
        """Every placeholder a config may use with this builder: its payload and its endpoint."""
        return (self.placeholder, f"{self.name}.endpoint")
