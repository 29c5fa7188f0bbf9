"""The rules of send_at and send windows, and the window's clock maths: midnight and DST included."""

from datetime import UTC, datetime, timedelta

import pytest

from broadcasts.services.errors import SessionError
from broadcasts.services.send_windows import (
    SEND_AT_MAX_AHEAD,
    SEND_AT_TOLERANCE,
    send_at_check,
    send_window_check,
    window_is_open,
    window_opens_at,
)

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
MADRID = {"start": "09:00", "end": "20:00", "time_zone": "Europe/Madrid"}
NIGHT = {"start": "22:00", "end": "06:00", "time_zone": "UTC"}


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_a_send_at_ahead_is_not_due_and_one_now_or_just_past_is():
    assert send_at_check(NOW + timedelta(seconds=5), now=NOW) is False
    assert send_at_check(NOW, now=NOW) is True
    assert send_at_check(NOW - SEND_AT_TOLERANCE, now=NOW) is True


@pytest.mark.parametrize(
    ("send_at", "words"),
    [
        (datetime(2026, 6, 1, 13, 0), "needs a UTC offset"),
        (NOW - SEND_AT_TOLERANCE - timedelta(seconds=1), "in the past"),
        (NOW + SEND_AT_MAX_AHEAD + timedelta(seconds=1), "days ahead"),
    ],
)
def test_a_naive_past_or_too_distant_send_at_is_refused_naming_the_field(send_at, words):
    with pytest.raises(SessionError) as refused:
        send_at_check(send_at, now=NOW)
    assert refused.value.status == 400
    assert list(refused.value.errors) == ["send_at"]
    assert words in refused.value.message


@pytest.mark.parametrize(
    ("window", "key"),
    [
        ({**MADRID, "start": "9:00"}, "start"),
        ({**MADRID, "start": "24:00"}, "start"),
        ({**MADRID, "end": "20:60"}, "end"),
        ({**MADRID, "end": 2000}, "end"),
        ({**MADRID, "time_zone": "Mars/Olympus_Mons"}, "time_zone"),
        ({**MADRID, "time_zone": "../../etc/passwd"}, "time_zone"),
        ({**MADRID, "time_zone": ""}, "time_zone"),
        ({"start": "09:00", "end": "20:00"}, "time_zone"),
        ({**MADRID, "end": "09:00"}, "end"),
        ({**MADRID, "days": "mon-fri"}, "days"),
    ],
)
def test_each_bad_part_of_a_window_is_a_400_naming_it(window, key):
    with pytest.raises(SessionError) as refused:
        send_window_check(window)
    assert refused.value.status == 400
    assert list(refused.value.errors["send_window"]) == [key]
    assert refused.value.message.startswith(f"send_window.{key}: ")


def test_a_window_that_is_not_an_object_is_refused():
    with pytest.raises(SessionError) as refused:
        send_window_check(["09:00", "20:00"])
    assert list(refused.value.errors) == ["send_window"]


def test_a_good_window_is_kept_as_given():
    assert send_window_check(dict(MADRID)) == MADRID


def test_a_window_is_read_on_its_zones_clock():
    # 1 June: Madrid is UTC+2, so 09:00–20:00 there is 07:00–18:00 UTC.
    assert window_opens_at(MADRID, at=utc(2026, 6, 1, 6, 59)) == utc(2026, 6, 1, 7, 0)
    assert window_opens_at(MADRID, at=utc(2026, 6, 1, 7, 0)) is None
    assert window_opens_at(MADRID, at=utc(2026, 6, 1, 17, 59)) is None
    assert window_opens_at(MADRID, at=utc(2026, 6, 1, 18, 0)) == utc(2026, 6, 2, 7, 0)


def test_a_window_across_midnight_is_open_on_both_sides_of_it():
    assert window_is_open(NIGHT, at=utc(2026, 6, 1, 23, 0))
    assert window_is_open(NIGHT, at=utc(2026, 6, 2, 0, 30))
    assert window_is_open(NIGHT, at=utc(2026, 6, 2, 5, 59))
    assert window_opens_at(NIGHT, at=utc(2026, 6, 2, 6, 0)) == utc(2026, 6, 2, 22, 0)
    assert window_opens_at(NIGHT, at=utc(2026, 6, 1, 21, 59)) == utc(2026, 6, 1, 22, 0)


def test_after_the_autumn_change_the_window_opens_at_the_same_local_time_25_hours_later():
    # Madrid leaves summer time on 25 October 2026: 09:00 is 07:00 UTC the day before, 08:00 UTC that day.
    assert window_opens_at(MADRID, at=utc(2026, 10, 24, 19, 0)) == utc(2026, 10, 25, 8, 0)
    assert window_opens_at(MADRID, at=utc(2026, 3, 28, 19, 30)) == utc(2026, 3, 29, 7, 0)  # spring: 23 h


def test_a_start_the_spring_jump_skips_opens_when_the_clock_jumps_past_it():
    # 29 March 2026 in Madrid: 02:00 CET jumps to 03:00 CEST (01:00 UTC); 02:30 never shows on the clock.
    window = {"start": "02:30", "end": "05:00", "time_zone": "Europe/Madrid"}
    assert window_opens_at(window, at=utc(2026, 3, 29, 0, 0)) == utc(2026, 3, 29, 1, 0)
    assert window_is_open(window, at=utc(2026, 3, 29, 1, 0))
    assert not window_is_open(window, at=utc(2026, 3, 29, 0, 59))


def test_a_start_in_the_repeated_autumn_hour_opens_at_its_first_occurrence():
    # 25 October 2026 in Madrid: 02:30 happens at 00:30 UTC (CEST) and again at 01:30 UTC (CET).
    window = {"start": "02:30", "end": "05:00", "time_zone": "Europe/Madrid"}
    assert window_opens_at(window, at=utc(2026, 10, 24, 22, 0)) == utc(2026, 10, 25, 0, 30)


@pytest.mark.parametrize(
    "window",
    [MADRID, NIGHT, {"start": "18:00", "end": "02:00", "time_zone": "America/New_York"},
     {"start": "02:30", "end": "03:15", "time_zone": "Europe/Madrid"}],
)
def test_over_a_year_the_next_opening_is_always_ahead_and_is_the_moment_the_window_opens(window):
    at = utc(2026, 1, 1, 0, 7)
    while at < utc(2027, 1, 1):
        opens = window_opens_at(window, at=at)
        if opens is None:
            assert window_is_open(window, at=at)
        else:
            assert not window_is_open(window, at=at), at
            assert opens > at and window_is_open(window, at=opens), (at, opens)
            assert not window_is_open(window, at=opens - timedelta(minutes=1)), (at, opens)
            assert opens - at <= timedelta(hours=25)
        at += timedelta(minutes=41)
