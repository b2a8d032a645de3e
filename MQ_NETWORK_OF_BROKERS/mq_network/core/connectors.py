"""The network connectors an ActiveMQ configuration declares, read safely.

Parsing is pure (text in, connectors out) so every odd configuration is a unit test. The XML is
read by configuration_xml (bounded; no DTDs, no entity expansion, no external fetch), the same
reader the remediation uses.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from mq_network.core.configuration_xml import (
    MAX_CONFIGURATION_BYTES,
    ConfigurationError,
    decode_revision,
    network_connectors,
    parse_configuration,
)
from mq_network.core.vocabulary import ENDPOINT_HOST_PATTERN

__all__ = [
    "MAX_CONFIGURATION_BYTES",
    "ConfigurationError",
    "Connector",
    "ConnectorReport",
    "IgnoredPeer",
    "Peer",
    "decode_revision",
    "parse_connectors",
    "peer_of",
]

# Transports that never leave the broker's own process or host, or that find peers by discovery
# (Amazon MQ's network has no multicast): a connector over them links to no other broker.
_LOCAL_SCHEMES = {
    "vm": "the in-process vm transport reaches no other broker",
    "peer": "the in-process peer transport reaches no other broker",
    "mock": "the mock transport reaches no broker",
    "multicast": "multicast discovery names no peer, and Amazon MQ has no multicast",
    "zeroconf": "zeroconf discovery names no peer, and Amazon MQ has no multicast",
    "discovery": "discovery names no peer, and Amazon MQ has no multicast",
}
# The transports a network bridge opens to another broker (OpenWire over TCP, TLS, NIO, HTTP).
_BRIDGE_TRANSPORTS = {"tcp", "ssl", "nio", "nio+ssl", "http", "https"}
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback", "localhost6"}


class Peer(NamedTuple):
    """One remote end of a connector: the broker ID its host names, and where it lives."""

    host: str  # as written, lower case, credentials never included
    broker_id: str  # from an Amazon MQ endpoint (b-<id>-<1|2>.mq...); the host itself otherwise
    region: str | None  # the endpoint's region; None for any other host


class IgnoredPeer(NamedTuple):
    """A connector target that no real ActiveMQ network reaches (loopback, vm:, discovery)."""

    host: str
    reason: str


class Connector(NamedTuple):
    name: str
    uri: str
    duplex: bool
    peers: tuple[Peer, ...]
    ignored: tuple[IgnoredPeer, ...] = ()
    # The smaller of the two limits below, for a picture's label; None when neither limits.
    ttl: int | None = 1
    # A duplex static:(failover:(...)) without maxReconnectAttempts=0: on real ActiveMQ the
    # reverse direction is lost for good once the peer fails over (Amazon MQ documents
    # masterslave:, or failover with randomize=false&maxReconnectAttempts=0).
    fragile_failover: bool = False
    # ActiveMQ's two hop limits, each None for no limit (a negative value): a message that has
    # crossed `message_ttl` bridges goes no further, and a consumer's demand reaches at most
    # `consumer_ttl` bridges back from the consumer (network.py counts both along a path).
    message_ttl: int | None = 1
    consumer_ttl: int | None = 1


class ConnectorReport(NamedTuple):
    connectors: tuple[Connector, ...]
    malformed: tuple[str, ...]  # "name: why" for each connector ActiveMQ cannot read (credentials removed)


def parse_connectors(xml_text: str) -> ConnectorReport:
    """Every <networkConnector> of an ActiveMQ configuration; comments never count."""
    from mq_network.core.uris import UriError, redact  # the URI reader loads with the first configuration read

    root = parse_configuration(xml_text)
    connectors: list[Connector] = []
    malformed: list[str] = []
    for element in network_connectors(root):
        name = redact(element.get("name") or "(unnamed)")
        uri = (element.get("uri") or "").strip()
        try:
            targets, fragile = _targets(uri)
        except UriError as err:
            malformed.append(f"{name}: {err} (uri {redact(uri)[:100]!r})")
            continue
        peers = tuple(t for t in targets if isinstance(t, Peer))
        ignored = tuple(t for t in targets if isinstance(t, IgnoredPeer))
        duplex = (element.get("duplex") or "").strip().lower() == "true"
        try:
            message_ttl, consumer_ttl = _ttl(
                element.get("networkTTL"), element.get("messageTTL"), element.get("consumerTTL")
            )
        except ValueError:
            malformed.append(f"{name}: networkTTL, messageTTL and consumerTTL must be whole numbers")
            continue
        bounded = [limit for limit in (message_ttl, consumer_ttl) if limit is not None]
        ttl = min(bounded) if bounded else None
        connectors.append(Connector(name, redact(uri), duplex, peers, ignored, ttl, fragile, message_ttl, consumer_ttl))
    return ConnectorReport(tuple(connectors), tuple(malformed))


def _ttl(network: str | None, message: str | None, consumer: str | None) -> tuple[int | None, int | None]:
    """The connector's effective (messageTTL, consumerTTL), None for no limit; ValueError when an
    attribute is not a whole number.

    ActiveMQ's setNetworkTTL sets messageTTL and consumerTTL too, and Spring applies a connector's
    attributes in the DOM's (alphabetical) order: consumerTTL, messageTTL, then networkTTL. So a
    written networkTTL wins over both (seen on real ActiveMQ: tests/activemq). Each defaults to 1;
    a negative value means no limit (NetworkBridgeFilter drops a message only when
    `messageTTL > -1 && hops >= messageTTL`, and consumer advisories likewise). A message needs
    both: its own hops within messageTTL, and its consumer's demand, which travels from the
    consumer's broker back across at most consumerTTL bridges (network.py counts each from its end).
    """
    values: list[int | None] = []
    for written in (network, message, consumer):
        if written is None:
            values.append(None)
            continue
        text = written.strip()
        if not re.fullmatch(r"[+-]?[0-9]{1,10}", text) or not -(2**31) <= int(text) < 2**31:  # a Java int
            raise ValueError(written)
        values.append(int(text))
    network_ttl, message_ttl, consumer_ttl = values
    if network_ttl is not None:
        message_ttl = consumer_ttl = network_ttl

    def limit(written: int | None) -> int | None:
        return 1 if written is None else None if written < 0 else written

    return limit(message_ttl), limit(consumer_ttl)


def _targets(uri: str) -> tuple[tuple[Peer | IgnoredPeer, ...], bool]:
    """Each distinct target of a connector URI as ActiveMQ reads it, and whether a failover: among
    them loses a duplex bridge's way back; UriError when ActiveMQ cannot read it or it names no host."""
    from mq_network.core.uris import UriError, read_uri

    reading = read_uri(uri)
    if reading.agent in _LOCAL_SCHEMES:
        return (IgnoredPeer(f"{reading.agent}:", _LOCAL_SCHEMES[reading.agent]),), False
    if not reading.transports:
        raise UriError("names no transport")
    targets: dict[str, Peer | IgnoredPeer] = {}
    fragile = False
    for transport in reading.transports:
        scheme = transport.scheme or ""
        if scheme in _LOCAL_SCHEMES:
            shown = f"{scheme}://{transport.host or ''}"
            targets.setdefault(shown, IgnoredPeer(shown, _LOCAL_SCHEMES[scheme]))
            continue
        if scheme not in _BRIDGE_TRANSPORTS:
            why = f"ActiveMQ opens no bridge over {scheme + ':' if scheme else 'a uri without a scheme'}"
            targets.setdefault(transport.written, IgnoredPeer(transport.written[:80], why))
            continue
        if transport.host is None:
            raise UriError("names no host")
        host = transport.host.strip("[]").rstrip(".").lower()
        unreachable = _unreachable(host)
        if unreachable:
            targets.setdefault(host, IgnoredPeer(host[:80], unreachable))
            continue
        fragile = fragile or transport.fragile_failover
        targets.setdefault(host, peer_of(host))
    return tuple(targets.values()), fragile


