import pytest

from transports.network import UnsafeURLError, url_check


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9000/x",
        "http://10.0.0.5/x",
        "http://192.168.1.1/x",
        "http://169.254.169.254/latest",
        "http://[::1]/x",
        "http://localhost/x",
        "http://0.0.0.0/x",
        "http://[::ffff:127.0.0.1]/x",
    ],
)
def test_it_refuses_private_loopback_and_link_local_hosts(url, settings):
    settings.TRANSPORT_ALLOWED_HOSTS = []
    with pytest.raises(UnsafeURLError, match="TRANSPORT_ALLOWED_HOSTS"):
        url_check(url)


def test_it_allows_an_allow_listed_host_and_port(settings):
    settings.TRANSPORT_ALLOWED_HOSTS = ["127.0.0.1:8001"]
    url_check("http://127.0.0.1:8001/v23.0/1/messages")
    with pytest.raises(UnsafeURLError):
        url_check("http://127.0.0.1:8002/v23.0/1/messages")


def test_it_allows_public_addresses(settings):
    settings.TRANSPORT_ALLOWED_HOSTS = []
    url_check("https://93.184.216.34/send")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.com/x", "scheme"),
        ("file:///etc/passwd", "scheme"),
        ("https://u:p@93.184.216.34/", "credentials"),
    ],
)
def test_it_refuses_other_schemes_and_credentials(url, reason):
    with pytest.raises(UnsafeURLError, match=reason):
        url_check(url)
