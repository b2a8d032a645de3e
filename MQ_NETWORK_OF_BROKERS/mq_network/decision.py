"""The verdict on one broker: a pure function of its facts and the rule parameters.

No AWS call happens here, so every case a customer can meet is a plain unit test.
"""

from __future__ import annotations

from dataclasses import dataclass

from .facts import BrokerFacts
from .parameters import SPECS_BY_NAME, RuleParameters

COMPLIANT = "COMPLIANT"
NON_COMPLIANT = "NON_COMPLIANT"
NOT_APPLICABLE = "NOT_APPLICABLE"

ANNOTATION_LIMIT = 256  # PutEvaluations refuses longer annotations.
_NAME_LIMIT = 50  # Amazon MQ broker names have at most 50 characters.
_MEMBER_SUFFIX = "-Broker-"
_DEFAULT_PATTERN = SPECS_BY_NAME["BrokerNamePattern"].default

# States in which the broker serves no client, so there is no availability to judge.
_IDLE_STATES = {
    "DELETION_IN_PROGRESS": "is being deleted",
    "CREATION_FAILED": "failed to be created and serves no clients; delete it",
}


@dataclass(frozen=True)
class Verdict:
    compliance: str
    annotation: str


def decide(broker: BrokerFacts, params: RuleParameters) -> Verdict:
    """Say whether `broker` runs inside a network of brokers, and why, in words a person can act on."""
    name = _quote(broker.name, _NAME_LIMIT)
    out_of_scope = _scope_miss(broker, params)
    if out_of_scope:
        return _verdict(NOT_APPLICABLE, f"Broker {name} is out of this rule's scope: {out_of_scope}.")
    if broker.state in _IDLE_STATES:
        return _verdict(
            NOT_APPLICABLE, f"Broker {name} {_IDLE_STATES[broker.state]} ({broker.state})."
        )
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

    name_ok = params.broker_name_pattern.fullmatch(broker.name) is not None
    mode = broker.deployment_mode
    mode_ok = mode in params.allowed_deployment_modes
    if not (name_ok and mode_ok):
        return _non_compliant(broker.name, params, name_ok, mode_ok, mode)
    return _verdict(
        COMPLIANT,
        f"Broker {name} is named as a network-of-brokers member (pattern "
        f"{_quote(params.broker_name_pattern.pattern, 60)}) and runs in {mode} mode.",
    )


def _scope_miss(broker: BrokerFacts, params: RuleParameters) -> str | None:
    """Why the broker is outside the tag scope, or None when it is inside (or no scope is set)."""
    key = params.scope_tag_key
    if key is None:
        return None
    if broker.tags is None:
        raise ValueError(
            f"Broker {broker.broker_id}: ScopeTagKey is set but the broker's tags were not read"
        )
    if key not in broker.tags:
        return f"it has no tag {_quote(key, 40)} (ScopeTagKey)"
    wanted = params.scope_tag_value
    if wanted is not None and broker.tags[key] != wanted:
        return (
            f"its tag {_quote(key, 40)} is {_quote(broker.tags[key], 40)}, not "
            f"{_quote(wanted, 40)} (ScopeTagValue)"
        )
    return None


def _non_compliant(
    name: str, params: RuleParameters, name_ok: bool, mode_ok: bool, mode: str | None
) -> Verdict:
    """What is wrong comes first and whole; the fix is shortened until the annotation fits."""
    allowed = " or ".join(params.allowed_deployment_modes)
    problems = []
    if not name_ok:
        problems.append(f"name does not match {_quote(params.broker_name_pattern.pattern, 60)}")
    if not mode_ok:
        problems.append(f"mode {mode} is not {allowed}" if mode else "deployment mode not reported")
    head = f"Broker {_quote(name, _NAME_LIMIT)} is not in a network of brokers: {'; '.join(problems)}."
    if name_ok:
        fixes = [
            f" The mode cannot change in place: recreate it as {allowed}, join it to its mesh, move clients.",
            " Recreate it in an allowed mode.",
        ]
    elif params.broker_name_pattern.pattern == _DEFAULT_PATTERN:
        mesh = f"{name[: _NAME_LIMIT - len(_MEMBER_SUFFIX) - 2]}{_MEMBER_SUFFIX}1..n"
        fixes = [
            f" Amazon MQ cannot rename: create a mesh {mesh}, connect it, move clients, then delete this broker.",
            f" Fix: create a mesh {mesh}, connect it, move clients, delete this one.",
            " Fix: replace it with a mesh of brokers named <name>-Broker-<n>.",
        ]
    else:
        fixes = [
            " Amazon MQ cannot rename: create members with matching names, connect them, move clients, "
            "then delete this broker.",
            " Fix: replace it with a mesh of brokers whose names match.",
        ]
    for fix in [*fixes, " Fix: replace it with a mesh."]:
        if len(head) + len(fix) <= ANNOTATION_LIMIT:
            return _verdict(NON_COMPLIANT, head + fix)
    return _verdict(NON_COMPLIANT, head)


def _quote(text: str, limit: int) -> str:
    return "'" + (text if len(text) <= limit else text[: limit - 1] + "…") + "'"


def _verdict(compliance: str, annotation: str) -> Verdict:
    if len(annotation) > ANNOTATION_LIMIT:
        annotation = annotation[: ANNOTATION_LIMIT - 1] + "…"
    return Verdict(compliance, annotation)
