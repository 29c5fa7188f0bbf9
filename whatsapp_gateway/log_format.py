"""Log formatting: readable key=value lines for development, and request lines kept free of secrets."""

import logging
import re

from transports.addresses import PHONE_DIGITS
from transports.redaction import mask_phone, redact_text

_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
# An admin search (`?q=`) is often a full phone number; any other query value that is one gets masked.
_SEARCH_QUERY = re.compile(r"([?&]q=)[^&\s\"']*")
_PHONE_IN_QUERY = re.compile(rf"(=(?:%2B|\+)?)({PHONE_DIGITS})(?=[&\s\"'#]|$)")


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = {k: v for k, v in record.__dict__.items() if k not in _STANDARD and not k.startswith("_")}
        if not fields:
            return line
        return line + " " + " ".join(f"{key}={value}" for key, value in fields.items())


def request_line_redacted(text: str) -> str:
    """A request line or URL with secret query values redacted and phone numbers masked."""
    text = _SEARCH_QUERY.sub(r"\1[REDACTED]", redact_text(text))
    return _PHONE_IN_QUERY.sub(lambda m: m.group(1) + mask_phone(m.group(2)), text)


class RequestRedactionFilter(logging.Filter):
    """Django's request and access-log lines carry the full URL: Meta's `hub.verify_token` on a
    webhook handshake, a phone number in an admin search. Rewrite them before any handler writes."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith("django."):
            return True
        message = record.getMessage()
        safe = request_line_redacted(message)
        if safe != message:
            record.msg, record.args = safe, ()
        request = getattr(record, "request", None)  # django.server's is a socket: nothing to hide
        if hasattr(request, "get_full_path"):
            # Both formatters would print repr(request), which holds the whole query string.
            record.request = request_line_redacted(f"{request.method} {request.get_full_path()}")
        return True
