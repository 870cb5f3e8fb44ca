"""Who is asking, and at which address: the client's IP (for throttling and logs) and the base
URL of the links Relay hands out (upload and download URLs).

`X-Forwarded-For`, `-Proto` and `-Host` are honoured only when the TCP peer is a trusted proxy
(`RELAY_TRUSTED_PROXIES`, a list of addresses or CIDRs, empty by default): anyone else could
write them. Links follow the request (its scheme and host, or the trusted proxy's forwarded ones)
unless `RELAY_PUBLIC_URL` is set, which then always wins; outside a request (workers, commands)
they use `RELAY_PUBLIC_URL`, or `http://127.0.0.1:8000` when it is not set.

The parsing is in plain functions without Django; `client_address` and `request_base_url` read
a Django request and the settings.
"""

import contextlib
import contextvars
import ipaddress
import logging
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache

logger = logging.getLogger(__name__)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
FORWARDED_SCHEMES = frozenset({"http", "https"})


@lru_cache(maxsize=8)
def parse_networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    """`("10.0.0.0/8", "127.0.0.1")` as networks; raises ValueError naming a bad entry."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ValueError(f"Not an IP address or CIDR: {entry!r}") from None
    return tuple(networks)


def is_trusted(address: str, networks: Iterable[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in networks)


def forwarded_client(peer: str, forwarded_for: str, networks: tuple[Network, ...]) -> str:
    """The client's address: the peer, or, while the hop at hand is a trusted proxy, the hop it
    says it forwarded for (X-Forwarded-For read from the right, each proxy appending its peer)."""
    client = peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    while hops and is_trusted(client, networks):
        hop = hops.pop()
        if not _is_ip(hop):
            break  # a garbled hop: stop at the last proxy that can be believed
        client = hop
    return client


def forwarded_origin(
    *, scheme: str, host: str, forwarded_proto: str, forwarded_host: str
) -> tuple[str, str]:
    """(scheme, host) as the first proxy saw them: each header's first value where it has one
    (a proxy chain lists its hops' values left to right)."""
    proto = forwarded_proto.split(",")[0].strip().lower()
    outer_host = forwarded_host.split(",")[0].strip()
    return (proto if proto in FORWARDED_SCHEMES else scheme), (outer_host or host)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


# --- Django requests ----------------------------------------------------------------------------


def _trusted_networks() -> tuple[Network, ...]:
    from django.conf import settings

    return parse_networks(tuple(settings.RELAY_TRUSTED_PROXIES))


def _peer(request) -> str:
    return request.META.get("REMOTE_ADDR") or ""


def client_address(request) -> str:
    """The address of whoever sent the request, through trusted proxies."""
    return forwarded_client(
        _peer(request), request.META.get("HTTP_X_FORWARDED_FOR", ""), _trusted_networks()
    )


def request_base_url(request) -> str:
    """`scheme://host[:port]` for links in the answer to this request: RELAY_PUBLIC_URL when
    set, else the request's own, or a trusted proxy's forwarded scheme and host."""
    from django.conf import settings
    from django.http.request import split_domain_port, validate_host

    if settings.RELAY_PUBLIC_URL:
        return settings.RELAY_PUBLIC_URL.rstrip("/")
    scheme, host = request.scheme, request.get_host()
    if is_trusted(_peer(request), _trusted_networks()):
        scheme, forwarded_host = forwarded_origin(
            scheme=scheme,
            host=host,
            forwarded_proto=request.META.get("HTTP_X_FORWARDED_PROTO", ""),
            forwarded_host=request.META.get("HTTP_X_FORWARDED_HOST", ""),
        )
        domain, _ = split_domain_port(forwarded_host)
        if validate_host(domain, settings.ALLOWED_HOSTS):
            host = forwarded_host
        else:
            logger.warning("X-Forwarded-Host %r is not in ALLOWED_HOSTS; ignored", forwarded_host)
    return f"{scheme}://{host}"


_current_request: contextvars.ContextVar = contextvars.ContextVar("relay_request", default=None)


def link_base_url() -> str:
    """The base URL for links made now: the current request's (`request_base_url`), or outside a
    request RELAY_PUBLIC_URL, or http://127.0.0.1:8000."""
    from django.conf import settings

    request = _current_request.get()
    if request is not None:
        return request_base_url(request)
    return (settings.RELAY_PUBLIC_URL or DEFAULT_BASE_URL).rstrip("/")


@contextlib.contextmanager
def serving(request) -> Iterator[None]:
    """Links made inside the block are for this request."""
    token = _current_request.set(request)
    try:
        yield
    finally:
        _current_request.reset(token)


FORWARDED_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST")


class RequestLinksMiddleware:
    """Drops X-Forwarded-* sent by anyone but a trusted proxy (so that Django's
    SECURE_PROXY_SSL_HEADER can believe the rest), and makes the request the one `link_base_url`
    answers for while it is handled."""

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response

    def __call__(self, request):
        if not is_trusted(_peer(request), _trusted_networks()):
            for header in FORWARDED_HEADERS:
                request.META.pop(header, None)
        with serving(request):
            return self.get_response(request)
