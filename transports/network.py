"""The one outbound-URL chokepoint: allowed schemes, the allow-list and the SSRF guard.

Checked when a transport's config is validated and again before each request is sent (a DNS
name can change what it points to between the two); the batch sender's resolver and
`guarded_session` (Graph management calls) also refuse a non-public address at connect time,
with the same `address_refused`.
"""

import ipaddress
import re
import socket
from urllib.parse import unquote, urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError

ALLOWED_SCHEMES = ("http", "https")
HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")  # an RFC 9110 token

# IPv6 forms that carry an IPv4 address: the IPv4 address decides. IPv4-compatible (::/96) is
# deprecated and never needed, and local-use NAT64 (RFC 8215) is internal by definition.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_ALWAYS_REFUSED = (ipaddress.ip_network("::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


class UnsafeURLError(ValueError):
    """The URL may not be called; str() says why."""


def _allow_list() -> list[tuple[str, str]]:
    """(host or host:port, path prefix or "") for each TRANSPORT_ALLOWED_HOSTS entry."""
    entries = []
    for entry in getattr(settings, "TRANSPORT_ALLOWED_HOSTS", []):
        authority, slash, prefix = entry.strip().lower().partition("/")
        entries.append((authority, slash + prefix if slash else ""))
    return entries


def _allow_listed(host: str, port: int | None) -> bool:
    """True when an entry names this host (any path); the path is checked by url_check."""
    names = {host, f"{host}:{port}"} if port is not None else {host}
    return any(authority in names for authority, _ in _allow_list())


def _allowed_prefixes(host: str, port: int | None) -> list[str]:
    names = {host, f"{host}:{port}"} if port is not None else {host}
    return [prefix for authority, prefix in _allow_list() if authority in names]


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if ip.sixtofour:
        return ip.sixtofour
    if ip.teredo:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_refused(address: str) -> bool:
    """True unless `address` is globally routable unicast (Python's `is_global`, minus multicast and reserved)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.is_site_local or any(ip in network for network in _ALWAYS_REFUSED):
            return True
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return address_refused(str(embedded))
    return not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_unspecified


def host_addresses(host: str, port: int | None) -> list[str]:
    """The IP addresses `host` resolves to (the host itself when it is an IP literal)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return [host]
    try:
        infos = socket.getaddrinfo(host, port or 443, proto=socket.IPPROTO_TCP)
    except OSError as error:
        raise UnsafeURLError(f"host {host!r} does not resolve ({error.strerror or error})") from error
    return sorted({info[4][0] for info in infos})


def _host_check(host: str) -> None:
    """A host name every HTTP client can encode: IDNA labels of 1–63 characters, no spaces or controls."""
    if len(host) > 253 or any(ch.isspace() or ord(ch) < 0x20 or ch in "\\%" for ch in host):
        raise UnsafeURLError(f"host {host!r} is not a valid host name")
    if host.startswith("[") or _is_ip(host):
        return
    try:
        host.encode("idna")
    except UnicodeError as error:
        raise UnsafeURLError(f"host {host!r} is not a valid host name ({error})") from error


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def _path_allowed(path: str, prefixes: list[str]) -> bool:
    """The path starts with an allowed prefix and cannot climb out of it (no dot segments, encoded or not)."""
    if "" in prefixes:
        return True
    decoded = unquote(unquote(path or "/"))
    if "\\" in decoded or any(segment in (".", "..") for segment in decoded.split("/")):
        return False
    return any(path.startswith(prefix) and decoded.startswith(prefix) for prefix in prefixes)


class URLGuard:
    """url_check with each host's verdict remembered: one DNS look-up per host in a batch, however many URLs."""

    def __init__(self) -> None:
        self._hosts: dict[tuple[str, int | None], str] = {}

    def check(self, url: str, *, unresolvable_ok: bool = False) -> None:
        """Raise UnsafeURLError unless `url` is http(s) to a globally routable address or allow-listed.

        An entry of settings.TRANSPORT_ALLOWED_HOSTS is "host", "host:port", or either followed by
        a path prefix ("127.0.0.1:8001/v"): only URLs under that prefix pass.
        """
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as error:
            raise UnsafeURLError(f"not a valid URL ({error})") from error
        if parts.scheme.lower() not in ALLOWED_SCHEMES:
            raise UnsafeURLError(f"scheme must be http or https, not {parts.scheme or 'missing'!r}")
        host = (parts.hostname or "").lower()
        if not host:
            raise UnsafeURLError("the URL has no host")
        if parts.username or parts.password:
            raise UnsafeURLError("credentials in the URL are not allowed; use headers and secrets")
        _host_check(host)
        prefixes = _allowed_prefixes(host, port)
        if prefixes:
            if not _path_allowed(parts.path, prefixes):
                raise UnsafeURLError(
                    f"the path {parts.path or '/'} of {host} is outside the allowed prefixes ({', '.join(prefixes)})"
                )
            return
        if (host, port) not in self._hosts:
            self._hosts[(host, port)] = _resolved_problem(host, port, unresolvable_ok=unresolvable_ok)
        if self._hosts[(host, port)]:
            raise UnsafeURLError(self._hosts[(host, port)])


def _resolved_problem(host: str, port: int | None, *, unresolvable_ok: bool) -> str:
    try:
        addresses = host_addresses(host, port)
    except UnsafeURLError as error:
        return "" if unresolvable_ok else str(error)
    for address in addresses:
        if address_refused(address):
            return (
                f"host {host} resolves to an address that is not globally routable ({address}); "
                "add it to TRANSPORT_ALLOWED_HOSTS to allow it"
            )
    return ""


def url_check(url: str, *, unresolvable_ok: bool = False) -> None:
    """Raise UnsafeURLError unless `url` may be called (see URLGuard.check)."""
    URLGuard().check(url, unresolvable_ok=unresolvable_ok)


def header_problem(name: str, value: str | None = None) -> str | None:
    """Why a request header cannot be sent (a name that is not a token, a value with a line break), or None."""
    if not HEADER_NAME.match(name):
        return f"request.headers.{name}: a header name may only contain letters, digits and !#$%&'*+-.^_`|~"
    if value is not None and any(ch in value for ch in "\r\n\x00"):
        return f"request.headers.{name}: a header value may not contain a line break or NUL"
    return None


class _PeerChecked:
    """Checks the address actually connected to: a name that passed url_check may resolve elsewhere by now."""

    def _new_conn(self):
        sock = super()._new_conn()
        host = (self.host or "").lower()
        peer = sock.getpeername()[0]
        if not _allow_listed(host, self.port) and address_refused(peer):
            sock.close()
            raise NewConnectionError(self, f"host {host} resolves to an address that is not globally routable")
        return sock


class _HTTPConnection(_PeerChecked, HTTPConnection):
    pass


class _HTTPSConnection(_PeerChecked, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


class _GuardedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


def guarded_session() -> requests.Session:
    """A requests Session whose connections obey the same guard as the batch sender's resolver.

    Proxies from the environment are ignored, as the batch sender ignores them, so the guard sees
    the real peer.
    """
    session = requests.Session()
    session.trust_env = False
    for scheme in ("http://", "https://"):
        session.mount(scheme, _GuardedAdapter())
    return session
