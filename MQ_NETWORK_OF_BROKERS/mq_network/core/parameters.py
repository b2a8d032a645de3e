"""The rule's parameters: their one definition in code, and their validation.

AWS Config hands every parameter over as a string. Everything that reads parameters (the Lambda,
the demo, the tools) goes through `parse_parameters`, so a value is judged the same everywhere.
PARAMETER_SPECS is their one definition: `make generate` writes them into rdk_config.json,
parameters.json, template.yaml and the README, and tests/test_generated.py fails when those differ.
"""

import re
from collections.abc import Mapping
from typing import NamedTuple

from mq_network.core.patterns import DEFAULT_PATTERN, SYNTAX, NamePattern, PatternError

DEPLOYMENT_MODES = ("SINGLE_INSTANCE", "ACTIVE_STANDBY_MULTI_AZ", "CLUSTER_MULTI_AZ")
CHECK_MODES = ("name", "connectors", "both")  # what the CheckMode parameter accepts
# Not a CheckMode anyone can set (parse_parameters refuses it): what the pre-deployment decision
# (predeploy.py) asks decide() for when it judges scope, engine and deployment mode alone, since
# every CheckMode checks the deployment mode and neither the name nor the connectors are wanted.
DEPLOYMENT_MODE_ONLY = "deployment-mode-only"
EXTERNAL_PEER_MODES = ("count", "ignore")
# AWS Config's aggregator names. This and _ROLE_NAME are compiled when a value is given (re caches them),
# not at import: most runs give neither, and the Lambda's cold start imports this module.
_AGGREGATOR_NAME = r"[A-Za-z0-9_-]{1,256}"
_NETWORK_SIZE_RANGE = (2, 1000)

# Tag keys are 1..128 characters; role names are IAM's [\w+=,.@-]{1,64}, where \w is ASCII only.
_MAX_TAG_KEY = 128
_MAX_TAG_VALUE = 256
_ROLE_NAME = r"[A-Za-z0-9_+=,.@-]{1,64}"


class ParameterSpec(NamedTuple):
    """One rule parameter as users see it in the console, the template and the README.

    This is the parameter's one definition: `make generate` (scripts/generate.py) writes it into
    rdk_config.json, parameters.json, template.yaml (the parameter, its group, its Has<Name>
    condition when the default is empty, the rule's InputParameters, the organization rule's and
    the hook's JSON) and the README's table; tests/test_generated.py fails when they differ.
    """

    name: str
    type: str  # rdk's type (String, Regex, Integer, Boolean, CommaDelimitedList); the template's is String
    default: str
    description: str
    allowed_values: tuple[str, ...] = ()
    # template.yaml only: what CloudFormation refuses before deploying (empty: nothing). A
    # CommaDelimitedList with allowed values gets its pattern from them.
    template_pattern: str = ""
    template_constraint: str = ""
    max_length: int = 0
    in_hook: bool = True  # the hook's MQ_NETWORK_RULE_PARAMETERS carries it (it judges one planned broker)
    readme: str = ""  # the README table's cell: the description, then this (Markdown)


