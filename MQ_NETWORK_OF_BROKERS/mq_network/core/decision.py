"""The verdict on one broker: a pure function of its facts, its network evidence and the parameters.

No AWS call happens here, so every case a customer can meet is a plain unit test. The scenarios,
in the order they are asked (each a small function below):

0. item     (a change event's configuration item, before any fact is read: `not_evaluated`)
            deleted or no longer recorded (GONE_STATUSES), left the rule's scope (eventLeftScope),
            or not an AWS::AmazonMQ::Broker -> NOT_APPLICABLE; and, in a periodic run, an earlier
            result on a broker no longer listed -> NOT_APPLICABLE (`no_longer_listed`)
1. scope    outside ScopeTagKey/ScopeTagValue -> NOT_APPLICABLE; tags unreadable -> unverified
2. state    being deleted, or failed to be created -> NOT_APPLICABLE (it serves no client)
3. build    a mesh member the remediation is still building (its tags say so, and it is less
            than 24 hours old) -> NOT_APPLICABLE, so that remediation never takes it for a source
4. engine   RabbitMQ or another engine -> NOT_APPLICABLE (a network of brokers is ActiveMQ's)
5. name     (CheckMode name, both) the whole name must match BrokerNamePattern
6. mode     the deployment mode must be one of AllowedDeploymentModes
7. network  (CheckMode connectors, both) linked to enough brokers, by connectors that were read

Scenarios 1-4 settle the verdict alone; 5-7 are all asked, so that one annotation names every
problem. Anything unverified makes the broker NON_COMPLIANT: the rule never passes a broker on
evidence it could not read. Annotations say what is wrong first and whole; the advice after it
shortens until AWS Config's 256 characters fit.
"""

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, NamedTuple

from mq_network.core.external_peers import failure_advice
from mq_network.core.facts import IDLE_STATES, BrokerFacts
from mq_network.core.naming import BUILD_IN_PROGRESS, BUILD_TAG, MEMBER_TAG, SOURCE_TAG, member_name
from mq_network.core.parameters import RuleParameters
from mq_network.core.patterns import DEFAULT_PATTERN
from mq_network.core.vocabulary import (
    COMPLIANT,
    GONE_STATUSES,
    NON_COMPLIANT,
    NOT_APPLICABLE,
    OPENWIRE_PORT,
    RESOURCE_TYPE,
    NotRead,
    Unreadable,
)

if TYPE_CHECKING:  # the connector graph is loaded only where connectors are checked, never in name mode
    from mq_network.core.network import Evidence, Membership

ANNOTATION_LIMIT = 256  # PutEvaluations refuses longer annotations.
_NAME_LIMIT = 50  # Amazon MQ broker names have at most 50 characters.
_PEER_LIST_LIMIT = 90
BUILD_GRACE = timedelta(hours=24)  # a mesh member "being built" longer than this is judged normally


class Verdict(NamedTuple):
    compliance: str
    annotation: str
    unverified: str | None = None  # why the broker could not be verified, for the run record


class _Settled(NamedTuple):
    """A scenario that decides alone (out of scope, idle, not ActiveMQ)."""

    compliance: str
    text: str


class _Problem(NamedTuple):
    """Something wrong with the broker, and the fixes for it, longest first."""

    text: str
    fixes: tuple[str, ...] = ()
    unverified: str | None = None  # set when the problem is that the rule could not read a fact


class DecisionError(RuntimeError):
    """The caller broke the decision's contract (a programming error): the invocation must fail."""


