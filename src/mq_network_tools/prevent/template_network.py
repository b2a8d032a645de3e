"""CheckMode connectors before deployment: the network a template or a plan declares.

A broker's connectors live in its AWS::AmazonMQ::Configuration (Terraform: aws_mq_configuration),
named by the broker's own Configuration property or, as real meshes are declared (configurations
name each other's endpoints, so they cannot be set on the brokers themselves), by an
AWS::AmazonMQ::ConfigurationAssociation, which replaces the broker's own once both exist. When
that configuration is in the same template and its XML is written there (Data as base64, or
Fn::Base64 of a literal, an Fn::Sub or an Fn::Join), the rule's own reader (connectors.py) and
graph (network.py) judge it, so a template gets the verdict the live broker will get. A peer
written as a reference to another broker of the template (Ref, Fn::GetAtt, Fn::Select of its
endpoints) is a link to that broker. Anything else the template leaves to deployment (a
configuration outside the template, a peer from a Ref to a parameter, a value from a parameter
anywhere but inside an attribute, where `<!--` could comment a connector out, an association to
a broker known only at deployment) makes the broker "cannot be judged before deployment", never
a pass.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from mq_network.core import (
    OPENWIRE_PORT,
    RESOURCE_TYPE,
    ConfigurationError,
    ConnectorReport,
    Membership,
    Peer,
    RuleParameters,
    Unknown,
    decode_revision,
    memberships,
    parse_configuration,
    parse_connectors,
)

BROKER = RESOURCE_TYPE
CONFIGURATION = "AWS::AmazonMQ::Configuration"
ASSOCIATION = "AWS::AmazonMQ::ConfigurationAssociation"
_MARK = "tmplbroker{}x"  # stands for broker number {} of the template inside a connector URI
_MARKED = re.compile(r"tmplbroker(\d+)x")
_UNRESOLVED = "tmplunresolvedx"  # a reference the template cannot resolve (a parameter, an import)
_SUB = re.compile(r"\$\{([^}!][^}]*)\}")
_PSEUDO = {"AWS::URLSuffix": "amazonaws.com", "AWS::Partition": "aws"}
_TEMPLATE_REGION = "(this template)"

Network = Membership | Unknown


def cloudformation_networks(resources: Mapping[str, Any], params: RuleParameters) -> dict[str, Network]:
    """The network of each broker of a template (logical ID -> membership, or why it is unknown)."""
    declared = {
        str(lid): res for lid, res in resources.items() if isinstance(res, Mapping) and res.get("Type") == BROKER
    }
    brokers = list(declared)
    node = {lid: f"template-broker-{i}" for i, lid in enumerate(brokers)}
    associated, everywhere = _associations(resources, declared)
    names: dict[str, str] = {}
    reports: dict[str, ConnectorReport] = {}
    unknown: dict[str, Unknown] = {}
    for lid, resource in declared.items():
        name = _properties(resource).get("BrokerName")
        # a logical ID is not a name: peers are listed as "Broker2 (logical ID)"
        names[node[lid]] = name if isinstance(name, str) and name else f"{lid} (logical ID)"
        reference = associated.get(lid)
        found = everywhere or (
            reference
            if isinstance(reference, Unknown)
            else _broker_report(resource.get("Properties"), resources, brokers, reference)
        )
        if isinstance(found, Unknown):
            unknown[lid] = found
        else:
            reports[node[lid]] = found
    rabbit = {
        node[lid]: (names[node[lid]], "RabbitMQ, which has no network of brokers")
        for lid in brokers
        if str(_properties(declared[lid]).get("EngineType", "")).upper() == "RABBITMQ"
    }
    graph = memberships(
        reports, names, idle=rabbit, count_unverified=params.count_unverified_peers, region=_TEMPLATE_REGION
    )
    return {lid: unknown.get(lid) or graph[node[lid]] for lid in brokers}


def _associations(resources: Mapping[str, Any], declared: Mapping[str, Any]) -> tuple[dict[str, Any], Unknown | None]:
    """Each broker's configuration as its ConfigurationAssociation names it (or why that is unknown),
    and a reason every broker is unknown (an association to a broker known only at deployment)."""
    found: dict[str, Any] = {}
    for lid, resource in resources.items():
        if not isinstance(resource, Mapping) or resource.get("Type") != ASSOCIATION:
            continue
        properties = _properties(resource)
        target = _resource_of(properties.get("Broker"))
        if target is None or target not in declared:
            return found, Unknown(
                f"ConfigurationAssociation {lid} applies a configuration to a broker known only at deployment, "
                "which could be this one"
            )
        configuration = properties.get("Configuration")
        if resource.get("Condition") != declared[target].get("Condition"):
            found[target] = Unknown(
                f"its ConfigurationAssociation {lid} exists only under Condition {resource.get('Condition')}"
            )
        elif target in found and found[target] != configuration:
            found[target] = Unknown("several ConfigurationAssociations apply different configurations to it")
        else:
            found[target] = configuration
    return found, None


def _broker_report(
    properties: Any, resources: Mapping[str, Any], brokers: list[str], associated: Any = None
) -> ConnectorReport | Unknown:
    if not isinstance(properties, Mapping):
        return Unknown("its Properties are not an object")
    reference = associated if associated is not None else properties.get("Configuration")
    if reference is None:
        return ConnectorReport((), ())  # Amazon MQ's default configuration declares no connector
    config_id = _resource_of(reference.get("Id") if isinstance(reference, Mapping) else None)
    config = resources.get(config_id) if config_id else None
    if not isinstance(config, Mapping) or config.get("Type") != CONFIGURATION:
        return Unknown("its connectors are in a configuration outside this template, read once the broker exists")
    xml = _configuration_xml(_properties(config).get("Data"), brokers)
    if isinstance(xml, Unknown):
        return xml
    try:
        if _UNRESOLVED in xml and not _only_in_attributes(xml):
            return Unknown(
                f"its configuration {config_id} is built from values known only at deployment outside an attribute "
                "(a value such as <!-- could comment a connector out)"
            )
        report = parse_connectors(xml)
    except (ConfigurationError, ValueError) as err:
        return Unknown(f"its configuration {config_id} cannot be read ({err})")
    connectors = []
    for connector in report.connectors:
        if _UNRESOLVED in connector.uri:
            return Unknown(f"its connector {connector.name} names a peer known only at deployment")
        connectors.append(connector._replace(peers=tuple(_template_peer(p) for p in connector.peers)))
    if any(_UNRESOLVED in why for why in report.malformed):
        return Unknown("one of its connectors has a uri known only at deployment")
    return ConnectorReport(tuple(connectors), report.malformed)


def _only_in_attributes(xml: str) -> bool:
    """Whether every value known only at deployment sits inside an attribute value (a user name, say),
    where it cannot change which elements the configuration has."""
    root = parse_configuration(xml)
    inside: int = sum(str(value).count(_UNRESOLVED) for element in root.iter() for value in element.attrib.values())
    return inside == xml.count(_UNRESOLVED)


def _properties(resource: Mapping[str, Any]) -> Mapping[str, Any]:
    properties = resource.get("Properties")
    return properties if isinstance(properties, Mapping) else {}


def _template_peer(peer: Peer) -> Peer:
    marked = _MARKED.search(peer.host)
    # Only a reference to a broker of the template names one: its "region" says so to the graph.
    return Peer(peer.host, f"template-broker-{marked[1]}", _TEMPLATE_REGION) if marked else peer


def _resource_of(value: object) -> str | None:
    """The logical ID a Ref or Fn::GetAtt names."""
    if isinstance(value, Mapping) and len(value) == 1:
        ((function, argument),) = value.items()
        if function == "Ref" and isinstance(argument, str):
            return argument
        if function == "Fn::GetAtt" and isinstance(argument, list) and argument and isinstance(argument[0], str):
            return argument[0]
    return None


def _configuration_xml(data: object, brokers: list[str]) -> str | Unknown:
    """The XML a Configuration's Data declares, broker references replaced by markers."""
    try:
        if isinstance(data, str):
            return decode_revision(data)
        if isinstance(data, Mapping) and set(data) == {"Fn::Base64"}:
            inner = data["Fn::Base64"]
            if isinstance(inner, str):
                return inner
            if isinstance(inner, Mapping) and set(inner) == {"Fn::Sub"}:
                return _substitute(inner["Fn::Sub"], brokers)
            if isinstance(inner, Mapping) and set(inner) == {"Fn::Join"}:
                return _join(inner["Fn::Join"], brokers)
    except ConfigurationError as err:
        return Unknown(f"its configuration's Data cannot be read ({err})")
    return Unknown("its configuration's Data is built at deployment")


