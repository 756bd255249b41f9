"""The client's address: the peer's, unless the peer is a trusted proxy, in which case the hop
that proxy appended to `X-Forwarded-For` (and so on through a chain of trusted proxies).

Only hops added by trusted proxies are believed: walking the header from its right end, the
first address that is not a trusted proxy is the client. Whatever a client wrote further left
is never reached, so it cannot choose the address its attempts are counted under.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

Address = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network

# A peer without an IP address (a Unix socket): every such client shares this one.
UNKNOWN = IPv4Address("0.0.0.0")


def _parse(value: str | None) -> Address | None:
    if not value:
        return None
    try:
        address = ip_address(value.strip())
    except ValueError:
        return None
    # An IPv4 client seen through a dual-stack socket is the same client as over IPv4.
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: Address, proxies: Sequence[Network]) -> bool:
    return any(address in network for network in proxies)


def client_address(
    peer: str | None, forwarded_for: Iterable[str], proxies: Sequence[Network]
) -> Address:
    """The client of a request from `peer` carrying these `X-Forwarded-For` header values."""
    current = _parse(peer) or UNKNOWN
    if not proxies:
        return current
    hops = [hop for value in forwarded_for for hop in value.split(",")]
    while hops and _trusted(current, proxies):
        hop = _parse(hops.pop())
        if hop is None:  # a trusted proxy would not write that: stop at the proxy itself
            break
        current = hop
    return current