def _unreachable(host: str) -> str | None:
    """Why no other broker is at `host` (loopback or unspecified, in any notation), or None."""
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return "a loopback host name reaches only the broker's own machine"
    import ipaddress

    from mq_network.core.uris import ipv4_readings

    try:
        addresses: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = [ipaddress.ip_address(host)]
    except ValueError:
        addresses = list(ipv4_readings(host))
    for address in addresses:
        mapped = getattr(address, "ipv4_mapped", None) or address
        shown = "" if str(mapped) == host else f" ({host} is {mapped})"
        if mapped.is_loopback:
            return f"a loopback address{shown} reaches only the broker's own machine"
        if mapped.is_unspecified or (mapped.version == 4 and int(mapped) >> 24 == 0):
            return f"the unspecified address{shown} reaches no other broker"
    return None


def peer_of(host: str) -> Peer:
    """Which broker a host names: `b-1234-1.mq.us-east-1.amazonaws.com` is broker `b-1234` of us-east-1.

    Only an endpoint as Amazon MQ writes it names a broker: instance 1 or 2, and the partition's
    domain (`.amazonaws.com.cn` exactly for the China regions cn-*); any other host is itself.
    """
    host = host.rstrip(".").lower()
    endpoint = re.match(ENDPOINT_HOST_PATTERN, host)
    if endpoint and bool(endpoint["cn"]) == endpoint["region"].startswith("cn-"):
        return Peer(host, endpoint["broker"], endpoint["region"])
    return Peer(host, host, None)
