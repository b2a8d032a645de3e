"""The network connectors an ActiveMQ configuration declares, read safely.

Parsing is pure (text in, connectors out) so every odd configuration is a unit test. The XML is
read by configuration_xml (bounded; no DTDs, no entity expansion, no external fetch), the same
reader the remediation uses.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from .configuration_xml import MAX_CONFIGURATION_BYTES, ConfigurationError, decode_revision, parse_configuration

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

# Every transport URI inside a connector URI: static:(...), failover:(...), masterslave:(...)
# nest them; what matters is each scheme://authority. (Patterns are compiled on first use, by
# the re module's cache: only connector checks pay for them.)
_TRANSPORT = r"([a-z][a-z0-9+.-]*)://([^/?,()\s]*)"
_WRAPPERS = r"^(?:static|failover|masterslave|multicast|discovery|fanout):"
# Amazon MQ endpoints: <broker-id>-<instance>.mq.<region>.amazonaws.com[.cn]
_MQ_HOST = r"^(?P<label>[^.]+)\.mq\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$"
_INSTANCE_SUFFIX = r"^(?P<broker>.+)-(?P<instance>[0-9]+)$"
# Transports that never leave the broker's own process or host, or that find peers by discovery
# (Amazon MQ's network has no multicast): a connector over them links to no other broker.
_LOCAL_SCHEMES = {
    "vm": "the in-process vm transport reaches no other broker",
    "peer": "the in-process peer transport reaches no other broker",
    "mock": "the mock transport reaches no broker",
    "multicast": "multicast discovery names no peer, and Amazon MQ has no multicast",
    "zeroconf": "zeroconf discovery names no peer, and Amazon MQ has no multicast",
}
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}
_HOST_NAME = r"^[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?$"


class Peer(NamedTuple):
    """One remote end of a connector: the broker ID its host names, and where it lives."""

    host: str
    broker_id: str  # the host's first label without its instance number; the host itself otherwise
    region: str | None  # from an Amazon MQ endpoint; None for any other host


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
    # Hops a message may travel across bridges made by this connector: ActiveMQ's networkTTL
    # (default 1), or the smaller of messageTTL and consumerTTL where those are set; None when
    # both are negative (-1), which ActiveMQ reads as no limit.
    ttl: int | None = 1
    # A duplex static:(failover:(...)) without maxReconnectAttempts=0: on real ActiveMQ the
    # reverse direction is lost for good once the peer fails over (Amazon MQ documents
    # masterslave:, or failover with randomize=false&maxReconnectAttempts=0).
    fragile_failover: bool = False


class ConnectorReport(NamedTuple):
    connectors: tuple[Connector, ...]
    malformed: tuple[str, ...]  # "name: why" for each connector whose URI names no host


def parse_connectors(xml_text: str) -> ConnectorReport:
    """Every <networkConnector> of an ActiveMQ configuration; comments never count."""
    root = parse_configuration(xml_text)
    connectors: list[Connector] = []
    malformed: list[str] = []
    for element in root.iter():
        if not isinstance(element.tag, str) or _local(element.tag) != "networkConnector":
            continue
        name = element.get("name") or "(unnamed)"
        uri = (element.get("uri") or "").strip()
        targets = _targets(uri)
        if targets is None:
            malformed.append(f"{name}: uri {uri[:120]!r} names no host")
            continue
        peers = tuple(t for t in targets if isinstance(t, Peer))
        ignored = tuple(t for t in targets if isinstance(t, IgnoredPeer))
        duplex = (element.get("duplex") or "").strip().lower() == "true"
        try:
            ttl = _ttl(element.get("networkTTL"), element.get("messageTTL"), element.get("consumerTTL"))
        except ValueError:
            malformed.append(f"{name}: networkTTL, messageTTL and consumerTTL must be whole numbers")
            continue
        lowered = uri.lower()
        fragile = "failover:" in lowered and "maxreconnectattempts=0" not in lowered
        connectors.append(Connector(name, uri, duplex, peers, ignored, ttl, fragile))
    return ConnectorReport(tuple(connectors), tuple(malformed))


def _ttl(network: str | None, message: str | None, consumer: str | None) -> int | None:
    """The connector's effective hop limit (None: no limit); ValueError when an attribute is not a whole number.

    ActiveMQ's networkTTL sets both messageTTL and consumerTTL; a negative value means no limit
    (NetworkBridgeFilter drops a message only when `messageTTL > -1 && hops >= messageTTL`, and
    consumer advisories likewise). A message needs both: its own hops and its consumer's demand.
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
    base = values[0] if values[0] is not None else 1
    message_ttl = values[1] if values[1] is not None else base
    consumer_ttl = values[2] if values[2] is not None else base
    limits = [ttl for ttl in (message_ttl, consumer_ttl) if ttl > -1]
    return min(limits) if limits else None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _targets(uri: str) -> tuple[Peer | IgnoredPeer, ...] | None:
    """Each distinct transport target of a connector URI; None when the URI names no host at all."""
    if not uri or (not re.match(_WRAPPERS, uri, re.IGNORECASE) and "://" not in uri):
        return None
    if uri.count("(") != uri.count(")"):
        return None
    targets: dict[str, Peer | IgnoredPeer] = {}
    for written_scheme, authority in re.findall(_TRANSPORT, uri, re.IGNORECASE):
        scheme = written_scheme.lower()
        host = _host(authority)
        if scheme in _LOCAL_SCHEMES:
            targets.setdefault(f"{scheme}://{host}", IgnoredPeer(f"{scheme}://{host}", _LOCAL_SCHEMES[scheme]))
            continue
        if not host:
            return None
        unreachable = _unreachable(host)
        targets.setdefault(host, IgnoredPeer(host[:80], unreachable) if unreachable else peer_of(host))
    if not targets and re.match(r"^(?:discovery|multicast):", uri, re.IGNORECASE):
        return (IgnoredPeer(uri[:60], "discovery names no peer, and Amazon MQ has no multicast"),)
    return tuple(targets.values()) or None


def _host(authority: str) -> str:
    """The host of `[userinfo@]host[:port]`, lower case, without a trailing dot or IPv6 brackets."""
    hostport = authority.rsplit("@", 1)[-1]
    host = hostport[1:].split("]", 1)[0] if hostport.startswith("[") else hostport.split(":", 1)[0]
    return host.strip().rstrip(".").lower()


def _unreachable(host: str) -> str | None:
    """Why no other broker is at `host` (loopback, unspecified, not a host name), or None."""
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return "a loopback host name reaches only the broker's own machine"
    import ipaddress

    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None if re.match(_HOST_NAME, host) else "it is not a host name or an IP address"
    mapped = getattr(address, "ipv4_mapped", None) or address
    if mapped.is_loopback:
        return "a loopback address reaches only the broker's own machine"
    if mapped.is_unspecified:
        return "the unspecified address reaches no other broker"
    return None


def peer_of(host: str) -> Peer:
    """Which broker a host names: `b-1234-1.mq.us-east-1.amazonaws.com` is broker `b-1234`."""
    host = host.rstrip(".").lower()
    endpoint = re.match(_MQ_HOST, host)
    if endpoint:
        label = endpoint["label"]
        instance = re.match(_INSTANCE_SUFFIX, label)
        return Peer(host, instance["broker"] if instance else label, endpoint["region"])
    return Peer(host, host, None)
