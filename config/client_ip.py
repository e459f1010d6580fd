"""The address of the client behind a request, for every rate limit.

Behind a reverse proxy REMOTE_ADDR is the proxy's address, and every client would share one
rate-limit budget. X-Forwarded-For names the real client, but anyone can send that header, so
it is read only when REMOTE_ADDR is one of the proxies named in `TRUSTED_PROXIES` (addresses
or CIDR networks), and only as far as the chain of trusted proxies goes: walking the header
from the right, the first address that is not a trusted proxy is the client. Whatever a
client wrote into the header itself sits to the left of that address and is never read.

django-ratelimit calls `client_ip` through `RATELIMIT_IP_META_KEY`; the login limits call
`rate_limit_address`.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# IPv6 clients usually hold a whole /64: counting each address apart would give one client
# 2**64 budgets (django-ratelimit masks "ip" keys the same way, RATELIMIT_IPV6_MASK).
IPV6_PREFIX = 64
# Where no peer address is known (a Unix socket): every such request shares one budget.
UNKNOWN_CLIENT = "0.0.0.0"  # noqa: S104 - an address to count under, never bound to


@lru_cache(maxsize=8)
def trusted_networks(values: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    """`TRUSTED_PROXIES` parsed; a wrong entry stops the start with its value named."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError as error:
            raise ImproperlyConfigured(
                f"TRUSTED_PROXIES: {value!r} is not an IP address or network ({error})."
            ) from error
    return tuple(networks)


def _parse(value: str) -> IPAddress | None:
    """One X-Forwarded-For entry: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`, `[2001:db8::1]:443`
    (some proxies add the port). None for anything else (`unknown`, garbage)."""
    value = value.strip()
    if value.startswith("["):
        value = value[1:].partition("]")[0]
    elif value.count(":") == 1:
        value = value.partition(":")[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    # An IPv4 client seen through an IPv6 socket (::ffff:1.2.3.4) is the IPv4 client.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _trusted(address: IPAddress, networks: tuple[IPNetwork, ...]) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or — when REMOTE_ADDR is a trusted proxy — the
    rightmost X-Forwarded-For address that is not a trusted proxy."""
    remote = request.META.get("REMOTE_ADDR", "")
    networks = trusted_networks(tuple(getattr(settings, "TRUSTED_PROXIES", ())))
    current = _parse(remote)
    if current is None:
        return UNKNOWN_CLIENT
    if not networks:
        return str(current)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop for hop in forwarded.split(",") if hop.strip()]
    while _trusted(current, networks) and hops:
        previous = _parse(hops.pop())
        if previous is None:
            # A trusted proxy always writes a real address; garbage means the chain cannot
            # be followed further, so the last trusted hop stands for the client.
            break
        current = previous
    return str(current)


def rate_limit_address(request: HttpRequest) -> str:
    """The client's address as a rate-limit key: IPv6 addresses cut to their /64."""
    address = ipaddress.ip_address(client_ip(request))
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{address}/{IPV6_PREFIX}", strict=False).network_address)
    return str(address)