def decide(
    broker: BrokerFacts, params: RuleParameters, network: "Evidence | None" = None, now: datetime | None = None
) -> Verdict:
    """Say whether `broker` runs inside a network of brokers, and why, in words a person can act on.

    `network` is what the connector graph says of the broker; CheckMode connectors and both need it.
    `now` (default: the clock) bounds how long a mesh member may stay "being built".
    """
    building = partial(_building, now=now or datetime.now(UTC))
    for scenario in (_scope, _state, building, _engine):
        settled = scenario(broker, params, network)
        if isinstance(settled, _Settled):
            return _verdict(settled.compliance, settled.text)
        if isinstance(settled, _Problem):
            return _render(broker, [settled])
    problems = [
        p for scenario in (_name, _mode, _network) if isinstance(p := scenario(broker, params, network), _Problem)
    ]
    if problems:
        return _render(broker, problems)
    return _verdict(COMPLIANT, _compliant_text(broker, params, network))


def not_evaluated(status: object, resource_type: object, left_scope: bool, label: str) -> Verdict | None:
    """Scenario 0: NOT_APPLICABLE for a configuration item the rule no longer or never evaluates
    (its status says it is gone, it left the rule's scope, or it is another resource type); None
    when the broker it describes is to be judged."""
    if status in GONE_STATUSES or left_scope:
        reason = status if status in GONE_STATUSES else "left the rule's scope"
        return Verdict(NOT_APPLICABLE, f"Broker '{label}' is no longer evaluated ({reason}).")
    if resource_type != RESOURCE_TYPE:
        return Verdict(NOT_APPLICABLE, "This rule evaluates Amazon MQ brokers only.")
    return None


def no_longer_listed() -> Verdict:
    """Scenario 0, periodic: an earlier result AWS Config holds on a broker this run did not list."""
    return Verdict(NOT_APPLICABLE, "The broker no longer exists.")


def needs_network(broker: BrokerFacts, params: RuleParameters) -> bool:
    """Whether the verdict on `broker` depends on its network (so that it is worth reading)."""
    return (
        params.checks_connectors
        and broker.can_be_networked
        and _scope(broker, params, None) is None
        and not isinstance(broker.tags, Unreadable)
    )


# --- the scenarios ---------------------------------------------------------------------------------


def _scope(broker: BrokerFacts, params: RuleParameters, _network: "Evidence | None") -> _Settled | _Problem | None:
    key = params.scope_tag_key
    if key is None:
        return None
    tags = broker.tags
    if isinstance(tags, Unreadable):
        return _Problem(
            f"its tags could not be read for ScopeTagKey: {tags.reason}",
            (" Fix: allow the rule mq:ListTags and mq:DescribeBroker on this broker.",),
            unverified=f"its tags could not be read for ScopeTagKey: {tags.reason}",
        )
    if isinstance(tags, NotRead):
        raise DecisionError(f"Broker {broker.broker_id}: ScopeTagKey is set but the broker's tags were not read")
    if key not in tags:
        return _Settled(
            NOT_APPLICABLE,
            f"Broker {_label(broker)} is out of this rule's scope: it has no tag {_quote(key, 40)} (ScopeTagKey).",
        )
    wanted = params.scope_tag_value
    if wanted is not None and tags[key] != wanted:
        return _Settled(
            NOT_APPLICABLE,
            f"Broker {_label(broker)} is out of this rule's scope: its tag {_quote(key, 40)} is "
            f"{_quote(tags[key], 40)}, not {_quote(wanted, 40)} (ScopeTagValue).",
        )
    return None


def _state(broker: BrokerFacts, _params: RuleParameters, _network: "Evidence | None") -> _Settled | None:
    if broker.state in IDLE_STATES:
        return _Settled(NOT_APPLICABLE, f"Broker {_label(broker)} {IDLE_STATES[broker.state]} ({broker.state}).")
    return None


def _building(
    broker: BrokerFacts, _params: RuleParameters, _network: "Evidence | None", now: datetime
) -> _Settled | None:
    tags = broker.tags
    if not isinstance(tags, Mapping) or tags.get(BUILD_TAG) != BUILD_IN_PROGRESS or SOURCE_TAG not in tags:
        return None
    if broker.created is None or now - broker.created > BUILD_GRACE:
        return None  # a build that never finished is judged like any broker
    return _Settled(
        NOT_APPLICABLE,
        f"Broker {_label(broker)} is being built as member {_quote(tags.get(MEMBER_TAG, '?'), 3)} of the mesh "
        f"replacing {_quote(tags[SOURCE_TAG], 60)}; it is judged once its build completes (at most 24 hours).",
    )


