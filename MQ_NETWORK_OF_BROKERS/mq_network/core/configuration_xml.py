"""The one reader of ActiveMQ configuration revisions: bounded, and refusing every XML construct
that can expand, fetch or declare (the attacks defusedxml guards against).

Everything read from Amazon MQ may have been written by someone else. A revision is at most
1 MiB; a document type declaration is refused outright (entity expansion, external entities and
"billion laughs" all need one, and Amazon MQ's configurations have none), and so are entity and
notation declarations and external references, by the same expat handlers defusedxml installs.
Standard library only: the rule, mq-network-plan and the SSM remediation (which embeds this
module) read configurations with exactly this code.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from typing import Any

MAX_CONFIGURATION_BYTES = 1024 * 1024  # far above any real broker configuration
CORE_NAMESPACE = "http://activemq.apache.org/schema/core"  # the <broker> element's, and its children's


class ConfigurationError(ValueError):
    """A configuration revision that cannot be read; the message says why, for the annotation."""


def decode_revision(data: str) -> str:
    """DescribeConfigurationRevision's Data (and a template's Configuration Data): base64 of the XML,
    the only shape AWS gives; anything else is refused as not base64."""
    if len(data) > MAX_CONFIGURATION_BYTES * 4 // 3 + 4:
        raise ConfigurationError(f"the revision is larger than {MAX_CONFIGURATION_BYTES // 1024} KiB")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ConfigurationError("the revision data is not base64") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigurationError("the revision is not UTF-8 text") from None


def parse_configuration(xml_text: str, keep_comments: bool = False) -> Any:
    """The configuration's root element (xml.etree), or ConfigurationError saying why not."""
    import xml.etree.ElementTree as ET

    if len(xml_text.encode("utf-8")) > MAX_CONFIGURATION_BYTES:
        raise ConfigurationError(f"the configuration is larger than {MAX_CONFIGURATION_BYTES // 1024} KiB")
    _refuse_declarations(xml_text)
    parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=keep_comments))
    try:
        parser.feed(xml_text)
        return parser.close()
    except ET.ParseError as err:
        raise ConfigurationError(f"the configuration is not well-formed XML ({err})") from None


def network_connectors(root: Any) -> Iterator[Any]:
    """The one reader of a configuration's <networkConnector> elements: those ActiveMQ maps to a
    connector (in the core namespace, or in none); comments never count, nor an element in another
    namespace (Spring maps elements by namespace). connectors.parse_connectors interprets them for
    the rule; connector_uris compares them for the remediation."""
    core = "{" + CORE_NAMESPACE + "}"
    for element in root.iter():
        tag = element.tag
        if not isinstance(tag, str) or tag.rsplit("}", 1)[-1] != "networkConnector":
            continue
        if tag.startswith("{") and not tag.startswith(core):
            continue
        yield element


def connector_uris(data: str) -> list[str]:
    """The uri of every networkConnector in a revision's Data, as written and sorted; [] when the
    revision cannot be read (the remediation then writes its own)."""
    try:
        root = parse_configuration(decode_revision(data))
    except ConfigurationError:
        return []
    return sorted(element.get("uri") or "" for element in network_connectors(root))


def _refuse_declarations(xml_text: str) -> None:
    """A first pass with expat's own handlers (ElementTree's C parser does not expose them)."""
    from xml.parsers import expat

    def forbid(construct: str) -> Any:
        def refuse(*_: Any) -> None:
            raise ConfigurationError(f"the configuration XML uses a forbidden construct ({construct})")

        return refuse

    scanner = expat.ParserCreate()
    scanner.StartDoctypeDeclHandler = forbid("DTD")
    scanner.EntityDeclHandler = forbid("entity declaration")
    scanner.UnparsedEntityDeclHandler = forbid("unparsed entity")
    scanner.NotationDeclHandler = forbid("notation declaration")
    scanner.ExternalEntityRefHandler = forbid("external entity")
    try:
        scanner.Parse(xml_text, True)
    except expat.ExpatError as err:
        raise ConfigurationError(f"the configuration is not well-formed XML ({err})") from None
