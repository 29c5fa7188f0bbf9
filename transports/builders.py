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

    @property
    def placeholder(self) -> str:
        return f"{self.name}.payload"
