"""The verdict on one broker: a pure function of its facts, its network evidence and the parameters.

No AWS call happens here, so every case a customer can meet is a plain unit test. Annotations
say what is wrong first and whole; the advice after it shortens until the 256 characters fit.
"""

from __future__ import annotations

from typing import NamedTuple

from .facts import IDLE_STATES, BrokerFacts
from .network import Membership, Unverifiable
from .parameters import SPECS_BY_NAME, RuleParameters

COMPLIANT = "COMPLIANT"
NON_COMPLIANT = "NON_COMPLIANT"
NOT_APPLICABLE = "NOT_APPLICABLE"

ANNOTATION_LIMIT = 256  # PutEvaluations refuses longer annotations.
_NAME_LIMIT = 50  # Amazon MQ broker names have at most 50 characters.
_MEMBER_SUFFIX = "-Broker-"
_DEFAULT_PATTERN = SPECS_BY_NAME["BrokerNamePattern"].default
_PEER_LIST_LIMIT = 90


class Verdict(NamedTuple):
    compliance: str
    annotation: str


def decide(broker: BrokerFacts, params: RuleParameters, network: Membership | Unverifiable | None = None) -> Verdict:
    """Say whether `broker` runs inside a network of brokers, and why, in words a person can act on.

    `network` is what the connector graph says of the broker; CheckMode connectors and both need it.
    """
    name = _quote(broker.name, _NAME_LIMIT)
    out_of_scope = _scope_miss(broker, params)
    if out_of_scope:
        return _verdict(NOT_APPLICABLE, f"Broker {name} is out of this rule's scope: {out_of_scope}.")
    if broker.state in IDLE_STATES:
        return _verdict(NOT_APPLICABLE, f"Broker {name} {IDLE_STATES[broker.state]} ({broker.state}).")
    engine = (broker.engine_type or "ACTIVEMQ").upper()
    if engine == "RABBITMQ":
        return _verdict(
            NOT_APPLICABLE,
            f"Broker {name} runs RabbitMQ: a network of brokers is an ActiveMQ feature; RabbitMQ "
            "brokers get high availability from the CLUSTER_MULTI_AZ deployment mode instead.",
        )
    if engine != "ACTIVEMQ":
        return _verdict(
            NOT_APPLICABLE,
            f"Broker {name} runs engine {_quote(broker.engine_type or '', 20)}, which has no "
            "network of brokers; this rule checks ActiveMQ brokers.",
        )
    if params.checks_connectors and network is None:
        raise ValueError(f"Broker {broker.broker_id}: CheckMode {params.check_mode} needs its network evidence")

    problems: list[str] = []
    name_fixes: list[str] = []
    mode_fixes: list[str] = []
    link_fixes: list[str] = []
    if params.checks_name and not params.broker_name_pattern.fullmatch(broker.name):
        problems.append(f"name does not match {_quote(params.broker_name_pattern.pattern, 60)}")
        name_fixes = _name_fixes(broker.name, params)
    mode = broker.deployment_mode
    allowed = " or ".join(params.allowed_deployment_modes)
    if mode not in params.allowed_deployment_modes:
        problems.append(f"mode {mode} is not {allowed}" if mode else "deployment mode not reported")
        mode_fixes = [
            f" The mode cannot change in place: recreate it as {allowed}, join it to its mesh, move clients.",
            " Fix: recreate it in an allowed mode.",
        ]
    if params.checks_connectors and network is not None:
        link_problem, link_fixes = _network_problem(network, params)
        if link_problem:
            problems.append(link_problem)
    # A new mesh settles name, mode and links at once; a new mode settles mode and links.
    fixes = name_fixes or mode_fixes or link_fixes
    if problems:
        head = f"Broker {name} is not in a network of brokers: {'; '.join(problems)}."
        for fix in [*fixes, " Fix: replace it with a mesh."]:
            if len(head) + len(fix) <= ANNOTATION_LIMIT:
                return _verdict(NON_COMPLIANT, head + fix)
        return _verdict(NON_COMPLIANT, head)
    return _verdict(COMPLIANT, _compliant_text(name, mode, params, network))


def needs_network(broker: BrokerFacts, params: RuleParameters) -> bool:
    """Whether the verdict on `broker` depends on its network (so that it is worth reading)."""
    return params.checks_connectors and broker.can_be_networked and _scope_miss(broker, params) is None


