"""A session's per-recipient results as CSV, streamed: one chunk of rows in memory, whatever the session's size.

Phone numbers are masked (country code and the last two digits kept), also inside params and error titles,
unless the reader may see personal data. Every cell that a spreadsheet would read as a formula (it starts
with `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`, so opening the file runs nothing.
"""

import csv
import io
import json
from collections.abc import Iterator

from broadcasts.models import Session
from broadcasts.selectors import session_broadcast_chunks
from transports.redaction import mask_phone, phones_masked

EXPORT_COLUMNS = [
    "id", "address", "params", "status", "sent_at", "delivered_at", "read_at", "failed_at", "wamid",
    "error_code", "error_title", "attempts",
]
_FIELDS = EXPORT_COLUMNS[1:]
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell_neutralised(value: str) -> str:
    """`value` as a spreadsheet shows it as text: a formula-looking cell gets a leading apostrophe."""
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value


def session_export_filename(session: Session) -> str:
    return f"session-{session.pk}-broadcasts.csv"


def session_export_csv(*, session: Session, personal_data: bool) -> Iterator[bytes]:
    """The CSV's UTF-8 bytes, the header first, then one row per broadcast in id order, a chunk at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for chunk in session_broadcast_chunks(session=session, fields=_FIELDS):
        for row in chunk:
            writer.writerow([cell_neutralised(cell) for cell in _cells(row, personal_data)])
        yield _drained(buffer)
    yield _drained(buffer)  # the header alone when the session has no broadcasts


def _drained(buffer: io.StringIO) -> bytes:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text.encode()


def _cells(row: tuple, personal_data: bool) -> list[str]:
    pk, address, params, status, sent, delivered, read, failed, wamid, code, title, attempts = row
    if not personal_data:
        known = (address,)
        address, params, title = mask_phone(address), phones_masked(params, known), phones_masked(title, known)
    return [
        str(pk), address, json.dumps(params, ensure_ascii=False) if params else "", status,
        *(moment.isoformat() if moment else "" for moment in (sent, delivered, read, failed)),
        wamid or "", code, title, str(attempts),
    ]
