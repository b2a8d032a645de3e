"""Brokers before they exist: the rule's decision on the properties a template or a plan declares.

The CloudFormation Lambda Hook (hook.py) and `mq-network-check` (templates, CDK output, Terraform
plans) both judge here, with the rule's own parameters and decision, so a broker gets the same
verdict before it is created as after. What a template cannot tell yet (a name built with
Fn::Sub, a value known only after apply) is UNKNOWN, never a pass. In CheckMode connectors or
both, the network is judged when the caller can read it (mq-network-check, from configurations
declared in the same template); without it (the hook sees one resource) a broker is judged on its
name, mode, engine and tags, and the rule checks its connectors once it exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from .decision import NON_COMPLIANT, NOT_APPLICABLE, decide
from .facts import BrokerFacts
from .network import Membership
from .parameters import RuleParameters

UNKNOWN = "UNKNOWN"  # cannot be judged before deployment


class Unknown(NamedTuple):
    """A property whose value is decided at deployment (an intrinsic function, a value after apply)."""

    how: str  # "Fn::Sub", "known after apply", ...


class Planned(NamedTuple):
    status: str  # COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE or UNKNOWN
    message: str
    fix: str = ""


def judge_planned(
    label: str,
    name: str | Unknown | None,
    mode: str | Unknown | None,
    engine: str | Unknown | None,
    tags: Mapping[str, str] | Unknown | None,
    params: RuleParameters,
    network: Membership | Unknown | None = None,
) -> Planned:
    """The verdict on a broker a template declares (`label`: its logical ID or address).

    `network`: what the template declares of its connectors (template_network in the tools), or
    None when the caller cannot see them.
    """
    if isinstance(engine, Unknown) or (isinstance(tags, Unknown) and params.scope_tag_key):
        what = "EngineType" if isinstance(engine, Unknown) else "its Tags"
        how = engine.how if isinstance(engine, Unknown) else tags.how  # type: ignore[union-attr]
        return Planned(UNKNOWN, f"Broker {label} cannot be judged before deployment: {what} is {how}.")
    facts = BrokerFacts(
        broker_id=label,
        name=name if isinstance(name, str) else label,
        deployment_mode=mode if isinstance(mode, str) else None,
        engine_type=engine,
        tags=dict(tags) if isinstance(tags, Mapping) else {},
    )
    # The network is read from brokers that exist: before creation, name, mode, engine and scope.
    before = params._replace(check_mode="name" if params.checks_name else "mode")
    settled = decide(facts, before)
    if settled.compliance == NOT_APPLICABLE:
        return Planned(NOT_APPLICABLE, settled.annotation)
    if params.checks_name and name is None:
        return Planned(
            NON_COMPLIANT,
            f"Broker {label} has no BrokerName: CloudFormation would generate one, and a network member needs "
            "a chosen name (such as <mesh>-Broker-1).",
            "Set BrokerName to the member's name in its mesh.",
        )
    if isinstance(name, Unknown) and params.checks_name:
        return Planned(UNKNOWN, f"Broker {label} cannot be judged before deployment: its BrokerName is {name.how}.")
    if isinstance(mode, Unknown):
        return Planned(UNKNOWN, f"Broker {label} cannot be judged before deployment: its DeploymentMode is {mode.how}.")
    if mode is None:
        return Planned(NON_COMPLIANT, f"Broker {label} declares no DeploymentMode.", "Set DeploymentMode.")
    if settled.compliance == NON_COMPLIANT:
        return Planned(NON_COMPLIANT, settled.annotation, "Declare it as a member of a mesh, in an allowed mode.")
    if params.checks_connectors and isinstance(network, Unknown):
        return Planned(UNKNOWN, f"Broker {label} cannot be judged before deployment: {network.how}.")
    if params.checks_connectors and isinstance(network, Membership):
        full = decide(facts, params, network)
        fix = "Declare its networkConnector in its configuration." if full.compliance == NON_COMPLIANT else ""
        return Planned(full.compliance, full.annotation, fix)
    later = " Its network connectors are checked by the rule once it exists." if params.checks_connectors else ""
    checked = "name and deployment mode" if params.checks_name else "deployment mode"
    called = f"'{name}' ({label})" if isinstance(name, str) else label
    return Planned("COMPLIANT", f"Broker {called}: {checked} as a network member needs ({mode}).{later}")


def cloudformation_broker(
    logical_id: str, properties: Any, params: RuleParameters, network: Membership | Unknown | None = None
) -> Planned:
    """An AWS::AmazonMQ::Broker's Properties (a template's, or a hook request's resourceProperties)."""
    if not isinstance(properties, Mapping):
        raise ValueError(f"{logical_id}: Properties is not an object")
    tags = _cloudformation_tags(properties.get("Tags"))
    return judge_planned(
        logical_id,
        _literal(properties.get("BrokerName")),
        _literal(properties.get("DeploymentMode")),
        _literal(properties.get("EngineType")),
        tags,
        params,
        network,
    )


def _literal(value: object) -> str | Unknown | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and len(value) == 1:
        return Unknown(next(iter(value)))  # {"Fn::Sub": ...}, {"Ref": ...}
    return Unknown("not a string")


def _cloudformation_tags(value: object) -> dict[str, str] | Unknown:
    if value is None:
        return {}
    if not isinstance(value, list):
        return Unknown("not a list of Key/Value pairs")
    tags = {}
    for tag in value:
        if not isinstance(tag, Mapping) or not isinstance(tag.get("Key"), str):
            return Unknown("computed")
        if not isinstance(tag.get("Value"), str):
            return Unknown("computed")
        tags[tag["Key"]] = tag["Value"]
    return tags
