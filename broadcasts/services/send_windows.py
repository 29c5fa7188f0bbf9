"""The rules of a session's `send_at` and `send_window`, and the window's clock maths.

A send window is read on the wall clock of its time zone: `{"start": "09:00", "end": "20:00",
"time_zone": "Europe/Madrid"}` is open from 09:00 to 20:00 Madrid time whatever the offset that day
(DST included); a window whose end is before its start crosses midnight (22:00–06:00). Pure
functions of their arguments: no database, so every rule is tested with plain datetimes.
"""

import re
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta
from functools import cache

from broadcasts.services.errors import SessionError

# A send_at this far in the past is taken as "now": the caller's clock and ours differ a little.
SEND_AT_TOLERANCE = timedelta(seconds=60)
# Scheduled further ahead than this is a typo more often than a plan (and the template may be gone by then).
SEND_AT_MAX_AHEAD = timedelta(days=365)
WINDOW_KEYS = ("start", "end", "time_zone")
_HHMM = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


def send_at_check(send_at: datetime, *, now: datetime, field: str = "send_at") -> bool:
    """Refuse a naive, past or too distant `send_at` (400 naming `field`); returns whether it is due already."""
    if send_at.tzinfo is None or send_at.utcoffset() is None:
        raise SessionError("needs a UTC offset, e.g. 2027-01-15T09:00:00+01:00 or …Z.", field=field)
    if send_at < now - SEND_AT_TOLERANCE:
        raise SessionError(
            f"is in the past ({send_at.isoformat()}; now is {now.astimezone(UTC).isoformat()}).", field=field
        )
    if send_at > now + SEND_AT_MAX_AHEAD:
        raise SessionError(f"is more than {SEND_AT_MAX_AHEAD.days} days ahead.", field=field)
    return send_at <= now


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def send_window_check(window, *, field: str = "send_window") -> dict:
    """The window as stored (start, end, time_zone), or a 400 naming the key at fault (`send_window.start`)."""
    if not isinstance(window, dict):
        raise SessionError('must be an object {"start": "09:00", "end": "20:00", "time_zone": "Europe/Madrid"}.',
                           field=field)
    problems = {}
    for key in sorted(set(window) - set(WINDOW_KEYS)):
        problems[key] = [f"unknown key; a window has {', '.join(WINDOW_KEYS)}."]
    for key in ("start", "end"):
        value = window.get(key)
        if not isinstance(value, str) or not _HHMM.fullmatch(value):
            problems[key] = ['must be a time of day as HH:MM, 24-hour ("09:00", "20:30").']
    zone = window.get("time_zone")
    if not isinstance(zone, str) or zone not in _zone_names():
        problems["time_zone"] = ['must be an IANA time zone name, e.g. "Europe/Madrid" or "UTC".']
    if not problems and window["start"] == window["end"]:
        problems["end"] = ["must differ from start (a window that never closes is no window: leave it out)."]
    if problems:
        raise SessionError(errors={field: problems})
    return {key: window[key] for key in WINDOW_KEYS}


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def window_is_open(window: dict, *, at: datetime) -> bool:
    """Whether the window's local clock at `at` is within [start, end) (across midnight when end < start)."""
    start, end = _clock(window["start"]), _clock(window["end"])
    local = at.astimezone(zoneinfo.ZoneInfo(window["time_zone"])).time()
    return start <= local < end if start < end else (local >= start or local < end)


def _local_instant(day: date, clock: time, zone: zoneinfo.ZoneInfo) -> datetime:
    """The first instant the zone's clock shows `clock` on `day`, or the first one after it.

    A time skipped by a DST jump (02:30 in Madrid on the last Sunday of March) opens when the clock
    jumps past it (03:00 CEST); a time that happens twice (the autumn hour) opens at its first.
    """
    wall = datetime.combine(day, clock)
    for _ in range(24 * 60):
        # fold=0: the first of two, or the offset before a gap. In UTC: Python compares and subtracts
        # datetimes of one zone on their wall clocks, which would be wrong across a change.
        instant = wall.replace(tzinfo=zone).astimezone(UTC)
        if instant.astimezone(zone).replace(tzinfo=None) == wall:
            return instant
        wall += timedelta(minutes=1)  # inside a gap: the clock never shows it; the gap's end does
    raise AssertionError("no DST gap lasts a day")


def window_opens_at(window: dict, *, at: datetime) -> datetime | None:
    """None while the window is open at `at`; else the instant it next opens, in UTC (always after `at`)."""
    if window_is_open(window, at=at):
        return None
    zone = zoneinfo.ZoneInfo(window["time_zone"])
    today = at.astimezone(zone).date()
    start = _clock(window["start"])
    for offset in range(3):
        opens = _local_instant(today + timedelta(days=offset), start, zone)
        if opens > at:
            return opens
    raise AssertionError("a window opens every day")
