"""Brokers before they exist: the rule's decision on the properties a template or a plan declares.

The CloudFormation Lambda Hook (hook.py) and `mq-network-check` (templates, CDK output, Terraform
plans) both judge here, with the rule's own parameters and decision, so a broker gets the same
verdict before it is created as after.

Each property is a literal, absent, or left to deployment: `Unknown` (vocabulary; nothing is known), `Choice`
(one of some literal values, such as an Fn::If of two literals) or, for a name, a `Shape` (literal
parts around parts known only at deployment, as Fn::Join and Fn::Sub build them). What is literal
decides first: a failure that no deployment value can fix is NON_COMPLIANT whatever the unknown
parts turn out to be (a name `lonely` fails whatever mode a parameter gives; so does
CLUSTER_MULTI_AZ whatever the name), and a name shape that can never match BrokerNamePattern is
such a failure. What could still turn either way is UNKNOWN, never a pass: an unknown that could
take the broker out of scope (its engine, its scope tag) keeps even a definite failure UNKNOWN.
Amazon MQ's enums are read in any case, as CloudFormation's registry schema accepts them
(`enumCaseInsensitive`). In CheckMode connectors or both, the network is judged when the caller
can read it (mq-network-check, from configurations declared in the same template); without it
(the hook sees one resource) a broker is judged on its name, mode, engine and tags, and the rule
checks its connectors once it exists.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from mq_network.core.decision import decide
from mq_network.core.facts import BrokerFacts
from mq_network.core.network import Membership
from mq_network.core.parameters import DEPLOYMENT_MODE_ONLY, RuleParameters
from mq_network.core.vocabulary import COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE, UNKNOWN, Unknown

_MESH_FIX = "Declare it as a member of a mesh, in an allowed mode."


class Choice(NamedTuple):
    """A property that will be one of these literal values (Fn::If of literals, a parameter's AllowedValues)."""

    values: tuple[str, ...]
    how: str


class Shape(NamedTuple):
    """A name built at deployment: literal strings and the parts known only then (name_shape.Hole)."""

    parts: tuple[Any, ...]  # str | name_shape.Hole
    how: str  # "Fn::Join", "Fn::Sub"


class PartialTags(NamedTuple):
    """Tags some of whose entries are computed: literal keys with literal or unknown values, and
    `unknown_keys` when some entry's key itself is known only at deployment."""

    known: Mapping[str, str | Unknown]
    unknown_keys: Unknown | None = None


class Planned(NamedTuple):
    status: str  # COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE or UNKNOWN
    message: str
    fix: str = ""


# What a template or plan declares of a property: a literal, left to deployment, or absent (None).
PlannedValue = str | Unknown | Choice | None
PlannedName = str | Shape | Unknown | None
PlannedTags = Mapping[str, str] | PartialTags | Unknown | None


def judge_planned(
    label: str,
    name: PlannedName,
    mode: PlannedValue,
    engine: PlannedValue,
    tags: PlannedTags,
    params: RuleParameters,
    network: Membership | Unknown | None = None,
) -> Planned:
    """The verdict on a broker a template declares (`label`: its logical ID or address).

    `network`: what the template declares of its connectors (template_network in the tools), or
    None when the caller cannot see them.
    """
    name, mode, engine = _readable(name), _upper(_readable(mode)), _upper(_readable(engine))
    # 1. Not applicable, when literals say so (in decide's own words): scope, then engine.
    gates: list[str] = []  # what is open until deployment and could make the broker not applicable
    scope = _scope_tags(tags, params)
    known_tags: Mapping[str, str] = {}
    if isinstance(scope, str):
        gates.append(scope)
    else:
        known_tags = scope
        facts = BrokerFacts(label, _literal_name(name), engine_type="ACTIVEMQ", tags=known_tags)
        scoped = decide(facts, _plain(params))
        if scoped.compliance == NOT_APPLICABLE:
            return Planned(NOT_APPLICABLE, _unquote_label(scoped.annotation, label, name))
    if isinstance(engine, Choice) and "ACTIVEMQ" not in engine.values:
        engine = engine.values[0]
    if isinstance(engine, str) and engine != "ACTIVEMQ":
        facts = BrokerFacts(label, _literal_name(name), engine_type=engine)
        return Planned(NOT_APPLICABLE, _unquote_label(decide(facts, _plain(params)).annotation, label, name))
    if isinstance(engine, Unknown) or (isinstance(engine, Choice) and set(engine.values) != {"ACTIVEMQ"}):
        gates.append(f"its EngineType is {engine.how}, and a RabbitMQ broker would be outside this rule")

    # 2. Name, mode and network: definite failures, and what stays open until deployment.
    failures: list[str] = []
    open_: list[str] = []
    if params.checks_name:
        _judge_name(name, params, failures, open_)
    _judge_mode(mode, params, failures, open_)
    settled_mode = mode if isinstance(mode, str) else params.allowed_deployment_modes[0]
    fix = _MESH_FIX if failures else "Declare its networkConnector in its configuration."
    if params.checks_connectors and isinstance(network, Unknown):
        open_.append(network.how)
    elif params.checks_connectors and isinstance(network, Membership):
        # the network alone, in the rule's words (name and mode are judged above)
        facts = BrokerFacts(label, _literal_name(name), settled_mode, "ACTIVEMQ", tags=known_tags)
        alone = decide(facts, params._replace(check_mode="connectors"), network)
        if alone.compliance == NON_COMPLIANT:
            failures.append(_problem_text(alone.annotation))

    # 3. The verdict: a literal failure decides, unless the broker may turn out not applicable.
    called = _called(label, name)
    if failures and gates:
        return Planned(
            UNKNOWN,
            f"Broker {called} cannot be judged before deployment: {'; '.join(gates)}. If it is in this rule's scope, "
            f"it is not in a network of brokers: {'; '.join(failures)}.",
            fix,
        )
    if failures:
        if not open_ and isinstance(mode, str) and (isinstance(name, str) or not params.checks_name):
            # every judged property is literal: the rule's own annotation, word for word
            facts = BrokerFacts(label, _literal_name(name), mode, "ACTIVEMQ", tags=known_tags)
            judged = params if isinstance(network, Membership) else _plain(params, keep_name=True)
            verdict = decide(facts, judged, network if isinstance(network, Membership) else None)
            if verdict.compliance == NON_COMPLIANT:
                return Planned(NON_COMPLIANT, _unquote_label(verdict.annotation, label, name), fix)
        still = f" (Left to deployment, and no value of it can fix this: {'; '.join(open_)}.)" if open_ else ""
        text = f"Broker {called} is not in a network of brokers: {'; '.join(failures)}.{still}"
        return Planned(NON_COMPLIANT, text, fix)
    if gates or open_:
        return Planned(UNKNOWN, f"Broker {called} cannot be judged before deployment: {'; '.join(gates + open_)}.")
    if params.checks_connectors and isinstance(network, Membership):
        facts = BrokerFacts(label, _literal_name(name), settled_mode, "ACTIVEMQ", tags=known_tags)
        verdict = decide(facts, params, network)
        return Planned(verdict.compliance, _unquote_label(verdict.annotation, label, name))
    later = " Its network connectors are checked by the rule once it exists." if params.checks_connectors else ""
    checked = "name and deployment mode" if params.checks_name else "deployment mode"
    shown = mode if isinstance(mode, str) else " or ".join(mode.values) if isinstance(mode, Choice) else ""
    return Planned(COMPLIANT, f"Broker {called}: {checked} as a network member needs ({shown}).{later}")


def _judge_name(name: PlannedName, params: RuleParameters, failures: list[str], open_: list[str]) -> None:
    pattern = _quote(params.broker_name_pattern.pattern)
    if name is None:
        failures.append(
            "it has no BrokerName, which AWS::AmazonMQ::Broker requires; a network member needs its name "
            "in its mesh (such as <mesh>-Broker-1)"
        )
    elif isinstance(name, str):
        if not params.broker_name_pattern.fullmatch(name):
            failures.append(f"name does not match {pattern}")
    elif isinstance(name, Shape):
        from mq_network.core.name_shape import can_match, render  # only templates build names: never the hook's cost

        built = f"its BrokerName ({name.how} {_quote(render(name.parts))})"
        if can_match(name.parts, params.broker_name_pattern):
            open_.append(f"{built} may or may not match {pattern}")
        else:
            failures.append(
                f"{built} can never match {pattern}, whatever the deployment puts in its unknown parts "
                "(a broker name is 1-50 of the letters, digits, - and _)"
            )
    else:
        open_.append(f"its BrokerName is {name.how}")


def _judge_mode(mode: PlannedValue, params: RuleParameters, failures: list[str], open_: list[str]) -> None:
    allowed = params.allowed_deployment_modes
    if mode is None:
        failures.append("it declares no DeploymentMode, which AWS::AmazonMQ::Broker requires")
    elif isinstance(mode, str):
        if mode not in allowed:
            failures.append(f"mode {mode} is not {' or '.join(allowed)}")
    elif isinstance(mode, Choice) and not set(mode.values) & set(allowed):
        choices = " or ".join(mode.values)
        failures.append(f"its DeploymentMode ({mode.how}) can only be {choices}, not {' or '.join(allowed)}")
    elif not (isinstance(mode, Choice) and set(mode.values) <= set(allowed)):
        open_.append(f"its DeploymentMode is {mode.how}")


def _plain(params: RuleParameters, keep_name: bool = False) -> RuleParameters:
    """Parameters for decide() without the network (DEPLOYMENT_MODE_ONLY: decide then checks neither
    name nor connectors, and always the mode), and with the name when asked."""
    return params._replace(check_mode="name" if keep_name and params.checks_name else DEPLOYMENT_MODE_ONLY)


def _readable(value: Any) -> Any:
    """A value of an unexpected type (a number, a list in a plan) is left to deployment, never read."""
    if value is None or isinstance(value, (str, Unknown, Choice, Shape)):
        return value
    return Unknown(f"a {type(value).__name__}, not a string")


def _upper(value: PlannedValue) -> PlannedValue:
    """CloudFormation's registry schema marks DeploymentMode and EngineType enumCaseInsensitive."""
    if isinstance(value, str):
        return value.upper()
    if isinstance(value, Choice):
        return Choice(tuple(dict.fromkeys(v.upper() for v in value.values)), value.how)
    return value


def _scope_tags(tags: PlannedTags, params: RuleParameters) -> Mapping[str, str] | str:
    """The tags the scope test needs, literal; or why the scope is open until deployment (a str)."""
    key = params.scope_tag_key
    if key is None:
        return {}
    if tags is None:
        return {}
    if isinstance(tags, Unknown):
        return f"its Tags are {tags.how}, and they decide whether it is in this rule's scope (ScopeTagKey {key})"
    if isinstance(tags, Mapping) and not all(isinstance(v, str) for v in tags.values()):
        # a null or a number where a tag value should be: that value is not known, the others are
        tags = PartialTags({str(k): v if isinstance(v, str) else Unknown("not a string") for k, v in tags.items()})
    if isinstance(tags, PartialTags):
        if tags.unknown_keys is not None:
            return (
                f"one of its Tags has a key that is {tags.unknown_keys.how}, and it could be ScopeTagKey {key} "
                "(which decides whether it is in this rule's scope)"
            )
        value = tags.known.get(key)
        if isinstance(value, Unknown):
            if params.scope_tag_value is None:
                return {key: ""}  # the key is there: in scope, whatever its value
            return f"its tag {key} is {value.how}, and its value decides whether it is in this rule's scope"
        return {k: v for k, v in tags.known.items() if isinstance(v, str)}
    return dict(tags)


def _literal_name(name: PlannedName) -> str | None:
    return name if isinstance(name, str) else None


def _called(label: str, name: PlannedName) -> str:
    """A literal name is quoted; a logical ID or an address is not a name, and says what it is."""
    if isinstance(name, str):
        return f"'{name}' ({label})"
    return f"{label} ({'no BrokerName' if name is None else 'name decided at deployment'})"


def _unquote_label(annotation: str, label: str, name: PlannedName) -> str:
    """decide() quotes the broker's label as its name; before deployment that label may be a logical ID."""
    if isinstance(name, str):
        return annotation
    return annotation.replace(f"Broker '{label}'", f"Broker {_called(label, name)}", 1)


def _problem_text(annotation: str) -> str:
    """The problem part of decide()'s annotation ("Broker 'x' is not in a network of brokers: <problem>. Fix...")."""
    _, _, rest = annotation.partition(": ")
    return rest.split(". Fix:", 1)[0].split(". The mode", 1)[0].rstrip(".") or annotation


def _quote(text: str) -> str:
    return "'" + (text if len(text) <= 60 else text[:59] + "…") + "'"


def cloudformation_broker(
    logical_id: str, properties: Any, params: RuleParameters, network: Membership | Unknown | None = None
) -> Planned:
    """An AWS::AmazonMQ::Broker's Properties as the hook receives them (resolved: literal values)."""
    if not isinstance(properties, Mapping):
        raise ValueError(f"{logical_id}: Properties is not an object")
    return judge_planned(logical_id, *judged_properties(properties), params, network)


def judged_properties(properties: Mapping[str, Any]) -> tuple[PlannedName, PlannedValue, PlannedValue, PlannedTags]:
    """Name, mode, engine and tags of resolved Properties (a non-string is left to deployment)."""
    return (
        _literal(properties.get("BrokerName")),
        _literal(properties.get("DeploymentMode")),
        _literal(properties.get("EngineType")),
        _cloudformation_tags(properties.get("Tags")),
    )


def _literal(value: object) -> str | Unknown | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and len(value) == 1:
        return Unknown(str(next(iter(value)))[:60])  # {"Fn::Sub": ...}, {"Ref": ...}
    return Unknown("not a string")


def _cloudformation_tags(value: object) -> PlannedTags:
    if value is None:
        return {}
    if not isinstance(value, Sequence) or isinstance(value, str):
        return Unknown("not a list of Key/Value pairs")
    known: dict[str, str | Unknown] = {}
    unknown_keys: Unknown | None = None
    for tag in value:
        key = tag.get("Key") if isinstance(tag, Mapping) else None
        if not isinstance(key, str):
            unknown_keys = unknown_keys or Unknown("computed")
            continue
        tag_value = tag.get("Value")
        known[key] = tag_value if isinstance(tag_value, str) else Unknown("computed")
    if unknown_keys is None and all(isinstance(v, str) for v in known.values()):
        return {k: v for k, v in known.items() if isinstance(v, str)}
    return PartialTags(known, unknown_keys)