PARAMETER_SPECS: tuple[ParameterSpec, ...] = (
    ParameterSpec(
        "BrokerNamePattern",
        "Regex",
        DEFAULT_PATTERN,
        "RE2 regular expression (no back-references, no lookaround) that a network member's whole name "
        "must match (case-sensitive).",
        readme="[RE2 syntax](https://github.com/google/re2/wiki/Syntax) matches in time linear in the name "
        "whatever the pattern (no backtracking), so no pattern can stall the rule or the hook; in exchange it "
        "has **no back-references** (`\\1`), **no lookaround** (`(?=`, `(?!`, `(?<=`, `(?<!`), no atomic "
        "groups or possessive repeats (`(?>`, `a++`), and `\\d`, `\\w`, `\\s` are ASCII. A pattern RE2 cannot "
        "compile is a parameter error giving RE2's reason. At most 1,024 characters. The rule, the hook, "
        "`mq-network-check` and `mq-network-audit` all match with it (`google-re2`, loaded only for a "
        "pattern other than the default; the default is matched without it, with the same answer).",
    ),
    ParameterSpec(
        "AllowedDeploymentModes",
        "CommaDelimitedList",
        "SINGLE_INSTANCE,ACTIVE_STANDBY_MULTI_AZ",
        "Deployment modes a network member may run in, comma-separated.",
        DEPLOYMENT_MODES,
        readme="From `SINGLE_INSTANCE`, `ACTIVE_STANDBY_MULTI_AZ`, `CLUSTER_MULTI_AZ`. Checked in every "
        "`CheckMode`; the mode cannot be changed in place.",
    ),
    ParameterSpec(
        "CheckMode",
        "String",
        "name",
        "name: the source rule's naming convention. connectors: the network connectors in the "
        "brokers' ActiveMQ configurations, whatever the names. both: name and connectors.",
        CHECK_MODES,
    ),
    ParameterSpec(
        "MinimumNetworkSize",
        "Integer",
        "2",
        "With CheckMode connectors or both: the fewest brokers (external peers included) the "
        "broker's network must hold, 2 to 1000.",
        template_pattern="^[0-9]{1,4}$",
        template_constraint="a whole number from 2 to 1000",
    ),
    ParameterSpec(
        "ScopeTagKey",
        "String",
        "",
        "Only brokers carrying this tag are evaluated; the others are NOT_APPLICABLE. Empty: every broker.",
        template_pattern='^[^"\\\\]*$',
        template_constraint="tag keys cannot hold quotes or backslashes",
        max_length=_MAX_TAG_KEY,
        readme="Costs one `ListTags` per broker in `name` mode (none in `connectors` mode, where DescribeBroker "
        "carries the tags).",
    ),
    ParameterSpec(
        "ScopeTagValue",
        "String",
        "",
        "With ScopeTagKey: the tag must also have this exact value. Empty: any value.",
        template_pattern='^[^"\\\\]*$',
        template_constraint="tag values cannot hold quotes or backslashes",
        max_length=_MAX_TAG_VALUE,
    ),
    ParameterSpec(
        "AggregatorName",
        "String",
        "",
        "With CheckMode connectors or both: an AWS Config configuration aggregator the rule queries to "
        "verify peers in other regions and accounts (a deleted peer then no longer counts). Empty: "
        "such peers are not verified.",
        template_pattern="^[A-Za-z0-9_-]{0,256}$",
        template_constraint="an AWS Config aggregator name (letters, digits, _ and -)",
        in_hook=False,
        readme="The rule queries it with its own role, once per run for all such peers "
        "(`SelectAggregateResourceConfig`, as many IDs a query as keep the expression under 3,968 bytes of the "
        "4,096 allowed: 91 of Amazon MQ's usual 38-character IDs, 56 of the longest (64); plus one "
        "`DescribeConfigurationAggregators` when a peer is not recorded). A peer the aggregator records as "
        "current counts and is named with its account and region; one it records as deleted does not; one it "
        "does not record does not count either when the aggregator covers the whole organization in the "
        'peer\'s region, and otherwise stays "external, not verified" (see `ExternalPeers`). A query that '
        'fails: the brokers that need its peers are "could not be verified", with the call and error code. '
        "IAM: `config:SelectAggregateResourceConfig` and `config:DescribeConfigurationAggregators` on this "
        "account's and region's aggregators (`config-aggregator/*`: an aggregator's ARN carries a generated "
        "ID, not its name).",
    ),
    ParameterSpec(
        "ExternalPeers",
        "String",
        "count",
        "count: peers the rule cannot verify (other regions or accounts outside AggregatorName, hosts "
        "outside Amazon MQ) count toward the network, named as external. ignore: only verified peers count.",
        EXTERNAL_PEER_MODES,
        in_hook=False,
        readme="`count` follows what a host name alone suggests; `ignore` counts only brokers of the rule's "
        "region or recorded by `AggregatorName`, for an organization that fails closed on what it cannot see.",
    ),
    ParameterSpec(
        "ExecutionRoleName",
        "String",
        "",
        "IAM role name to assume in the evaluated account (organization or cross-account "
        "deployments). Empty: the function's own role.",
        template_pattern="^[\\w+=,.@-]{0,64}$",
        template_constraint="an IAM role name (not an ARN), at most 64 characters",
        in_hook=False,
        readme="Checked exactly as IAM allows (1-64 of the ASCII letters, digits and `+=,.@_-`; no spaces, no "
        "path, no ARN) and used exactly as written: `arn:<partition>:iam::<account>:role/<ExecutionRoleName>`.",
    ),
    ParameterSpec(
        "AssumeRoleMode",
        "Boolean",
        "false",
        "true: assume the role AWS Config names in the event (rdk's convention) or "
        "ExecutionRoleName. false: use the function's own role.",
        ("true", "false"),
        in_hook=False,
        readme="`ExecutionRoleName` with `AssumeRoleMode` `false` is refused as a contradiction.",
    ),
)
SPECS_BY_NAME = {spec.name: spec for spec in PARAMETER_SPECS}


