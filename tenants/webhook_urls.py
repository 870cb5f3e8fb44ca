"""Where a webhook may point: SSRF's guard. No Django imports.

A URL is refused when its host resolves to any address that is not globally routable: loopback,
private networks, link-local (169.254.169.254, the cloud metadata service, among them), carrier
NAT, multicast, reserved and unspecified ranges, IPv4 inside IPv6 included. Checked when a webhook
is saved and again before each delivery, since DNS can change in between. A delivery then connects
to an address that check approved (`target`), never to a second DNS answer: a hostile DNS server
could otherwise answer a public address to the check and 127.0.0.1 to the connection (rebinding).
"""

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

Resolver = Callable[[str, int], list[str]]

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_PORT = r"(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
_HOST = rf"(?:(?:{_LABEL}\.)*{_LABEL}|\[[0-9A-Fa-f:.]+\])"
# What a webhook URL may look like, stated in the API schema as well as checked: http(s), a host
# name, IPv4 address or bracketed IPv6 address, an optional port, then printable ASCII without
# spaces. Whether the host resolves, and to a public address, is for `refusal`.
URL_PATTERN = rf"^https?://{_HOST}(?::{_PORT})?(?:[/?#][!-~]*)?$"


class RefusedUrl(ValueError):
    """A webhook may not be sent to this URL; the message says why, for the user."""


@dataclass(frozen=True)
class Target:
    """Where one delivery goes. `addresses` are what the host resolved to when it was checked,
    in the resolver's order of preference: the only addresses the connection may use."""

    scheme: str  # http or https
    host: str  # as in the URL, lower case; an IPv6 address without its brackets
    port: int
    path: str  # the path and query, "/" at least
    addresses: tuple[str, ...]


def resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone (fe80::1%eth0)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _parts(url: str) -> tuple[str, str, int, str]:
    """The scheme, host, port and path of a URL Relay can send to; RefusedUrl otherwise."""
    try:
        parts = urlsplit(url)
    except ValueError:  # a bracketed host that is no IPv6 address
        raise RefusedUrl("The URL's host is not a valid address.") from None
    if parts.scheme not in {"http", "https"}:
        raise RefusedUrl("The URL must start with http:// or https://.")
    if parts.username or parts.password:
        raise RefusedUrl("The URL must not carry a user name or password.")
    if not parts.hostname:
        raise RefusedUrl("The URL has no host.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise RefusedUrl("The URL's port is not a number between 0 and 65535.") from None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port, path


def target(url: str, *, allow_private: bool, resolver: Resolver = resolve) -> Target:
    """Where a delivery to `url` connects. The host is resolved once, here, and every address it
    gave is checked; connect only to `Target.addresses`. Raises RefusedUrl."""
    scheme, host, port, path = _parts(url)
    try:
        addresses = tuple(resolver(host, port))
    except (OSError, UnicodeError):
        raise RefusedUrl(f"The host {host} does not resolve.") from None
    private = [address for address in addresses if not _is_public(address)]
    if not allow_private and (private or not addresses):
        raise RefusedUrl(
            f"The host {host} resolves to a private, loopback, link-local or reserved "
            f"address ({', '.join(private) or 'none'}), which webhooks may not reach."
        )
    if not addresses:
        raise RefusedUrl(f"The host {host} does not resolve.")
    return Target(scheme, host, port, path, addresses)


def refusal(url: str, *, allow_private: bool, resolver: Resolver = resolve) -> str | None:
    """Why a webhook may not be saved with `url`, or None when it may. When private addresses
    are allowed the host is not resolved (it may resolve only where the workers run)."""
    try:
        if allow_private:
            _parts(url)
        else:
            target(url, allow_private=False, resolver=resolver)
    except RefusedUrl as refused:
        return str(refused)
    return None
