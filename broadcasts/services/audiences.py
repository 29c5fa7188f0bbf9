"""CSV audiences: an uploaded file's rows → a session's recipients, every row checked as a JSON recipient is.

The file is UTF-8 (a BOM is dropped), its first line is the header, fields are separated by `,`, `;`
or a tab (detected from the header) and may be quoted ("Doe, Ana"; a quote inside doubled: "").
One column holds the addresses (`phone` unless another is named); every other named column is a
recipient param (`{"first_name": "Ana"}`), empty cells left out so the message's own value applies.
Rows are read one at a time, never the whole file at once: memory grows with the valid recipients
only, and reading stops at the first row past the limit. Rejected rows are reported by their row
number as a spreadsheet shows it (the header is row 1), with the address cell and the reason.
"""

import csv
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO

from django.conf import settings

from broadcasts.services.errors import SessionError
from broadcasts.services.slot_columns import columns_check, row_slots_apply
from broadcasts.services.validation import MessageChecked, message_check, recipient_checker
from transports.models import Transport

DEFAULT_ADDRESS_COLUMN = "phone"
DELIMITERS = (",", ";", "\t")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_UTF8_BOM = b"\xef\xbb\xbf"
_SAVE_AS = 'save it as "CSV UTF-8" (Excel, LibreOffice and Google Sheets all offer it)'


@dataclass(frozen=True)
class CSVRecipients:
    """The recipients of a session as an uploaded CSV (a binary file object), read when the session is created."""

    file: IO[bytes]
    address_column: str = DEFAULT_ADDRESS_COLUMN
    delimiter: str | None = None  # None: detected from the header
    columns: dict | None = None  # template slot → the column that fills it (slot_columns.py)

    def fingerprint(self) -> str:
        """A digest of the file and the options, for Idempotency-Key: the same upload is the same request."""
        columns = json.dumps(self.columns, sort_keys=True) if self.columns else ""
        digest = hashlib.sha256(f"{self.address_column}\0{self.delimiter or ''}\0{columns}\0".encode())
        self.file.seek(0)
        while chunk := self.file.read(1 << 20):
            digest.update(chunk)
        self.file.seek(0)
        return f"csv:{digest.hexdigest()}"


@dataclass
class Audience:
    """What a CSV gave: the valid recipients (normalized address, params) and each rejected row."""

    valid: list[tuple[str, dict]] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)  # {row, address, error}
    rows: int = 0  # data rows read (blank lines are not rows)
    duplicates: int = 0  # rows whose address an earlier row already had: merged into that one
    address_column: str = DEFAULT_ADDRESS_COLUMN  # as the header spells it
    param_columns: list[str] = field(default_factory=list)
    delimiter: str = ","


def audience_from_csv(
    *,
    file: IO[bytes],
    transport: Transport,
    message: dict,
    checked_message: MessageChecked | None = None,
    address_column: str = DEFAULT_ADDRESS_COLUMN,
    delimiter: str | None = None,
    max_rows: int | None = None,
    columns: dict | None = None,
) -> Audience:
    """Read and check every row of `file` for a send of `message` through `transport`.

    Raises SessionError (a 400 naming `recipients_csv` or `address_column`) for a file that cannot be
    read as a whole: not UTF-8, no header, no such address column, more than `max_rows` rows
    (default MAX_RECIPIENTS_PER_SESSION), `columns` (slot → column) that do not fit the header or the
    message. A bad row is not an error here: it is in `rejected`.
    `checked_message` is `message_check`'s result when the caller already has it.
    """
    if checked_message is None:
        checked_message = message_check(transport=transport, message=message)
    limit = settings.MAX_RECIPIENTS_PER_SESSION if max_rows is None else max_rows
    check = recipient_checker(transport=transport, message=message, checked_message=checked_message)
    header, records, used = _records(file, delimiter)
    address_index, names = _columns(header, address_column)
    meta = message.get("meta") or {}
    slots = columns_check(columns=columns, header=header, meta=meta)
    audience = Audience(address_column=header[address_index], param_columns=[n for n in names if n], delimiter=used)
    width, seen = len(header), set()
    for row_number, cells in records:
        if not any(cell.strip() for cell in cells):
            continue  # a blank line
        audience.rows += 1
        if audience.rows > limit:
            raise SessionError(
                f"At most {limit:,} rows per CSV (MAX_RECIPIENTS_PER_SESSION); row {row_number} is one more: "
                "split the list into several sessions.", field="recipients_csv", code="too_many_recipients",
            )
        raw = cells[address_index].strip() if address_index < len(cells) else ""
        if len(cells) > width and any(cell.strip() for cell in cells[width:]):
            error = f"{len(cells)} fields, but the header has {width}: quote a value that holds the separator"
            audience.rejected.append({"row": row_number, "address": raw, "error": error})
            continue
        params = {name: value.strip() for name, value in zip(names, cells, strict=False) if name and value.strip()}
        params, error = row_slots_apply(meta=meta, slots=slots, cells=cells, params=params)
        if error:
            audience.rejected.append({"row": row_number, "address": raw, "error": error})
            continue
        address, error = check(raw, params)
        if error:
            audience.rejected.append({"row": row_number, "address": raw, "error": error})
        elif address in seen:
            audience.duplicates += 1
        else:
            seen.add(address)
            audience.valid.append((address, params))
    return audience