class ParameterError(ValueError):
    """Rule parameters that cannot be used; the message names each parameter and its fix."""


class RuleParameters(NamedTuple):
    broker_name_pattern: NamePattern  # matched by RE2 (patterns.py), in linear time
    allowed_deployment_modes: tuple[str, ...]
    scope_tag_key: str | None = None
    scope_tag_value: str | None = None
    execution_role_name: str | None = None
    assume_role: bool = False
    check_mode: str = "name"
    minimum_network_size: int = 2
    aggregator_name: str | None = None
    count_unverified_peers: bool = True  # ExternalPeers: count (True) or ignore (False)

    @property
    def needs_tags(self) -> bool:
        """Tags cost one API call per broker, so they are read only when a scope needs them."""
        return self.scope_tag_key is not None

    @property
    def checks_name(self) -> bool:
        return self.check_mode in ("name", "both")

    @property
    def checks_connectors(self) -> bool:
        """Connectors cost DescribeBroker per broker and one read per configuration revision."""
        return self.check_mode in ("connectors", "both")


def parse_parameters(raw: Mapping[str, object] | None) -> RuleParameters:
    """Validate the rule parameters as AWS Config passes them (strings; empty means default).

    Every problem is reported at once, so one fix-and-redeploy cycle is enough.
    """
    raw = raw or {}
    problems: list[str] = []
    values = _raw_values(raw, problems)
    pattern = _parse_pattern(values["BrokerNamePattern"], problems)
    modes = _parse_modes(values["AllowedDeploymentModes"], problems)
    check_mode = _parse_check_mode(values["CheckMode"], problems)
    network_size = _parse_network_size(values["MinimumNetworkSize"], problems)
    aggregator = _parse_aggregator(values["AggregatorName"], problems)
    external_peers = _parse_external_peers(values["ExternalPeers"], problems)
    tag_key, tag_value = _parse_scope_tag(values["ScopeTagKey"], values["ScopeTagValue"], problems)
    role_name = _parse_role_name(values["ExecutionRoleName"], problems)
    assume_role = _parse_assume_role(
        values["AssumeRoleMode"],
        explicit="AssumeRoleMode" in raw,
        role_name=role_name,
        problems=problems,
    )
    if problems or pattern is None:
        raise ParameterError("Invalid rule parameters: " + "; ".join(problems))
    return RuleParameters(
        broker_name_pattern=pattern,
        allowed_deployment_modes=modes,
        scope_tag_key=tag_key,
        scope_tag_value=tag_value,
        execution_role_name=role_name,
        assume_role=assume_role,
        check_mode=check_mode,
        minimum_network_size=network_size,
        aggregator_name=aggregator,
        count_unverified_peers=external_peers != "ignore",
    )


def _raw_values(raw: Mapping[str, object], problems: list[str]) -> dict[str, str]:
    """Every parameter as a string, its default when missing or empty; an unknown name or a value
    that is not a string is a problem (AWS Config passes strings; a template can pass anything)."""
    values: dict[str, str] = {}
    unknown = sorted(set(raw) - set(SPECS_BY_NAME))
    if unknown:
        problems.append(
            f"unknown parameter(s) {', '.join(unknown)}: this rule takes only "
            f"{', '.join(SPECS_BY_NAME)} (names are case-sensitive)"
        )
    for spec in PARAMETER_SPECS:
        value = raw.get(spec.name)
        if value is None:
            values[spec.name] = spec.default
        elif isinstance(value, bool) or not isinstance(value, (str, int)):
            problems.append(f"{spec.name} must be a string, not {type(value).__name__}")
            values[spec.name] = spec.default
        elif spec.name == "ExecutionRoleName":
            values[spec.name] = str(value)  # validated and used exactly as written, never trimmed
        else:
            values[spec.name] = str(value).strip() or spec.default
    return values


def _parse_check_mode(text: str, problems: list[str]) -> str:
    """CheckMode, case-insensitive: what the rule reads (names, connectors, or both)."""
    check_mode = text.lower()
    if check_mode not in CHECK_MODES:
        problems.append(f"CheckMode '{text}' must be one of {', '.join(CHECK_MODES)}")
    return check_mode


def _parse_aggregator(text: str, problems: list[str]) -> str | None:
    """AggregatorName: None (empty) or a name AWS Config could have given an aggregator."""
    aggregator = text or None
    if aggregator is not None and not re.fullmatch(_AGGREGATOR_NAME, aggregator, re.ASCII):
        problems.append(
            f"AggregatorName {aggregator[:80]!r} is not an AWS Config aggregator name: 1-256 of the "
            "letters, digits, _ and -"
        )
    return aggregator