def _engine(broker: BrokerFacts, _params: RuleParameters, _network: "Evidence | None") -> _Settled | None:
    engine = (broker.engine_type or "ACTIVEMQ").upper()
    if engine == "RABBITMQ":
        return _Settled(
            NOT_APPLICABLE,
            f"Broker {_label(broker)} runs RabbitMQ: a network of brokers is an ActiveMQ feature; RabbitMQ "
            "brokers get high availability from the CLUSTER_MULTI_AZ deployment mode instead.",
        )
    if engine != "ACTIVEMQ":
        return _Settled(
            NOT_APPLICABLE,
            f"Broker {_label(broker)} runs engine {_quote(broker.engine_type or '', 20)}, which has no network "
            "of brokers; this rule checks ActiveMQ brokers.",
        )
    return None


def _name(broker: BrokerFacts, params: RuleParameters, _network: "Evidence | None") -> _Problem | None:
    if not params.checks_name:
        return None
    if broker.name is None:
        return _Problem(
            "its name could not be verified: AWS reported no BrokerName",
            (" Fix: run the rule again; if this persists, report it to AWS Support.",),
            unverified="AWS reported no BrokerName for it",
        )
    if params.broker_name_pattern.fullmatch(broker.name):
        return None
    return _Problem(
        f"name does not match {_quote(params.broker_name_pattern.pattern, 60)}", tuple(_name_fixes(broker.name, params))
    )


def _mode(broker: BrokerFacts, params: RuleParameters, _network: "Evidence | None") -> _Problem | None:
    mode = broker.deployment_mode
    if mode in params.allowed_deployment_modes:
        return None
    allowed = " or ".join(params.allowed_deployment_modes)
    if mode is None:
        return _Problem(
            "its deployment mode could not be verified: AWS reported none",
            (" Fix: run the rule again; if this persists, report it to AWS Support.",),
            unverified="AWS reported no DeploymentMode for it",
        )
    return _Problem(
        f"mode {mode} is not {allowed}",
        (
            f" The mode cannot change in place: recreate it as {allowed}, join it to its mesh, move clients.",
            " Fix: recreate it in an allowed mode.",
        ),
    )


def _network(broker: BrokerFacts, params: RuleParameters, network: "Evidence | None") -> _Problem | None:
    """What the connector graph says is wrong, and the fixes for it (longest first)."""
    if not params.checks_connectors:
        return None
    if network is None:
        raise DecisionError(f"Broker {broker.broker_id}: CheckMode {params.check_mode} needs its network evidence")
    if isinstance(network, Unreadable):
        return _Problem(
            f"its network could not be verified: {network.reason}",
            (" Fix: let the rule read the broker's configuration, or correct that configuration.",),
            unverified=network.reason,
        )
    if network.malformed:
        return _Problem(
            f"network connector {_quote('; '.join(network.malformed), 130)}",
            (f" Fix: give the connector a uri such as static:(ssl://<peer-host>:{OPENWIRE_PORT}).",),
        )
    ignored = f" (not counted: {_quote('; '.join(network.ignored), 120)})" if network.ignored else ""
    ignored += _one_way(network)
    too_small = network.network_size < params.minimum_network_size
    if too_small and network.peer_errors:
        reason = f"its peers beyond the region could not be verified: {'; '.join(network.peer_errors)}"
        return _Problem(
            reason,
            failure_advice(network.peer_errors),
            unverified=reason,
        )
    if not network.peers and not network.external_peers and not network.verified_peers:
        return _Problem(
            f"none of its links counts{ignored}"
            if network.ignored
            else "it has no network connector and no broker in its region connects to it",
            (
                " Fix: add a duplex networkConnector from it to a peer broker, or from a peer to it.",
                " Fix: connect it to a peer.",
            ),
        )
    if too_small:
        missing = params.minimum_network_size - network.network_size
        return _Problem(
            f"its network has {network.network_size} of the {params.minimum_network_size} brokers "
            f"MinimumNetworkSize asks (linked to {_peer_list(network)}){ignored}",
            (f" Fix: connect {missing} more broker(s) to this network.", " Fix: connect more brokers."),
        )
    return None