def audience_columns(*, file: IO[bytes], delimiter: str | None = None) -> list[str]:
    """The header's column names (for a form that lets the user pick the address column); the file is rewound."""
    header, _, _ = _records(file, delimiter)
    file.seek(0)
    return header


def _records(file: IO[bytes], delimiter: str | None) -> tuple[list[str], Iterator[tuple[int, list[str]]], str]:
    """(header, an iterator of (row number, cells), the delimiter used)."""
    lines = _lines(file)
    first = next(lines, None)
    if first is None or not first.strip():
        raise SessionError(
            f"The CSV is empty: its first line must be the header, e.g. {DEFAULT_ADDRESS_COLUMN},first_name.",
            field="recipients_csv", code="invalid_csv",
        )
    used = delimiter or _delimiter_detect(first)
    reader = csv.reader(_chained(first, lines), delimiter=used, strict=True)
    header = [name.strip() for name in _next_record(reader)]
    return header, _numbered(reader), used


def _lines(file: IO[bytes]) -> Iterator[str]:
    """The file's lines as text (line endings kept, for quoted fields that span lines); UTF-8 only."""
    file.seek(0)
    for number, line in enumerate(file, start=1):
        if number == 1:
            if line.startswith(_UTF16_BOMS):
                raise SessionError(
                    f'The CSV is UTF-16 (Excel\'s "Unicode Text"), not UTF-8: {_SAVE_AS}.',
                    field="recipients_csv", code="invalid_csv_encoding",
                )
            line = line.removeprefix(_UTF8_BOM)
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as error:
            byte = line[error.start:error.start + 1].hex()
            raise SessionError(
                f"The CSV is not UTF-8: line {number} has the byte 0x{byte}, which UTF-8 does not allow there "
                f"(Windows-1252 or Latin-1, perhaps): {_SAVE_AS}.",
                field="recipients_csv", code="invalid_csv_encoding",
            ) from None
        if "\x00" in text:
            raise SessionError(
                f"The CSV has a NUL character (\\u0000) on line {number}: it is not a UTF-8 text file; {_SAVE_AS}.",
                field="recipients_csv", code="invalid_csv_encoding",
            )
        yield text


def _chained(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def _delimiter_detect(header_line: str) -> str:
    """The separator the header uses most, outside quotes; `,` when it has none (a one-column file)."""
    counts, quoted = dict.fromkeys(DELIMITERS, 0), False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _next_record(reader) -> list[str]:
    try:
        return next(reader)
    except csv.Error as error:
        raise SessionError(
            f"The CSV cannot be read at line {reader.line_num}: {error}.", field="recipients_csv", code="invalid_csv"
        ) from None


def _numbered(reader) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells): the header is row 1, as a spreadsheet counts (a quoted line break stays in its row)."""
    row_number = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise SessionError(
                f"The CSV cannot be read at line {reader.line_num} (row {row_number + 1}): {error}; "
                "a quote opened in a field must be closed, and a quote inside a quoted field is doubled (\"\").",
                field="recipients_csv", code="invalid_csv",
            ) from None
        row_number += 1
        yield row_number, cells


def _columns(header: list[str], address_column: str) -> tuple[int, list[str]]:
    """(index of the address column, the param name of each column, "" for the address and unnamed ones)."""
    wanted = (address_column or DEFAULT_ADDRESS_COLUMN).strip()
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            raise SessionError(
                f'The CSV header names the column "{name}" twice: each column needs its own name.',
                field="recipients_csv", code="invalid_csv",
            )
        seen.add(name)
    matches = [i for i, name in enumerate(header) if name == wanted]
    matches = matches or [i for i, name in enumerate(header) if name.casefold() == wanted.casefold()]
    if len(matches) != 1:
        named = ", ".join(f'"{name}"' for name in header if name) or "none"
        raise SessionError(
            f'The CSV has no column "{wanted}" (its header names {named}): name the column with the addresses '
            f'in address_column, or call it "{DEFAULT_ADDRESS_COLUMN}".',
            field="address_column", code="missing_address_column",
        )
    index = matches[0]
    return index, ["" if i == index else name for i, name in enumerate(header)]

