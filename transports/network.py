"""The one outbound-URL chokepoint: allowed schemes and the SSRF guard.

Checked when a transport's config is validated and again before a batch is sent (a DNS
name can change what it points to between the two).
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

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