def _join(join: object, brokers: list[str]) -> str | Unknown:
    """Fn::Join of literal XML and references (aws-samples' workshop builds its mesh this way)."""
    if not (isinstance(join, list) and len(join) == 2 and isinstance(join[0], str) and isinstance(join[1], list)):
        return Unknown("its configuration's Data is an Fn::Join of an unexpected shape")
    separator, items = join
    text = ""
    for index, item in enumerate(items):
        if index:
            text += separator
        if isinstance(item, Mapping) and set(item) == {"Fn::Sub"}:
            part = _substitute(item["Fn::Sub"], brokers)
        elif isinstance(item, Mapping) and set(item) == {"Fn::Join"}:
            part = _join(item["Fn::Join"], brokers)
        else:
            part = _reference(item, brokers, text.endswith("://"))
        if isinstance(part, Unknown):
            return part
        text += part
    return text


def _substitute(sub: object, brokers: list[str]) -> str | Unknown:
    if isinstance(sub, str):
        text, variables = sub, {}
    elif isinstance(sub, list) and len(sub) == 2 and isinstance(sub[0], str) and isinstance(sub[1], Mapping):
        text, variables = sub[0], dict(sub[1])
    else:
        return Unknown("its configuration's Data is an Fn::Sub of an unexpected shape")

    def value(match: re.Match[str]) -> str:
        written = match[1].strip()
        before = text[: match.start()]
        bare = before.endswith("://")
        if written in variables:
            return _reference(variables[written], brokers, bare)
        if written in _PSEUDO:
            return _PSEUDO[written]
        target, _, attribute = written.partition(".")
        if target in brokers:
            return _marker(brokers.index(target), attribute, bare)
        return _UNRESOLVED

    return _SUB.sub(value, text)


