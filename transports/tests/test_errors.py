import pytest

from transports.errors import AUTH, CATALOGUE, CATEGORIES, PERMANENT, THROTTLED, TRANSIENT, error_classify


@pytest.mark.parametrize(
    ("code", "http_status", "category"),
    [
        (130429, 400, THROTTLED),  # throughput: Meta sends throttling as HTTP 400
        (131056, 400, THROTTLED),
        (131026, 400, PERMANENT),
        (132001, 404, PERMANENT),
        (132000, 400, PERMANENT),
        (190, 401, AUTH),
        (0, 401, AUTH),
        (250, 403, AUTH),  # the 200-299 permission range
        (131000, 500, TRANSIENT),
        (2, 503, TRANSIENT),
        ("131047", 400, PERMANENT),  # some wrappers send the code as a string
    ],
)
def test_it_classifies_by_meta_code_first(code, http_status, category):
    assert error_classify(http_status=http_status, code=code)[0] == category


def test_it_falls_back_to_the_http_status_without_a_known_code():
    assert error_classify(http_status=None)[0] == TRANSIENT  # network error
    assert error_classify(http_status=502)[0] == TRANSIENT
    assert error_classify(http_status=429)[0] == THROTTLED
    assert error_classify(http_status=401)[0] == AUTH
    assert error_classify(http_status=400, code="999999")[0] == PERMANENT


def test_it_gives_a_retry_after_hint_for_throttling():
    assert error_classify(http_status=400, code=130429)[1] == 1
    assert error_classify(http_status=500, code=131057)[1] == 60


def test_every_catalogue_entry_has_a_known_category_and_a_title():
    assert all(entry.category in CATEGORIES and entry.title for entry in CATALOGUE.values())
