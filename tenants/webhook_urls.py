"""Where a webhook may point: SSRF's guard. No Django imports.

A URL is refused when its host resolves to any address that is not globally routable: loopback,
private networks, link-local (169.254.169.254, the cloud metadata service, among them), carrier
NAT, multicast, reserved and unspecified ranges, IPv4 inside IPv6 included. Checked when a webhook
is saved and again before each delivery, since DNS can change in between.
"""

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

Resolver = Callable[[str, int], list[str]]

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_PORT = r"(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
_HOST = rf"(?:(?:{_LABEL}\.)*{_LABEL}|\[[0-9A-Fa-f:.]+\])"
# What a webhook URL may look like, stated in the API schema as well as checked: http(s), a host
# name, IPv4 address or bracketed IPv6 address, an optional port, then printable ASCII without
# spaces. Whether the host resolves, and to a public address, is for `refusal`.
URL_PATTERN = rf"^https?://{_HOST}(?::{_PORT})?(?:[/?#][!-~]*)?$"


def resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return sorted({info[4][0] for info in infos})


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone (fe80::1%eth0)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def refusal(url: str, *, allow_private: bool, resolver: Resolver = resolve) -> str | None:
    """Why a webhook may not be sent to `url`, or None when it may."""
    try:
        parts = urlsplit(url)
    except ValueError:  # a bracketed host that is no IPv6 address
        return "The URL's host is not a valid address."
    if parts.scheme not in {"http", "https"}:
        return "The URL must start with http:// or https://."
    if parts.username or parts.password:
        return "The URL must not carry a user name or password."
    if not parts.hostname:
        return "The URL has no host."
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return "The URL's port is not a number between 0 and 65535."
    if allow_private:
        return None
    try:
        addresses = resolver(parts.hostname, port)
    except (OSError, UnicodeError):
        return f"The host {parts.hostname} does not resolve."
    private = [address for address in addresses if not _is_public(address)]
    if private or not addresses:
        return (
            f"The host {parts.hostname} resolves to a private, loopback, link-local or reserved "
            f"address ({', '.join(private) or 'none'}), which webhooks may not reach."
        )
    return None
