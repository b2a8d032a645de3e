"""The network connectors an ActiveMQ configuration declares, read safely.

Parsing is pure (text in, connectors out) so every odd configuration is a unit test. The XML
parser is defusedxml's: no DTDs, no entity expansion, no external fetch; and the input is bounded.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import NamedTuple

MAX_CONFIGURATION_BYTES = 1024 * 1024  # far above any real broker configuration

# Every transport URI inside a connector URI: static:(...), failover:(...), masterslave:(...)
# nest them; what matters is each scheme://host[:port]. (Patterns are compiled on first use, by
# the re module's cache: only connector checks pay for them.)
_TRANSPORT = r"([a-z][a-z0-9+.-]*)://([^/:?,()\s]*)(?::(\d+))?"
_WRAPPERS = r"^(?:static|failover|masterslave|multicast|discovery):"
# Amazon MQ endpoints: <broker-id>-<instance>.mq.<region>.amazonaws.com[.cn]
_MQ_HOST = r"^(?P<label>[^.]+)\.mq\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$"
_INSTANCE_SUFFIX = r"^(?P<broker>.+)-(?P<instance>[0-9]+)$"


class ConfigurationError(ValueError):
    """A configuration revision the rule cannot read; the message says why, for the annotation."""


class Peer(NamedTuple):
    """One remote end of a connector: the broker ID its host names, and where it lives."""

    host: str
    broker_id: str  # the host's first label without its instance number; the host itself otherwise
    region: str | None  # from an Amazon MQ endpoint; None for any other host


class Connector(NamedTuple):
    name: str
    uri: str
    duplex: bool
    peers: tuple[Peer, ...]


class ConnectorReport(NamedTuple):
    connectors: tuple[Connector, ...]
    malformed: tuple[str, ...]  # "name: why" for each connector whose URI names no host


def decode_revision(data: str) -> str:
    """DescribeConfigurationRevision's Data: base64 of the XML (raw XML accepted, as emulators send)."""
    if len(data) > MAX_CONFIGURATION_BYTES * 4 // 3 + 4:
        raise ConfigurationError(f"the revision is larger than {MAX_CONFIGURATION_BYTES // 1024} KiB")
    if data.lstrip().startswith("<"):
        return data
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ConfigurationError("the revision data is not base64") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigurationError("the revision is not UTF-8 text") from None


def parse_connectors(xml_text: str) -> ConnectorReport:
    """Every <networkConnector> of an ActiveMQ configuration; comments never count."""
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    if len(xml_text.encode("utf-8")) > MAX_CONFIGURATION_BYTES:
        raise ConfigurationError(f"the configuration is larger than {MAX_CONFIGURATION_BYTES // 1024} KiB")
    try:
        root = fromstring(xml_text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as err:
        raise ConfigurationError(f"the configuration XML uses a forbidden construct ({type(err).__name__})") from None
    except ParseError as err:
        raise ConfigurationError(f"the configuration is not well-formed XML ({err})") from None
    connectors: list[Connector] = []
    malformed: list[str] = []
    for element in root.iter():
        if not isinstance(element.tag, str) or _local(element.tag) != "networkConnector":
            continue
        name = element.get("name") or "(unnamed)"
        uri = (element.get("uri") or "").strip()
        peers = _peers(uri)
        if not peers:
            malformed.append(f"{name}: uri {uri!r} names no host")
            continue
        connectors.append(Connector(name, uri, (element.get("duplex") or "").lower() == "true", peers))
    return ConnectorReport(tuple(connectors), tuple(malformed))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _peers(uri: str) -> tuple[Peer, ...]:
    if not uri or (not re.match(_WRAPPERS, uri, re.IGNORECASE) and "://" not in uri):
        return ()
    if uri.count("(") != uri.count(")"):
        return ()
    peers: dict[str, Peer] = {}
    for _scheme, host, _port in re.findall(_TRANSPORT, uri, re.IGNORECASE):
        if not host:
            return ()
        peers.setdefault(host.lower(), peer_of(host))
    return tuple(peers.values())


def peer_of(host: str) -> Peer:
    """Which broker a host names: `b-1234-1.mq.us-east-1.amazonaws.com` is broker `b-1234`."""
    host = host.lower()
    endpoint = re.match(_MQ_HOST, host)
    if endpoint:
        label = endpoint["label"]
        instance = re.match(_INSTANCE_SUFFIX, label)
        return Peer(host, instance["broker"] if instance else label, endpoint["region"])
    return Peer(host, host, None)
