import pytest

from transports.errors import ErrorCategory
from transports.whatsapp.catalogue import AUTH, CATALOGUE, PERMANENT, THROTTLED, TRANSIENT, error_classify


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
        # One template or category, never the account: these must not stop the transport (AUTH).
        (131063, 400, PERMANENT),
        (131064, 400, PERMANENT),
        (131055, 400, PERMANENT),
    ],
)
def test_it_classifies_by_meta_code_first(code, http_status, category):
    assert error_classify(http_status=http_status, code=code)[0] == category


# Meta's table as the project reference gives it (code, HTTP status Meta uses, how a sender reacts).
METAS_TABLE = [
    (0, 401, AUTH), (1, 400, TRANSIENT), (2, 503, TRANSIENT), (3, 500, AUTH), (4, 400, THROTTLED),
    (10, 403, AUTH), (33, 400, AUTH), (100, 400, PERMANENT), (190, 401, AUTH), (200, 403, AUTH), (299, 403, AUTH),
    (368, 403, AUTH), (80007, 400, THROTTLED), (130429, 400, THROTTLED), (130472, 400, PERMANENT),
    (131000, 500, TRANSIENT), (131005, 403, AUTH), (131008, 400, PERMANENT), (131009, 400, PERMANENT),
    (131016, 503, TRANSIENT), (131021, 400, PERMANENT), (131026, 400, PERMANENT), (131030, 400, PERMANENT),
    (131031, 403, AUTH), (131042, 400, AUTH), (131045, 500, AUTH), (131047, 400, PERMANENT),
    (131048, 400, THROTTLED), (131049, 400, PERMANENT), (131051, 400, PERMANENT), (131052, 400, PERMANENT),
    (131053, 400, PERMANENT), (131056, 400, THROTTLED), (131057, 500, TRANSIENT), (132000, 400, PERMANENT),
    (132001, 404, PERMANENT), (132005, 400, PERMANENT), (132007, 400, PERMANENT), (132012, 400, PERMANENT),
    (132015, 400, PERMANENT), (132016, 400, PERMANENT), (133004, 503, TRANSIENT), (133010, 400, AUTH),
]


@pytest.mark.parametrize(("code", "http_status", "category"), METAS_TABLE)
def test_every_code_of_metas_table_has_its_category(code, http_status, category):
    assert error_classify(http_status=http_status, code=code)[0] == category


def test_throttling_codes_come_with_a_retry_after_hint():
    for code, _, category in METAS_TABLE:
        if category == THROTTLED:
            assert (error_classify(http_status=400, code=code)[1] or 0) > 0, code


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
    assert all(entry.category in ErrorCategory.values and entry.title for entry in CATALOGUE.values())
