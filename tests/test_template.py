"""template.yaml and member-role.yaml against the code: handler, IAM actions, parameters, runtime."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import cfn_yaml

import faults
from helpers import RefusingConfig, rendered_json, run
from mq_network.core.parameters import PARAMETER_SPECS
from support import emulator
from support.emulator import BrokerSeed

ROOT = Path(__file__).resolve().parent.parent
RDK_CONFIG = json.loads((ROOT / "rdk_config.json").read_text())
TEMPLATE = cfn_yaml.load(str(ROOT / "template.yaml"))
MEMBER_ROLE = cfn_yaml.load(str(ROOT / "member-role.yaml"))
FUNCTION = TEMPLATE["Resources"]["RuleFunction"]["Properties"]


def statements(policies: list[Any]) -> Iterator[dict[str, Any]]:
    """Every statement, with both branches of Fn::If (the template's widest grant)."""
    for policy in policies:
        for statement in policy["PolicyDocument"]["Statement"]:
            if "Fn::If" in statement:
                yield from (branch for branch in statement["Fn::If"][1:] if "Effect" in branch)
            else:
                yield statement


def actions(policies: list[Any]) -> set[str]:
    found: set[str] = set()
    for statement in statements(policies):
        assert statement["Effect"] == "Allow"
        listed = statement["Action"]
        found.update([listed] if isinstance(listed, str) else listed)
    return found


def role_policies(template: Any, role: str) -> dict[str, list[Any]]:
    return {p["PolicyName"]: [p] for p in template["Resources"][role]["Properties"]["Policies"]}


@pytest.fixture(scope="module")
def recorded_actions() -> dict[str, set[str]]:
    """IAM actions the code really calls, recorded on the emulator over every code path.

    "own": calls made with the function's own role; "assuming": with ExecutionRoleName set, the
    function's own calls (STS) and the member role's calls.
    """
    from moto import mock_aws

    from mq_network.aws import aws_calls

    emulator.use_fake_credentials()
    session = aws_calls.rule_session()
    recorded: dict[str, set[str]] = {}
    for mode, extra in (("own", {}), ("assuming", {"ExecutionRoleName": "mq-audit"})):
        with mock_aws(), emulator.PagedListBrokers(), emulator.PriorResults(["b-gone"]):
            ids = emulator.seed_brokers(
                session.client("mq", region_name=emulator.REGION),
                [BrokerSeed("a-Broker-1", tags={"env": "p"})],
            )
            broker_id = ids["a-Broker-1"]
            # Two peers beyond the region: one the aggregator records, one it does not (its definition is read).
            far = emulator.static_uri(
                emulator.endpoint("b-00ff00ff", region="us-west-2"), emulator.endpoint("b-00ee00ee", region="us-west-2")
            )
            emulator.apply_configuration(
                session.client("mq", region_name=emulator.REGION), broker_id, emulator.activemq_xml([("far", far)])
            )
            session.client("config", region_name=emulator.REGION).put_configuration_aggregator(
                ConfigurationAggregatorName="org",
                AccountAggregationSources=[{"AccountIds": [emulator.ACCOUNT_ID], "AllAwsRegions": True}],
            )
            item = emulator.configuration_item(broker_id, "a-Broker-1")
            with (
                emulator.ConfigInventory(aggregate={"b-00ff00ff": {"configurationItemStatus": "OK"}}),
                faults.config_history(session, item),
                emulator.ApiCalls(session) as calls,
                RefusingConfig(session, times=1),
            ):
                for parameters in (
                    {**extra},
                    {**extra, "ScopeTagKey": "env"},
                    {**extra, "CheckMode": "connectors"},
                    {**extra, "CheckMode": "both", "ScopeTagKey": "env"},
                    {**extra, "CheckMode": "connectors", "AggregatorName": "org"},
                ):
                    assert isinstance(run(emulator.scheduled_event(parameters)), list)
                    assert isinstance(run(emulator.oversized_event(broker_id, parameters)), list)
                    assert isinstance(run(emulator.change_event(item, parameters)), list)
            recorded[mode] = calls.iam_actions
    return recorded


def test_handler_and_code_folder_exist() -> None:
    code = ROOT / FUNCTION["CodeUri"]
    module, function = FUNCTION["Handler"].rsplit(".", 1)
    source = (code / f"{module}.py").read_text()
    assert re.search(rf"^def {function}\(event, context\)|^def {function}\(", source, re.M)
    assert (code / "requirements.txt").is_file()


def test_function_role_allows_exactly_what_the_code_calls(recorded_actions: dict[str, set[str]]) -> None:
    policies = role_policies(TEMPLATE, "RuleFunctionRole")
    assert actions(policies["rule-calls"]) == recorded_actions["own"] | {"sts:AssumeRole"}
    assert recorded_actions["assuming"] == recorded_actions["own"] | {"sts:AssumeRole"}


AGGREGATOR_ACTIONS = {"config:SelectAggregateResourceConfig", "config:DescribeConfigurationAggregators"}


def test_member_role_allows_exactly_what_the_code_calls_there(recorded_actions: dict[str, set[str]]) -> None:
    """The aggregator is read with the function's own role (it lives in the rule's account)."""
    member = actions(role_policies(MEMBER_ROLE, "MemberRole")["rule-calls"])
    assert recorded_actions["own"] >= AGGREGATOR_ACTIONS
    assert member == recorded_actions["own"] - AGGREGATOR_ACTIONS


def test_code_calls_are_found_by_reading_the_code_too(recorded_actions: dict[str, set[str]]) -> None:
    """A static cross-check of the recording: every boto3 call written in the shipped code, called
    there (`client.list_brokers(...)`) or handed over as a bound method (`pages(client.list_brokers, ...)`)."""
    import botocore.session
    import rdklib
    from botocore import xform_name

    shipped = [*(ROOT / "MQ_NETWORK_OF_BROKERS").rglob("*.py"), *Path(rdklib.__file__).parent.rglob("*.py")]
    source = "\n".join(p.read_text() for p in shipped if not p.name.endswith("_test.py"))
    core = botocore.session.get_session()
    written = set()
    for service, prefix in (("mq", "mq"), ("config", "config"), ("sts", "sts")):
        for operation in core.get_service_model(service).operation_names:
            name = xform_name(operation)
            if re.search(rf"\.{name}\b|get_paginator\(\s*[\"']{name}[\"']", source):
                written.add(f"{prefix}:{operation}")
    assert written == recorded_actions["own"] | {"sts:AssumeRole"}


def test_lambda_service_permissions_follow_the_template_properties() -> None:
    service = actions(role_policies(TEMPLATE, "RuleFunctionRole")["lambda-service"])
    expected = set()
    if FUNCTION.get("LoggingConfig", {}).get("LogGroup"):
        expected |= {"logs:CreateLogStream", "logs:PutLogEvents"}
    if FUNCTION.get("DeadLetterQueue", {}).get("Type") == "SQS":
        expected.add("sqs:SendMessage")
    assert service == expected


@pytest.mark.parametrize("template", [TEMPLATE, MEMBER_ROLE], ids=["template", "member-role"])
def test_no_wildcard_action_anywhere(template: Any) -> None:
    text = json.dumps(template)
    assert not re.search(r'"Action": \["?\*|"Action": "[a-z]*:?\*"', text)
    for resource in template["Resources"].values():
        for policy in resource.get("Properties", {}).get("Policies", []):
            assert all("*" not in action for action in actions([policy]))


def test_member_role_trusts_only_the_function_role() -> None:
    trust = MEMBER_ROLE["Resources"]["MemberRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust == [
        {"Effect": "Allow", "Principal": {"AWS": {"Ref": "RuleFunctionRoleArn"}}, "Action": "sts:AssumeRole"}
    ]


def test_assume_role_is_granted_only_on_the_named_role_and_only_when_set() -> None:
    [assume] = [
        s
        for s in TEMPLATE["Resources"]["RuleFunctionRole"]["Properties"]["Policies"][1]["PolicyDocument"]["Statement"]
        if "AssumeMemberRole" in json.dumps(s)
    ]
    condition, granted, otherwise = assume["Fn::If"]
    assert condition == "HasExecutionRoleName"
    assert granted["Resource"] == {"Fn::Sub": "arn:${AWS::Partition}:iam::*:role/${ExecutionRoleName}"}
    assert otherwise == {"Ref": "AWS::NoValue"}


def test_config_may_invoke_only_from_this_account() -> None:
    permission = TEMPLATE["Resources"]["ConfigInvokePermission"]["Properties"]
    assert permission["Principal"] == "config.amazonaws.com"
    assert permission["SourceAccount"] == {"Ref": "AWS::AccountId"}


def test_template_parameters_equal_rdk_config() -> None:
    parameters = TEMPLATE["Parameters"]
    for spec in RDK_CONFIG["Parameters"]:
        assert spec["Name"] in parameters, spec["Name"]
        assert parameters[spec["Name"]]["Default"] == spec["Default"], spec["Name"]
        if spec["Type"] == "Boolean":
            assert parameters[spec["Name"]]["AllowedValues"] == spec["AllowedValues"]
    assert parameters["MaximumExecutionFrequency"]["Default"] == RDK_CONFIG["DefaultMaximumExecutionFrequency"]
    account_inputs = TEMPLATE["Resources"]["ConfigRule"]["Properties"]["InputParameters"]
    assert set(account_inputs) == {spec["Name"] for spec in RDK_CONFIG["Parameters"]}
    defaults = {p["Name"]: p["Default"] for p in RDK_CONFIG["Parameters"]}
    assert organization_inputs(defaults) == {k: v for k, v in defaults.items() if v}


def test_triggers_and_resource_type_equal_rdk_config() -> None:
    rule = TEMPLATE["Resources"]["ConfigRule"]["Properties"]
    assert [d["MessageType"] for d in rule["Source"]["SourceDetails"]] == RDK_CONFIG["TriggerTypes"]
    assert rule["Scope"]["ComplianceResourceTypes"] == RDK_CONFIG["ResourceTypes"]
    metadata = TEMPLATE["Resources"]["OrganizationRule"]["Properties"]["OrganizationCustomRuleMetadata"]
    assert metadata["OrganizationConfigRuleTriggerTypes"] == RDK_CONFIG["TriggerTypes"]
    assert metadata["ResourceTypesScope"] == RDK_CONFIG["ResourceTypes"]


def test_runtime_is_the_python_the_tests_run_on() -> None:
    tested = f"python{sys.version_info.major}.{sys.version_info.minor}"
    assert FUNCTION["Runtime"] == RDK_CONFIG["Runtime"] == tested
    assert FUNCTION["Architectures"] == ["arm64"]


def organization_inputs(values: dict[str, str], expression: Any = None) -> dict[str, str]:
    """The organization rule's InputParameters JSON (or another such `expression`) as CloudFormation
    would render it for `values`."""
    conditions = {  # Has<Name>: the parameter was given (make generate writes one for each optional parameter)
        name
        for name, definition in TEMPLATE["Conditions"].items()
        if definition == {"Fn::Not": [{"Fn::Equals": [{"Ref": name[3:]}, ""]}]}
    }
    assert {"HasScopeTagKey", "HasScopeTagValue", "HasExecutionRoleName", "HasAggregatorName"} <= conditions
    metadata = TEMPLATE["Resources"]["OrganizationRule"]["Properties"]["OrganizationCustomRuleMetadata"]
    return rendered_json(TEMPLATE, expression if expression is not None else metadata["InputParameters"], values)


def test_quotes_and_backslashes_in_the_pattern_stay_json() -> None:
    """The pattern is the one rule parameter the template does not constrain: its JSON escapes both."""
    values = {p["Name"]: p["Default"] for p in RDK_CONFIG["Parameters"]} | {"BrokerNamePattern": r'say"-\d+'}
    assert organization_inputs(values)["BrokerNamePattern"] == r'say"-\d+'
    hook = TEMPLATE["Resources"]["HookFunction"]["Properties"]["Environment"]["Variables"]
    assert organization_inputs(values, hook["MQ_NETWORK_RULE_PARAMETERS"])["BrokerNamePattern"] == r'say"-\d+'


def test_organization_inputs_are_json_with_empty_ones_omitted() -> None:
    values = {p["Name"]: p["Default"] for p in RDK_CONFIG["Parameters"]}
    values |= {"BrokerNamePattern": r"orders-Broker-\d+", "ScopeTagKey": "env", "ExecutionRoleName": "mq-audit"}
    rendered = organization_inputs(values)
    assert rendered["BrokerNamePattern"] == r"orders-Broker-\d+"
    assert rendered["ScopeTagKey"] == "env"
    assert "ScopeTagValue" not in rendered
    assert rendered == {k: v for k, v in values.items() if v}


def test_lambda_package_builds_precompiled_and_imports(tmp_path: Path) -> None:
    """The artifact `sam build` makes: code, requirements for arm64, bytecode, no tests."""
    artifacts = tmp_path / "lambda"
    subprocess.run(["make", "-s", "build-RuleFunction", f"ARTIFACTS_DIR={artifacts}"], cwd=ROOT, check=True)
    assert not list(artifacts.rglob("*_test.py"))
    assert (artifacts / "mq_network" / "__pycache__").is_dir()
    assert (artifacts / "rdklib").is_dir()
    assert (artifacts / "mq_network" / "core" / "rule_metadata.json").is_file()  # the rule's metadata, read by the hook
    size = sum(f.stat().st_size for f in artifacts.rglob("*") if f.is_file())
    assert size < 250 * 1024 * 1024  # Lambda's unzipped limit
    probe = "import sys; sys.path[:0] = [sys.argv[1]]; import MQ_NETWORK_OF_BROKERS as m; print(m.__file__)"
    out = subprocess.run(
        [sys.executable, "-S", "-c", probe, str(artifacts)], check=True, capture_output=True, text=True
    ).stdout
    assert out.strip() == str(artifacts / "MQ_NETWORK_OF_BROKERS.py")
    probe = (
        "import sys; sys.path[:0] = [sys.argv[1]]; from mq_network.core import rule_metadata as m; "
        "print(m.rule_metadata().rule_name)"
    )
    out = subprocess.run(
        [sys.executable, "-S", "-c", probe, str(artifacts)], check=True, capture_output=True, text=True
    ).stdout
    assert out.strip() == "MQ_NETWORK_OF_BROKERS"


def test_parameter_specs_in_code_equal_rdk_config() -> None:
    in_code = [
        {
            "Name": s.name,
            "Type": s.type,
            "Default": s.default,
            "Description": s.description,
            **({"AllowedValues": list(s.allowed_values)} if s.allowed_values else {}),
        }
        for s in PARAMETER_SPECS
    ]
    assert in_code == RDK_CONFIG["Parameters"]


def test_every_failure_stage_has_an_alarm_that_notifies_the_optional_topic() -> None:
    """A failed run raises (Errors), may be throttled (Throttles), ends in the dead-letter queue, or
    returns having judged nothing (invalid parameters: the rule's own FailedRuns metric)."""
    resources = TEMPLATE["Resources"]
    alarms = {
        (r["Properties"]["Namespace"], r["Properties"]["MetricName"]): r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::CloudWatch::Alarm"
    }
    assert set(alarms) == {
        ("AWS/Lambda", "Errors"),
        ("AWS/Lambda", "Throttles"),
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
        ("MQNetworkOfBrokers", "FailedRuns"),
    }
    targets = {
        "AWS/Lambda": {"Ref": "RuleFunction"},
        "AWS/SQS": {"Fn::GetAtt": ["FailedInvocations", "QueueName"]},
        "MQNetworkOfBrokers": "MQ_NETWORK_OF_BROKERS",  # the RuleName dimension record.py emits
    }
    for (namespace, _), alarm in alarms.items():
        [dimension] = alarm["Dimensions"]
        assert dimension["Value"] == targets[namespace]
        assert alarm["Threshold"] == 1
        assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert alarm["AlarmActions"] == {
            "Fn::If": ["HasAlarmTopic", [{"Ref": "AlarmTopicArn"}], {"Ref": "AWS::NoValue"}]
        }
    assert TEMPLATE["Parameters"]["AlarmTopicArn"]["Default"] == ""


def test_the_run_record_is_logged_as_structured_json_at_info() -> None:
    logging_config = TEMPLATE["Resources"]["RuleFunction"]["Properties"]["LoggingConfig"]
    assert logging_config["LogFormat"] == "JSON"
    assert logging_config["ApplicationLogLevel"] == "INFO"
