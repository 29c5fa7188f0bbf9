"""The one outbound-URL chokepoint: allowed schemes and the SSRF guard.

Checked when a transport's config is validated and again before a batch is sent (a DNS
name can change what it points to between the two); the batch sender's resolver and
`guarded_session` (Graph management calls) also refuse a private address at connect time.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError

ALLOWED_SCHEMES = ("http", "https")


class UnsafeURLError(ValueError):
    """The URL may not be called; str() says why."""


def _allow_listed(host: str, port: int | None) -> bool:
    allowed = {entry.strip().lower() for entry in getattr(settings, "TRANSPORT_ALLOWED_HOSTS", [])}
    return host in allowed or (port is not None and f"{host}:{port}" in allowed)


def _refused(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return (
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved
        or ip.is_multicast or ip.is_unspecified
    )


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


def url_check(url: str, *, unresolvable_ok: bool = False) -> None:
    """Raise UnsafeURLError unless `url` is http(s) to a public address or an allow-listed host.

    A host resolving to a private, loopback, link-local, reserved or multicast address is
    refused unless "host" or "host:port" is in settings.TRANSPORT_ALLOWED_HOSTS.
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
    if _allow_listed(host, port):
        return
    try:
        addresses = host_addresses(host, port)
    except UnsafeURLError:
        if unresolvable_ok:
            return
        raise
    for address in addresses:
        if _refused(address):
            raise UnsafeURLError(
                f"host {host} resolves to a private, loopback or link-local address ({address}); "
                "add it to TRANSPORT_ALLOWED_HOSTS to allow it"
            )


class _PeerChecked:
    """Checks the address actually connected to: a name that passed url_check may resolve elsewhere by now."""

    def _new_conn(self):
        sock = super()._new_conn()
        host = (self.host or "").lower()
        peer = sock.getpeername()[0]
        if not _allow_listed(host, self.port) and _refused(peer):
            sock.close()
            raise NewConnectionError(self, f"host {host} resolves to a private, loopback or link-local address")
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
