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


@pytest.mark.parametrize(
    "address",
    [
        "100.100.100.200",  # shared address space (RFC 6598): a cloud metadata address
        "100.64.0.1",
        "198.18.0.1",  # benchmarking
        "192.0.2.1",  # documentation
        "224.0.0.1",  # multicast, which `is_global` calls global
        "240.0.0.1",  # reserved
        "255.255.255.255",
        "[fec0::1]",  # site-local, deprecated but still routed inside some networks
        "[2002:7f00:1::]",  # 6to4 of 127.0.0.1
        "[2002:a9fe:a9fe::]",  # 6to4 of 169.254.169.254
        "[64:ff9b::7f00:1]",  # NAT64 of 127.0.0.1
        "[64:ff9b::a00:1]",  # NAT64 of 10.0.0.1
        "[64:ff9b:1::808:808]",  # local-use NAT64
        "[::127.0.0.1]",  # IPv4-compatible
        "[2001:0:4136:e378:8000:63bf:3fff:fdd2]",  # Teredo
        "[ff02::1]",
        "[2001:db8::1]",
        "[fd00::1]",
    ],
)
def test_it_refuses_every_address_that_is_not_globally_routable(address, settings):
    settings.TRANSPORT_ALLOWED_HOSTS = []
    with pytest.raises(UnsafeURLError, match="not globally routable"):
        url_check(f"http://{address}/x")


@pytest.mark.parametrize("address", ["8.8.8.8", "[2606:4700::1]", "[::ffff:8.8.8.8]", "[2002:808:808::]"])
def test_it_allows_globally_routable_addresses_in_any_form(address, settings):
    settings.TRANSPORT_ALLOWED_HOSTS = []
    url_check(f"https://{address}/send")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8001/_sim/config",
        "http://127.0.0.1:8001/",
        "http://127.0.0.1:8001/v23.0/../_sim/config",
        "http://127.0.0.1:8001/v23.0/%2e%2e/_sim/config",
        "http://127.0.0.1:8001/v23.0/%252e%252e/_sim/config",
        "http://127.0.0.1:8001/v23.0/..%5c_sim/config",
    ],
)
def test_an_allow_listed_path_prefix_keeps_other_paths_of_that_host_out(url, settings):
    settings.TRANSPORT_ALLOWED_HOSTS = ["127.0.0.1:8001/v"]
    with pytest.raises(UnsafeURLError, match="outside the allowed prefixes"):
        url_check(url)
    url_check("http://127.0.0.1:8001/v23.0/1234/messages")


@pytest.mark.parametrize("url", ["http://a..b/", f"http://{'a' * 64}.example/", "http://exa mple.com/"])
def test_a_host_no_client_can_encode_is_refused_with_a_reason(url, settings):
    settings.TRANSPORT_ALLOWED_HOSTS = []
    with pytest.raises(UnsafeURLError, match="not a valid host name"):
        url_check(url)
