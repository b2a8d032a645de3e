"""Rule parameters: defaults, accepted spellings, and errors that name the parameter and the fix."""

from __future__ import annotations

import pytest

from mq_network.core.parameters import ParameterError, parse_parameters


def test_defaults_follow_the_source_rule() -> None:
    params = parse_parameters({})
    assert params.broker_name_pattern.pattern == ".+-Broker-[0-9]+"
    assert params.allowed_deployment_modes == ("SINGLE_INSTANCE", "ACTIVE_STANDBY_MULTI_AZ")
    assert params.scope_tag_key is None
    assert params.scope_tag_value is None
    assert params.execution_role_name is None
    assert params.assume_role is False
    assert params.needs_tags is False
    assert parse_parameters(None) == params


def test_empty_values_mean_default() -> None:
    blank = {"BrokerNamePattern": "", "AllowedDeploymentModes": " ", "ScopeTagKey": "", "AssumeRoleMode": ""}
    assert parse_parameters(blank) == parse_parameters({})


def test_modes_are_trimmed_upper_cased_and_deduplicated() -> None:
    params = parse_parameters({"AllowedDeploymentModes": " single_instance , SINGLE_INSTANCE,cluster_multi_az"})
    assert params.allowed_deployment_modes == ("SINGLE_INSTANCE", "CLUSTER_MULTI_AZ")


def test_scope_and_roles() -> None:
    params = parse_parameters({"ScopeTagKey": "env", "ScopeTagValue": "prod", "ExecutionRoleName": "mq-audit"})
    assert (params.scope_tag_key, params.scope_tag_value) == ("env", "prod")
    assert params.needs_tags
    assert params.execution_role_name == "mq-audit"
    assert params.assume_role is True  # a role name is only usable by assuming it
    assert parse_parameters({"AssumeRoleMode": "TRUE"}).assume_role is True
    assert parse_parameters({"AssumeRoleMode": "False"}).assume_role is False


@pytest.mark.parametrize(
    ("raw", "fragments"),
    [
        (
            {"BrokerNamePattern": "(unclosed"},
            ["BrokerNamePattern '(unclosed'", "not a valid RE2 regular expression"],
        ),
        (
            {"AllowedDeploymentModes": "SINGLE_INSTANCE,MESH"},
            ["AllowedDeploymentModes", "MESH", "CLUSTER_MULTI_AZ"],
        ),
        ({"AllowedDeploymentModes": ",,"}, ["AllowedDeploymentModes", "(none given)"]),
        ({"ScopeTagValue": "prod"}, ["ScopeTagValue is 'prod' but ScopeTagKey is empty"]),
        ({"ScopeTagKey": "k" * 129}, ["ScopeTagKey is 129 characters"]),
        ({"ScopeTagKey": "k", "ScopeTagValue": "v" * 257}, ["ScopeTagValue is 257 characters"]),
        (
            {"ExecutionRoleName": "arn:aws:iam::123456789012:role/x"},
            ["ExecutionRoleName 'arn:aws:iam::123456789012:role/x' is not an IAM role name", "not an ARN"],
        ),
        ({"AssumeRoleMode": "yes"}, ["AssumeRoleMode 'yes' must be true or false"]),
        (
            {"ExecutionRoleName": "mq-audit", "AssumeRoleMode": "false"},
            ["ExecutionRoleName is 'mq-audit' but AssumeRoleMode is false"],
        ),
        ({"BrokerNamPattern": "x"}, ["unknown parameter(s) BrokerNamPattern", "BrokerNamePattern"]),
        ({"BrokerNamePattern": ["a"]}, ["BrokerNamePattern must be a string, not list"]),
        ({"AssumeRoleMode": True}, ["AssumeRoleMode must be a string, not bool"]),
    ],
)
def test_invalid_parameters_name_the_parameter_and_what_is_allowed(
    raw: dict[str, object], fragments: list[str]
) -> None:
    with pytest.raises(ParameterError) as caught:
        parse_parameters(raw)
    message = str(caught.value)
    assert message.startswith("Invalid rule parameters: ")
    for fragment in fragments:
        assert fragment in message


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ParameterError) as caught:
        parse_parameters({"BrokerNamePattern": "[", "AllowedDeploymentModes": "NOPE", "ScopeTagValue": "x"})
    message = str(caught.value)
    assert "BrokerNamePattern" in message
    assert "AllowedDeploymentModes" in message
    assert "ScopeTagValue" in message


def test_check_mode_and_network_size() -> None:
    params = parse_parameters({"CheckMode": "Both", "MinimumNetworkSize": "5"})
    assert (params.check_mode, params.minimum_network_size) == ("both", 5)
    assert params.checks_name and params.checks_connectors
    assert parse_parameters({}).check_mode == "name"
    assert not parse_parameters({}).checks_connectors
    assert parse_parameters({"MinimumNetworkSize": 7}).minimum_network_size == 7


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ({"CheckMode": "graph"}, "CheckMode 'graph' must be one of name, connectors, both"),
        ({"MinimumNetworkSize": "two"}, "MinimumNetworkSize 'two' must be a whole number from 2 to 1000"),
        ({"MinimumNetworkSize": "1"}, "MinimumNetworkSize '1'"),
        ({"MinimumNetworkSize": "1001"}, "MinimumNetworkSize '1001'"),
        ({"MinimumNetworkSize": "-3"}, "MinimumNetworkSize '-3'"),
        ({"MinimumNetworkSize": "²"}, "MinimumNetworkSize '²'"),
    ],
)
def test_bad_check_mode_or_size(raw: dict[str, object], fragment: str) -> None:
    with pytest.raises(ParameterError, match=None) as caught:
        parse_parameters(raw)
    assert fragment in str(caught.value)