def _parse_external_peers(text: str, problems: list[str]) -> str:
    """ExternalPeers, case-insensitive: whether a peer that could not be verified counts."""
    external_peers = text.lower()
    if external_peers not in EXTERNAL_PEER_MODES:
        problems.append(f"ExternalPeers '{text[:40]}' must be one of {', '.join(EXTERNAL_PEER_MODES)}")
    return external_peers


def _parse_scope_tag(key: str, value: str, problems: list[str]) -> tuple[str | None, str | None]:
    """ScopeTagKey and ScopeTagValue: a value needs a key, and both fit AWS's tag limits."""
    tag_key = key or None
    tag_value = value or None
    if tag_value is not None and tag_key is None:
        problems.append(
            f"ScopeTagValue is '{tag_value}' but ScopeTagKey is empty: set ScopeTagKey to the "
            "tag's key, or clear ScopeTagValue"
        )
    if tag_key is not None and len(tag_key) > _MAX_TAG_KEY:
        problems.append(f"ScopeTagKey is {len(tag_key)} characters long; tag keys have at most 128")
    if tag_value is not None and len(tag_value) > _MAX_TAG_VALUE:
        problems.append(f"ScopeTagValue is {len(tag_value)} characters long; tag values have at most 256")
    return tag_key, tag_value


def _parse_role_name(text: str, problems: list[str]) -> str | None:
    """ExecutionRoleName: None (empty) or an IAM role name, never an ARN or a path."""
    role_name = text or None
    if role_name is not None and not re.fullmatch(_ROLE_NAME, role_name, re.ASCII):
        problems.append(
            f"ExecutionRoleName {role_name!r} is not an IAM role name: give the name only "
            "(1-64 of the ASCII letters, digits and +=,.@_-, no spaces), not an ARN or a path"
        )
    return role_name


def _parse_pattern(text: str, problems: list[str]) -> NamePattern | None:
    """The pattern as RE2 reads it; a pattern RE2 refuses is a parameter error saying why.

    The default is matched without RE2 (patterns.py), so a run on the default never loads it; a
    test shows RE2 compiles it and agrees with that matcher.
    """
    pattern = NamePattern(text)
    if text == DEFAULT_PATTERN:
        return pattern
    try:
        pattern.compile()
    except PatternError as err:
        problems.append(
            f"BrokerNamePattern '{text[:80]}' is not a valid RE2 regular expression ({err}); it takes {SYNTAX}. "
            f"Give a pattern for the whole broker name, such as '{DEFAULT_PATTERN}' or '[a-z0-9-]+-Broker-[0-9]+'"
        )
        return None
    return pattern


def _parse_modes(text: str, problems: list[str]) -> tuple[str, ...]:
    """AllowedDeploymentModes: a comma-separated list of Amazon MQ's modes, case-insensitive, each once."""
    modes = [mode.strip().upper() for mode in text.split(",") if mode.strip()]
    bad = [mode for mode in modes if mode not in DEPLOYMENT_MODES]
    if bad or not modes:
        problems.append(
            f"AllowedDeploymentModes '{text}' has unknown mode(s) {', '.join(bad) or '(none given)'}: "
            f"use a comma-separated list of {', '.join(DEPLOYMENT_MODES)}"
        )
    return tuple(dict.fromkeys(mode for mode in modes if mode in DEPLOYMENT_MODES))


def _parse_network_size(text: str, problems: list[str]) -> int:
    """MinimumNetworkSize: a whole number in range (a network has at least two brokers)."""
    low, high = _NETWORK_SIZE_RANGE
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        problems.append(
            f"MinimumNetworkSize '{text}' must be a whole number from {low} to {high} "
            "(a network has at least two brokers)"
        )
        return low
    return int(text)


def _parse_assume_role(text: str, *, explicit: bool, role_name: str | None, problems: list[str]) -> bool:
    """AssumeRoleMode: true or false; a named ExecutionRoleName is assumed, so it cannot be false."""
    lowered = text.lower()
    if lowered not in ("true", "false"):
        problems.append(f"AssumeRoleMode '{text}' must be true or false")
        return False
    if role_name is not None and explicit and lowered == "false":
        problems.append(
            f"ExecutionRoleName is '{role_name}' but AssumeRoleMode is false: the role can only be "
            "used by assuming it; clear AssumeRoleMode or ExecutionRoleName"
        )
    return lowered == "true" or role_name is not None