def _reference(value: object, brokers: list[str], bare: bool) -> str:
    """What a variable of Fn::Sub's map stands for: a broker of the template, or unresolved."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and set(value) == {"Fn::Select"}:
        selected = value["Fn::Select"]
        if isinstance(selected, list) and len(selected) == 2:
            value = selected[1]
    target = _resource_of(value)
    if target in brokers:
        written = value.get("Fn::GetAtt") if isinstance(value, Mapping) else None
        attribute = written[1] if isinstance(written, list) and len(written) > 1 else ""
        return _marker(brokers.index(target), str(attribute), bare)
    return _UNRESOLVED


def _marker(index: int, attribute: str, bare: bool) -> str:
    mark = _MARK.format(index)
    if attribute.endswith("Endpoints") and not bare:
        return f"ssl://{mark}:{OPENWIRE_PORT}"  # an endpoint attribute holds a whole transport URI
    return mark


def terraform_networks(plan: Mapping[str, Any], params: RuleParameters) -> dict[str, Network]:
    """The network of each aws_mq_broker a plan creates or updates (address -> membership or why unknown).

    A plan knows a configuration's data only when it is a literal (interpolating another broker's
    endpoints makes it "known after apply"), and links a broker to its configuration only through
    the plan's configuration expressions (root-module resources without count or for_each).
    """
    listed = plan.get("resource_changes")
    changes = [c for c in listed if isinstance(c, Mapping)] if isinstance(listed, list) else []
    configurations = {
        str(c.get("address")): _mapping(c.get("change")) for c in changes if c.get("type") == "aws_mq_configuration"
    }
    resources = _mapping(_mapping(plan.get("configuration")).get("root_module")).get("resources")
    expressions = {
        str(r.get("address")): _mapping(r.get("expressions"))
        for r in (resources if isinstance(resources, list) else [])
        if isinstance(r, Mapping)
    }
    brokers = [
        c
        for c in changes
        if c.get("type") == "aws_mq_broker"
        and c.get("mode", "managed") == "managed"
        and _mapping(c.get("change")).get("actions") not in (["delete"], ["forget"])
    ]
    names: dict[str, str] = {}
    reports: dict[str, ConnectorReport] = {}
    unknown: dict[str, Unknown] = {}
    for change in brokers:
        address = str(change.get("address"))
        after = _mapping(_mapping(change.get("change")).get("after"))
        name = after.get("broker_name")
        names[address] = name if isinstance(name, str) and name else address
        block = after.get("configuration")
        referenced = _terraform_configuration(expressions.get(address) or {})
        if not block and not referenced:
            reports[address] = ConnectorReport((), ())
            continue
        config = configurations.get(referenced or "")
        if config is None:
            unknown[address] = Unknown(
                "its configuration cannot be linked in the plan (this check follows root-module "
                "references without count or for_each)"
            )
            continue
        data = _mapping(config.get("after")).get("data")
        if not isinstance(data, str):
            unknown[address] = Unknown(f"its configuration {referenced} has data known only after apply")
            continue
        try:
            reports[address] = parse_connectors(data)
        except (ConfigurationError, ValueError) as err:
            unknown[address] = Unknown(f"its configuration {referenced} cannot be read ({err})")
    graph = memberships(reports, names, count_unverified=params.count_unverified_peers, region="(this plan)")
    return {address: unknown.get(address) or graph[address] for address in names}


def _terraform_configuration(expressions: Mapping[str, Any]) -> str | None:
    """The aws_mq_configuration address a broker's configuration block refers to, if one."""
    blocks = expressions.get("configuration")
    if not isinstance(blocks, list) or not blocks or not isinstance(blocks[0], Mapping):
        return None
    references = _mapping(blocks[0].get("id")).get("references")
    for reference in references if isinstance(references, list) else []:
        if isinstance(reference, str) and reference.startswith("aws_mq_configuration.") and reference.count(".") == 1:
            return reference
    return None


def _mapping(value: object) -> Mapping[str, Any]:
    """A plan's object, or an empty one where the plan holds something else (read as absent)."""
    return value if isinstance(value, Mapping) else {}