def _compliant_text(name: str, mode: str | None, params: RuleParameters, network: object) -> str:
    named = f"is named as a network-of-brokers member (pattern {_quote(params.broker_name_pattern.pattern, 60)})"
    if not isinstance(network, Membership) or not params.checks_connectors:
        return f"Broker {name} {named} and runs in {mode} mode."
    size = f"{'at least ' if not network.complete else ''}{network.network_size}"
    linked = f"is in a network of {size} brokers, linked to {_peer_list(network)}"
    if params.checks_name:
        return f"Broker {name} {named}, {linked}; mode {mode}."
    return f"Broker {name} {linked}; mode {mode}."


def _network_problem(network: Membership | Unverifiable, params: RuleParameters) -> tuple[str, list[str]]:
    """What the connector graph says is wrong, and the fixes for it (longest first)."""
    if isinstance(network, Unverifiable):
        return (
            f"its network could not be verified: {network.reason}",
            [" Fix: let the rule read the broker's configuration, or correct that configuration."],
        )
    if network.malformed:
        listed = "; ".join(network.malformed)
        return (
            f"network connector {_quote(listed, 80)}",
            [" Fix: give the connector a uri such as static:(ssl://<peer-host>:61617)."],
        )
    if not network.peers and not network.external_peers:
        return (
            "it has no network connector and no broker in its region connects to it",
            [
                " Fix: add a duplex networkConnector from it to a peer broker, or from a peer to it.",
                " Fix: connect it to a peer.",
            ],
        )
    if network.network_size < params.minimum_network_size:
        missing = params.minimum_network_size - network.network_size
        return (
            f"its network has {network.network_size} of the {params.minimum_network_size} brokers "
            f"MinimumNetworkSize asks (linked to {_peer_list(network)})",
            [f" Fix: connect {missing} more broker(s) to this network.", " Fix: connect more brokers."],
        )
    return "", []


def _peer_list(network: Membership) -> str:
    names = [*network.peers, *(f"{host} (external)" for host in network.external_peers)]
    shown: list[str] = []
    for peer in names:
        if len(", ".join([*shown, peer])) > _PEER_LIST_LIMIT:
            break
        shown.append(peer)
    hidden = len(names) - len(shown)
    return ", ".join(shown) + (f" and {hidden} more" if hidden else "")


def _scope_miss(broker: BrokerFacts, params: RuleParameters) -> str | None:
    """Why the broker is outside the tag scope, or None when it is inside (or no scope is set)."""
    key = params.scope_tag_key
    if key is None:
        return None
    if broker.tags is None:
        raise ValueError(f"Broker {broker.broker_id}: ScopeTagKey is set but the broker's tags were not read")
    if key not in broker.tags:
        return f"it has no tag {_quote(key, 40)} (ScopeTagKey)"
    wanted = params.scope_tag_value
    if wanted is not None and broker.tags[key] != wanted:
        return f"its tag {_quote(key, 40)} is {_quote(broker.tags[key], 40)}, not {_quote(wanted, 40)} (ScopeTagValue)"
    return None


def _name_fixes(name: str, params: RuleParameters) -> list[str]:
    if params.broker_name_pattern.pattern != _DEFAULT_PATTERN:
        return [
            " Amazon MQ cannot rename: create members with matching names, connect them, move clients, "
            "then delete this broker.",
            " Fix: replace it with a mesh of brokers whose names match.",
        ]
    mesh = f"{name[: _NAME_LIMIT - len(_MEMBER_SUFFIX) - 2]}{_MEMBER_SUFFIX}1..n"
    return [
        f" Amazon MQ cannot rename: create a mesh {mesh}, connect it, move clients, then delete this broker.",
        f" Fix: create a mesh {mesh}, connect it, move clients, delete this one.",
        " Fix: replace it with a mesh of brokers named <name>-Broker-<n>.",
    ]


def _quote(text: str, limit: int) -> str:
    return "'" + (text if len(text) <= limit else text[: limit - 1] + "…") + "'"


def _verdict(compliance: str, annotation: str) -> Verdict:
    if len(annotation) > ANNOTATION_LIMIT:
        annotation = annotation[: ANNOTATION_LIMIT - 1] + "…"
    return Verdict(compliance, annotation)
