import pytest

from transports.errors import ErrorCategory
from transports.whatsapp.catalogue import AUTH, CATALOGUE, PERMANENT, THROTTLED, TRANSIENT, error_classify

# Statuses Meta answers errors with, and some it does not: a known code decides whatever came with it.
ANY_STATUS = [None, 200, 400, 401, 403, 404, 429, 500, 503]


@pytest.mark.parametrize(
    ("code", "category"),
    [
        (130429, THROTTLED),  # throughput: Meta sends throttling as HTTP 400, which alone would say PERMANENT
        (131056, THROTTLED),
        (131026, PERMANENT),
        (132001, PERMANENT),  # sent as HTTP 404
        (132000, PERMANENT),
        (190, AUTH),
        (0, AUTH),
        (250, AUTH),  # the 200-299 permission range
        (131000, TRANSIENT),  # sent as HTTP 500
        (2, TRANSIENT),
        ("131047", PERMANENT),  # some wrappers send the code as a string
        # One template or category, never the account: these must not stop the transport (AUTH).
        (131063, PERMANENT),
        (131064, PERMANENT),
        (131055, PERMANENT),
    ],
)
def test_it_classifies_by_meta_code_whatever_the_http_status(code, category):
    assert {error_classify(http_status=status, code=code)[0] for status in ANY_STATUS} == {category}


# Meta's table as the project reference gives it (code, how a sender reacts); the HTTP status Meta
# sends with each code changes nothing (the test above), so it is not repeated here.
METAS_TABLE = [
    (0, AUTH), (1, TRANSIENT), (2, TRANSIENT), (3, AUTH), (4, THROTTLED), (10, AUTH), (33, AUTH), (100, PERMANENT),
    (190, AUTH), (200, AUTH), (299, AUTH), (368, AUTH), (80007, THROTTLED), (130429, THROTTLED), (130472, PERMANENT),
    (131000, TRANSIENT), (131005, AUTH), (131008, PERMANENT), (131009, PERMANENT), (131016, TRANSIENT),
    (131021, PERMANENT), (131026, PERMANENT), (131030, PERMANENT), (131031, AUTH), (131042, AUTH), (131045, AUTH),
    (131047, PERMANENT), (131048, THROTTLED), (131049, PERMANENT), (131051, PERMANENT), (131052, PERMANENT),
    (131053, PERMANENT), (131056, THROTTLED), (131057, TRANSIENT), (132000, PERMANENT), (132001, PERMANENT),
    (132005, PERMANENT), (132007, PERMANENT), (132012, PERMANENT), (132015, PERMANENT), (132016, PERMANENT),
    (133004, TRANSIENT), (133010, AUTH),
]


@pytest.mark.parametrize(("code", "category"), METAS_TABLE)
def test_every_code_of_metas_table_has_its_category(code, category):
    assert {error_classify(http_status=status, code=code)[0] for status in ANY_STATUS} == {category}


@pytest.mark.parametrize("code", ["", None, "999999", 424242])
@pytest.mark.parametrize(("http_status", "category"), [
    (None, TRANSIENT),  # a network error: no answer at all
    (408, TRANSIENT),
    (500, TRANSIENT),
    (502, TRANSIENT),
    (503, TRANSIENT),
    (429, THROTTLED),
    (401, AUTH),
    (403, AUTH),
    (400, PERMANENT),
    (404, PERMANENT),
    (422, PERMANENT),
])
def test_without_a_known_code_the_http_status_decides(code, http_status, category):
    assert error_classify(http_status=http_status, code=code) == (category, None)


def test_throttling_codes_come_with_a_retry_after_hint():
    for code, category in METAS_TABLE:
        if category == THROTTLED:
            assert (error_classify(http_status=400, code=code)[1] or 0) > 0, code


def test_it_gives_a_retry_after_hint_for_throttling():
    assert error_classify(http_status=400, code=130429)[1] == 1
    assert error_classify(http_status=500, code=131057)[1] == 60


def test_every_catalogue_entry_has_a_known_category_and_a_title():
    assert all(entry.category in ErrorCategory.values and entry.title for entry in CATALOGUE.values())