# --- rendering -------------------------------------------------------------------------------------


def _render(broker: BrokerFacts, problems: list[_Problem]) -> Verdict:
    name = _label(broker)
    unverified = "; ".join(p.unverified for p in problems if p.unverified) or None
    if all(p.unverified for p in problems):
        head = f"Broker {name} could not be verified: {unverified}."
    else:
        head = f"Broker {name} is not in a network of brokers: {'; '.join(p.text for p in problems)}."
    # A new mesh settles name, mode and links at once; a new mode settles mode and links.
    fixes = next((p.fixes for p in problems if p.fixes), ())
    for fix in [*fixes, " Fix: replace it with a mesh."]:
        if len(head) + len(fix) <= ANNOTATION_LIMIT:
            return _verdict(NON_COMPLIANT, head + fix, unverified)
    return _verdict(NON_COMPLIANT, head, unverified)


def _compliant_text(broker: BrokerFacts, params: RuleParameters, network: "Evidence | None") -> str:
    name = _label(broker)
    mode = broker.deployment_mode
    named = f"is named as a network-of-brokers member (pattern {_quote(params.broker_name_pattern.pattern, 60)})"
    if not params.checks_connectors or network is None or isinstance(network, Unreadable):
        return f"Broker {name} {named} and runs in {mode} mode."
    size = f"{'at least ' if not network.complete else ''}{network.network_size}"
    linked = f"is in a network of {size} brokers, linked to {_peer_list(network)}{_one_way(network)}"
    if params.checks_name:
        return f"Broker {name} {named}, {linked}; mode {mode}."
    return f"Broker {name} {linked}; mode {mode}."


def _one_way(network: "Membership") -> str:
    """The links that carry messages one way only: they count, and the owner should know which."""
    return f" (one way: {_quote('; '.join(network.one_way), 100)})" if network.one_way else ""


def _peer_list(network: "Membership") -> str:
    names = [*network.peers, *network.verified_peers, *(f"{host} (external)" for host in network.external_peers)]
    shown: list[str] = []
    for peer in names:
        if len(", ".join([*shown, peer])) > _PEER_LIST_LIMIT:
            break
        shown.append(peer)
    hidden = len(names) - len(shown)
    return ", ".join(shown) + (f" and {hidden} more" if hidden else "")


def _name_fixes(name: str, params: RuleParameters) -> list[str]:
    if params.broker_name_pattern.pattern != DEFAULT_PATTERN:
        return [
            " Amazon MQ cannot rename: create members with matching names, connect them, move clients, "
            "then delete this broker.",
            " Fix: replace it with a mesh of brokers whose names match.",
        ]
    mesh = f"{member_name(name, 1)}..n"  # the names the remediation (mesh.py) creates
    return [
        f" Amazon MQ cannot rename: create a mesh {mesh}, connect it, move clients, then delete this broker.",
        f" Fix: create a mesh {mesh}, connect it, move clients, delete this one.",
        " Fix: replace it with a mesh of brokers named <name>-Broker-<n>.",
    ]


def _label(broker: BrokerFacts) -> str:
    return _quote(broker.label, _NAME_LIMIT)


def _quote(text: str, limit: int) -> str:
    return "'" + (text if len(text) <= limit else text[: limit - 1] + "…") + "'"


def _verdict(compliance: str, annotation: str, unverified: str | None = None) -> Verdict:
    if len(annotation) > ANNOTATION_LIMIT:
        annotation = annotation[: ANNOTATION_LIMIT - 1] + "…"
    return Verdict(compliance, annotation, unverified)
