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

    problems = []
    if not params.broker_name_pattern.fullmatch(broker.name):
        problems.append(_name_problem(broker.name, params))
    mode = broker.deployment_mode
    if mode not in params.allowed_deployment_modes:
        allowed = " or ".join(params.allowed_deployment_modes)
        reported = f"runs in {mode} mode" if mode else "does not report its deployment mode"
        problems.append(
            f"it {reported}, and a network member must run in {allowed} "
            "(the mode cannot change in place: recreate it)"
        )
    if problems:
        return _verdict(
            NON_COMPLIANT, f"Broker {name} is not in a network of brokers: " + "; ".join(problems) + "."
        )
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


def _name_problem(name: str, params: RuleParameters) -> str:
    pattern = params.broker_name_pattern.pattern
    if pattern == _DEFAULT_PATTERN:
        base = name[: _NAME_LIMIT - len(_MEMBER_SUFFIX) - 2]
        fix = (
            f"Amazon MQ cannot rename, so create a mesh {base}{_MEMBER_SUFFIX}1..n, "
            "connect it, move clients, then delete this broker"
        )
    else:
        fix = "create network members with matching names, move clients, then delete this broker"
    return f"its name does not match {_quote(pattern, 60)}. {fix}"


def _quote(text: str, limit: int) -> str:
    return "'" + (text if len(text) <= limit else text[: limit - 1] + "…") + "'"


def _verdict(compliance: str, annotation: str) -> Verdict:
    if len(annotation) > ANNOTATION_LIMIT:
        annotation = annotation[: ANNOTATION_LIMIT - 1] + "…"
    return Verdict(compliance, annotation)
