"""Which address a login is counted under: the peer, or hops added by trusted proxies only."""

from __future__ import annotations

from ipaddress import ip_address, ip_network

import pytest

from gateway.client_address import UNKNOWN, client_address

PROXY = [ip_network("127.0.0.1"), ip_network("10.0.0.0/8")]


@pytest.mark.parametrize(
    ("peer", "headers", "proxies", "expected"),
    [
        # Nobody trusted: the header is ignored.
        ("203.0.113.5", ["198.51.100.1"], [], "203.0.113.5"),
        # A peer that is not a trusted proxy: its header is ignored too.
        ("203.0.113.5", ["198.51.100.1"], PROXY, "203.0.113.5"),
        # The trusted proxy's own hop is the client.
        ("127.0.0.1", ["198.51.100.1"], PROXY, "198.51.100.1"),
        # What the client wrote to the left of the proxy's hop is not believed.
        ("127.0.0.1", ["6.6.6.6, 198.51.100.1"], PROXY, "198.51.100.1"),
        ("127.0.0.1", ["6.6.6.6", "198.51.100.1"], PROXY, "198.51.100.1"),
        # A chain of trusted proxies: the first untrusted hop from the right.
        ("127.0.0.1", ["198.51.100.1, 10.1.2.3"], PROXY, "198.51.100.1"),
        # A trusted proxy with no header: the proxy itself.
        ("127.0.0.1", [], PROXY, "127.0.0.1"),
        # Garbage where a trusted proxy's hop should be: the proxy itself, not the garbage.
        ("127.0.0.1", ["not-an-ip"], PROXY, "127.0.0.1"),
        ("127.0.0.1", ["198.51.100.1, 10.1.2.3, junk"], PROXY, "127.0.0.1"),
        # IPv6, and IPv4 seen through a dual-stack socket.
        ("127.0.0.1", ["2001:db8::7"], PROXY, "2001:db8::7"),
        ("::ffff:203.0.113.5", [], [], "203.0.113.5"),
    ],
)
def test_client_address(
    peer: str,
    headers: list[str],
    proxies: list,
    expected: str,  # type: ignore[type-arg]
) -> None:
    assert client_address(peer, headers, proxies) == ip_address(expected)


def test_a_peer_without_an_ip_is_the_unknown_address() -> None:
    assert client_address(None, ["198.51.100.1"], PROXY) == UNKNOWN
