"""Issue 19 (CloudFormation and the hook): prevention that reads what people really write.

Requests follow the hooks user guide's resource-operation input (requestData.targetModel with
resourceProperties and previousResourceProperties, actionInvocationPoint); templates are this
project's own, in the shapes of the public ones tests/data/templates/README.md names.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from helpers import hook_request as request
from mq_network import hook
from mq_network.core.parameters import parse_parameters
from mq_network.core.predeploy import judge_planned
from mq_network.core.vocabulary import Unknown
from mq_network_tools.prevent import cli as check

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "templates"
MEMBER = {"BrokerName": "orders-Broker-1", "DeploymentMode": "SINGLE_INSTANCE", "EngineType": "ACTIVEMQ"}
DEFAULTS = parse_parameters({})


@pytest.fixture(autouse=True)
def parameters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MQ_NETWORK_RULE_PARAMETERS", raising=False)


def run_check(*argv: str) -> tuple[int, list[dict[str, Any]]]:
    out, err = io.StringIO(), io.StringIO()
    status = check.main([*argv, "--output", "json"], out, err)
    return status, json.loads(out.getvalue() or "[]")


def judged(path: Path, *argv: str) -> dict[str, tuple[str, str]]:
    _, found = run_check(str(path), *argv)
    return {f["resource"]: (f["status"], f["message"]) for f in found}


def template(tmp_path: Path, resources: dict[str, Any], **top: Any) -> Path:
    path = tmp_path / "template.json"
    path.write_text(json.dumps({**top, "Resources": resources}))
    return path


def broker(**properties: Any) -> dict[str, Any]:
    return {"Type": "AWS::AmazonMQ::Broker", "Properties": {**MEMBER, **properties}}


# --- finding 1: Amazon MQ's enums in any case ---------------------------------------------------------


def test_the_registry_schema_accepts_the_enums_in_any_case() -> None:
    """cfn-lint's copy of the registry schema is the judge: these lower-case values are valid."""
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    from mq_network.core.name_shape import NAME_CHARACTERS, NAME_LIMIT

    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", "AWS::AmazonMQ::Broker").schema
    properties = schema["properties"]
    assert "active_standby_multi_az" in properties["DeploymentMode"]["enumCaseInsensitive"]
    assert "activemq" in properties["EngineType"]["enumCaseInsensitive"]
    # and the broker-name characters name_shape assumes are the schema's own
    assert properties["BrokerName"]["pattern"] == "^[0-9A-Za-z_-]{1,50}$"
    assert {c for c in map(chr, range(128)) if re.fullmatch("[0-9A-Za-z_-]", c)} == NAME_CHARACTERS
    assert NAME_LIMIT == 50


def test_lower_case_enums_pass_the_hook() -> None:
    properties = {
        "BrokerName": "orders-Broker-1",
        "DeploymentMode": "active_standby_multi_az",
        "EngineType": "activemq",
    }
    answer = hook.lambda_handler(request(properties))
    assert answer["hookStatus"] == "SUCCESS", answer["message"]
    rabbit = {"BrokerName": "events", "DeploymentMode": "cluster_multi_az", "EngineType": "rabbitmq"}
    assert "RabbitMQ" in hook.lambda_handler(request(rabbit))["message"]


def test_lower_case_enums_pass_the_checker(tmp_path: Path) -> None:
    path = template(tmp_path, {"Member": broker(DeploymentMode="active_standby_multi_az", EngineType="activemq")})
    status, found = run_check(str(path))
    assert status == 0 and found[0]["status"] == "COMPLIANT", found


# --- finding 3: a literal failure decides before what is unknown ----------------------------------------


def test_a_literal_name_failure_decides_whatever_the_mode() -> None:
    verdict = judge_planned("Lonely", "lonely", Unknown("Ref Mode"), "ACTIVEMQ", {}, DEFAULTS)
    assert verdict.status == "NON_COMPLIANT"
    assert "name does not match" in verdict.message and "Ref Mode" in verdict.message


def test_a_literal_mode_failure_decides_whatever_the_name() -> None:
    verdict = judge_planned("Cluster", Unknown("Ref Name"), "CLUSTER_MULTI_AZ", "ACTIVEMQ", {}, DEFAULTS)
    assert verdict.status == "NON_COMPLIANT" and "mode CLUSTER_MULTI_AZ is not" in verdict.message


def test_a_computed_tag_does_not_hide_a_literal_scope_tag() -> None:
    from mq_network.core.predeploy import PartialTags

    scoped = parse_parameters({"ScopeTagKey": "env", "ScopeTagValue": "prod"})
    tags = PartialTags({"env": "prod", "owner": Unknown("computed")})
    verdict = judge_planned("Lonely", "lonely", "SINGLE_INSTANCE", "ACTIVEMQ", tags, scoped)
    assert verdict.status == "NON_COMPLIANT"
    dev = PartialTags({"env": "dev", "owner": Unknown("computed")})
    assert judge_planned("Dev", "lonely", "SINGLE_INSTANCE", "ACTIVEMQ", dev, scoped).status == "NOT_APPLICABLE"


def test_what_could_make_it_not_applicable_keeps_a_failure_unknown() -> None:
    from mq_network.core.predeploy import PartialTags

    scoped = parse_parameters({"ScopeTagKey": "env", "ScopeTagValue": "prod"})
    computed_scope = PartialTags({"env": Unknown("Ref Env")})
    verdict = judge_planned("Lonely", "lonely", "SINGLE_INSTANCE", "ACTIVEMQ", computed_scope, scoped)
    assert verdict.status == "UNKNOWN" and "If it is in this rule's scope" in verdict.message
    engine = judge_planned("Lonely", "lonely", "SINGLE_INSTANCE", Unknown("Ref Engine"), {}, DEFAULTS)
    assert engine.status == "UNKNOWN" and "RabbitMQ" in engine.message
    computed_key = PartialTags({"env": "prod"}, unknown_keys=Unknown("Fn::If"))
    assert judge_planned("L", "lonely", "SINGLE_INSTANCE", "ACTIVEMQ", computed_key, scoped).status == "UNKNOWN"


def test_choices_decide_when_every_value_agrees() -> None:
    from mq_network.core.predeploy import Choice

    cluster = Choice(("CLUSTER_MULTI_AZ",), "Ref Mode")
    assert judge_planned("B", "orders-Broker-1", cluster, "ACTIVEMQ", {}, DEFAULTS).status == "NON_COMPLIANT"
    mixed = Choice(("SINGLE_INSTANCE", "CLUSTER_MULTI_AZ"), "Ref Mode")
    assert judge_planned("B", "orders-Broker-1", mixed, "ACTIVEMQ", {}, DEFAULTS).status == "UNKNOWN"
    both_fine = Choice(("single_instance", "ACTIVE_STANDBY_MULTI_AZ"), "Fn::If")
    assert judge_planned("B", "orders-Broker-1", both_fine, "ACTIVEMQ", {}, DEFAULTS).status == "COMPLIANT"


# --- finding 2: names whose literal tail can never match ---------------------------------------------------

STACK = ("hole", "Ref AWS::StackName")  # made a name_shape.Hole in the tests (a module of this issue)


def can_match(parts: tuple[Any, ...], pattern: re.Pattern[str]) -> bool:
    from mq_network.core.name_shape import Hole, can_match

    return can_match(tuple(Hole(p[1]) if p == STACK else p for p in parts), pattern)


@pytest.mark.parametrize(
    ("parts", "pattern", "possible"),
    [
        ((STACK, "-Broker"), ".+-Broker-[0-9]+", False),
        ((STACK, "-Broker1"), ".+-Broker-[0-9]+", False),
        ((STACK, "-broker-1"), ".+-Broker-[0-9]+", False),
        (("-Broker-1",), ".+-Broker-[0-9]+", False),
        ((STACK, "-Broker-1"), ".+-Broker-[0-9]+", True),
        ((STACK, "-Broker-", STACK), ".+-Broker-[0-9]+", True),
        (("orders-", STACK), ".+-Broker-[0-9]+", True),
        ((STACK, "-BROKER-1"), "(?i).+-broker-[0-9]+", True),
        ((STACK, "-Broker-1"), "[a-z]{60}-Broker-1", False),  # no valid name is that long
        ((STACK, "-Broker-1"), "[a-z]{40}-Broker-1", True),
        ((STACK, "-Broker-1"), r"[a-z.]+-Broker-\d", True),
        (("prod-", STACK), "dev-.*", False),
        ((STACK, "x"), "(?=a)a.*x", True),  # assertions are read as accepting more: never a false "no"
        ((STACK, "-Broker-1"), r"(\w+)-Broker-\1", True),  # a back-reference: "maybe"
        ((STACK, "-Broker-1"), r"[^-]+-Broker-[0-9]+", True),
        (("a.b-", STACK), r"[^.]+-Broker-[0-9]+", False),
    ],
)
def test_a_name_shape_is_decided_soundly(parts: tuple[Any, ...], pattern: str, possible: bool) -> None:
    assert can_match(parts, re.compile(pattern)) is possible


def test_name_shape_agrees_with_re_on_fillers() -> None:
    """Wherever a filler of the hole makes `re` match, name_shape must say "possible" (soundness)."""
    fillers = ["", "a", "x-Broker", "orders", "A_b-9", "Broker-", "1", "-"]
    tails = ["-Broker", "-Broker-1", "-Broker1", "Broker-2", "-1", "", "-Broker-"]
    patterns = [".+-Broker-[0-9]+", "[a-z]+-Broker-[0-9]{1,2}", "(?i)orders.*", "[A-Z_]*-?[0-9]", ".*-.*"]
    for pattern in map(re.compile, patterns):
        for tail in tails:
            real = any(pattern.fullmatch(f + tail) and 0 < len(f + tail) <= 50 for f in fillers)
            if real:
                assert can_match((STACK, tail), pattern), (pattern.pattern, tail)


def test_a_shape_that_cannot_match_is_non_compliant_one_that_could_is_unknown() -> None:
    from mq_network.core.name_shape import Hole
    from mq_network.core.predeploy import Shape

    stack = Hole("Ref AWS::StackName")
    never = judge_planned("B", Shape((stack, "-Broker"), "Fn::Join"), "SINGLE_INSTANCE", "ACTIVEMQ", {}, DEFAULTS)
    assert never.status == "NON_COMPLIANT" and "can never match" in never.message
    assert "${Ref AWS::StackName}-Broker" in never.message
    maybe = judge_planned("B", Shape((stack, "-Broker-1"), "Fn::Join"), "SINGLE_INSTANCE", "ACTIVEMQ", {}, DEFAULTS)
    assert maybe.status == "UNKNOWN" and "may or may not match" in maybe.message


# --- finding 10: the hook lets maintenance through ------------------------------------------------------

LEGACY = {
    "BrokerName": "cc-project5-broker",
    "DeploymentMode": "SINGLE_INSTANCE",
    "EngineType": "ACTIVEMQ",
    "EngineVersion": "5.17.6",
    "Tags": [{"Key": "env", "Value": "prod"}],
}


def test_an_update_that_changes_nothing_judged_passes_naming_the_standing_finding() -> None:
    patched = {**LEGACY, "EngineVersion": "5.18", "DeploymentMode": "single_instance"}
    answer = hook.lambda_handler(request(patched, "UPDATE_PRE_PROVISION", previous=LEGACY))
    assert answer["hookStatus"] == "SUCCESS"
    assert "Update allowed" in answer["message"]
    assert "Standing finding: Broker 'cc-project5-broker' is not in a network of brokers" in answer["message"]
    assert answer["annotations"][0]["status"] == "FAILED" and answer["annotations"][0]["remediationMessage"]


@pytest.mark.parametrize(
    ("point", "previous", "current"),
    [
        ("CREATE_PRE_PROVISION", None, LEGACY),
        ("UPDATE_PRE_PROVISION", {}, LEGACY),  # no previous properties: judged as it stands
        ("UPDATE_PRE_PROVISION", {**LEGACY, "BrokerName": "orders-Broker-1"}, LEGACY),  # made non-compliant
        ("UPDATE_PRE_PROVISION", LEGACY, {**LEGACY, "DeploymentMode": "CLUSTER_MULTI_AZ"}),
        ("UPDATE_PRE_PROVISION", LEGACY, {**LEGACY, "EngineType": "RABBITMQ", "BrokerName": "x"}),
    ],
)
def test_creates_and_updates_that_change_what_is_judged_fail_as_before(
    point: str, previous: dict[str, Any] | None, current: dict[str, Any]
) -> None:
    answer = hook.lambda_handler(request(current, point, previous=previous))
    if current.get("EngineType") == "RABBITMQ":
        assert answer["hookStatus"] == "SUCCESS" and "Update allowed" not in answer["message"]
        return
    assert answer["hookStatus"] == "FAILED" and answer["errorCode"] == "NonCompliant"


def test_an_update_that_brings_a_broker_into_the_scope_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MQ_NETWORK_RULE_PARAMETERS", json.dumps({"ScopeTagKey": "env", "ScopeTagValue": "prod"}))
    before = {**LEGACY, "Tags": [{"Key": "env", "Value": "dev"}]}
    assert hook.lambda_handler(request(LEGACY, "UPDATE_PRE_PROVISION", previous=before))["hookStatus"] == "FAILED"
    tagged = {**LEGACY, "Tags": [*LEGACY["Tags"], {"Key": "team", "Value": "a"}]}
    answer = hook.lambda_handler(request(tagged, "UPDATE_PRE_PROVISION", previous=LEGACY))
    assert answer["hookStatus"] == "SUCCESS"  # another tag changed: the scope did not


def test_in_connectors_mode_a_new_configuration_is_a_judged_change(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MQ_NETWORK_RULE_PARAMETERS", json.dumps({"CheckMode": "both"}))
    before = {**LEGACY, "Configuration": {"Id": "c-1", "Revision": "1"}}
    same = hook.lambda_handler(request({**before, "EngineVersion": "5.18"}, "UPDATE_PRE_PROVISION", previous=before))
    assert same["hookStatus"] == "SUCCESS"
    changed = {**before, "Configuration": {"Id": "c-2", "Revision": "1"}}
    assert hook.lambda_handler(request(changed, "UPDATE_PRE_PROVISION", previous=before))["hookStatus"] == "FAILED"


# --- finding 11: wording, and no traceback ------------------------------------------------------------------


def test_a_delete_is_answered_as_allowed() -> None:
    answer = hook.lambda_handler(request({}, "DELETE_PRE_PROVISION", previous=LEGACY))
    assert answer["hookStatus"] == "SUCCESS"
    assert answer["message"].startswith("Deleting an Amazon MQ broker is allowed")
    assert "created or updated" in answer["message"] and "Not an Amazon MQ broker" not in answer["message"]


def test_a_missing_broker_name_is_called_missing_and_required() -> None:
    answer = hook.lambda_handler(request({"DeploymentMode": "SINGLE_INSTANCE", "EngineType": "ACTIVEMQ"}))
    assert answer["hookStatus"] == "FAILED"
    assert "has no BrokerName, which AWS::AmazonMQ::Broker requires" in answer["message"]
    assert "generate" not in answer["message"]


def test_in_connectors_mode_a_logical_id_is_not_quoted_as_a_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MQ_NETWORK_RULE_PARAMETERS", json.dumps({"CheckMode": "connectors"}))
    answer = hook.lambda_handler(request({"DeploymentMode": "CLUSTER_MULTI_AZ", "EngineType": "ACTIVEMQ"}))
    assert answer["hookStatus"] == "FAILED"
    assert "'OrdersBroker1'" not in answer["message"]
    assert answer["message"].startswith("Broker OrdersBroker1 (no BrokerName)")
    named = hook.lambda_handler(request({**MEMBER, "BrokerName": "any-name"}))
    assert "'any-name' (OrdersBroker1)" in named["message"]


def test_deeply_nested_rule_parameters_are_a_parameter_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MQ_NETWORK_RULE_PARAMETERS", "[" * 100_000 + "]" * 100_000)
    answer = hook.lambda_handler(request(MEMBER))
    assert answer["hookStatus"] == "FAILED" and answer["errorCode"] == "InternalFailure"
    assert "MQ_NETWORK_RULE_PARAMETERS is nested too deeply" in answer["message"]


def test_a_deeply_nested_configuration_on_update_is_an_internal_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MQ_NETWORK_RULE_PARAMETERS", json.dumps({"CheckMode": "connectors"}))
    deep: Any = "x"
    for _ in range(100_000):
        deep = [deep]
    previous = {**LEGACY, "DeploymentMode": "CLUSTER_MULTI_AZ", "Configuration": deep}
    answer = hook.lambda_handler(request(previous, "UPDATE_PRE_PROVISION", previous=previous))
    assert answer["hookStatus"] == "FAILED" and answer["errorCode"] == "InternalFailure"


# --- finding 2 in the checker: the workshop's names -------------------------------------------------------

WORKSHOP = DATA / "workshop-mesh.yaml"


def test_the_workshops_joined_names_can_never_match_and_are_non_compliant() -> None:
    found = judged(WORKSHOP)
    assert {resource: status for resource, (status, _) in found.items()} == {
        "LabBroker": "NON_COMPLIANT",  # !Join ['-', [!Ref AWS::StackName, Broker]]
        "Broker1": "NON_COMPLIANT",  # !Join ['', [!Ref AWS::StackName, -Broker1]]
        "Broker2": "NON_COMPLIANT",
        "Broker3": "NON_COMPLIANT",
    }
    assert "'${Ref AWS::StackName}-Broker1') can never match '.+-Broker-[0-9]+'" in found["Broker1"][1]
    assert "'Broker1'" not in found["Broker1"][1]  # a logical ID is not quoted as a name


def test_a_joined_name_that_could_still_match_is_unknown(tmp_path: Path) -> None:
    sub = {"Fn::Sub": "${AWS::StackName}-Broker-1"}
    join = {"Fn::Join": ["-", [{"Ref": "AWS::StackName"}, "Broker", {"Ref": "Index"}]]}
    path = template(tmp_path, {"Sub": broker(BrokerName=sub), "Join": broker(BrokerName=join)})
    status, found = run_check(str(path))
    assert [f["status"] for f in found] == ["UNKNOWN", "UNKNOWN"] and status == 3
    assert "may or may not match" in found[0]["message"]


# --- finding 3 in the checker: --allow-unknown no longer passes definite failures ----------------------------


def test_definite_failures_beside_unknowns_fail_even_with_allow_unknown(tmp_path: Path) -> None:
    resources = {
        "Lonely": broker(BrokerName="lonely", DeploymentMode={"Ref": "Mode"}),
        "Cluster": broker(BrokerName={"Ref": "Name"}, DeploymentMode="CLUSTER_MULTI_AZ"),
        "Tagged": broker(
            BrokerName="tagged",
            Tags=[{"Key": "owner", "Value": {"Fn::Sub": "${AWS::AccountId}"}}, {"Key": "env", "Value": "prod"}],
        ),
    }
    path = template(tmp_path, resources, Parameters={"Mode": {"Type": "String"}, "Name": {"Type": "String"}})
    status, found = run_check(str(path), "--scope-tag-key", "env", "--scope-tag-value", "prod", "--allow-unknown")
    assert {f["resource"]: f["status"] for f in found} == {
        "Lonely": "NOT_APPLICABLE",  # no env tag: out of scope (a literal decides)
        "Cluster": "NOT_APPLICABLE",
        "Tagged": "NON_COMPLIANT",  # the computed owner tag does not hide env=prod
    }
    assert status == 1
    status, found = run_check(str(path), "--allow-unknown")
    assert {f["resource"]: f["status"] for f in found} == {
        "Lonely": "NON_COMPLIANT",
        "Cluster": "NON_COMPLIANT",
        "Tagged": "NON_COMPLIANT",
    }
    assert status == 1


def test_parameter_allowed_values_and_if_of_literals_are_choices(tmp_path: Path) -> None:
    resources = {
        "OnlyCluster": broker(DeploymentMode={"Ref": "ClusterOnly"}),
        "Either": broker(DeploymentMode={"Fn::If": ["Prod", "ACTIVE_STANDBY_MULTI_AZ", "single_instance"]}),
        "Open": broker(DeploymentMode={"Ref": "AnyMode"}),
    }
    parameters = {
        "ClusterOnly": {"Type": "String", "AllowedValues": ["CLUSTER_MULTI_AZ"]},
        "AnyMode": {"Type": "String", "Default": "SINGLE_INSTANCE"},
    }
    path = template(tmp_path, resources, Parameters=parameters)
    assert {r: s for r, (s, _) in judged(path).items()} == {
        "OnlyCluster": "NON_COMPLIANT",
        "Either": "COMPLIANT",
        "Open": "UNKNOWN",  # a default can be overridden at deployment
    }


# --- finding 4: ConfigurationAssociation, Fn::Base64 of Fn::Join, XML from parameters ------------------------


def test_the_workshops_associations_are_read_as_its_mesh() -> None:
    found = judged(WORKSHOP, "--check-mode", "connectors")
    assert "no network connector" in found["LabBroker"][1]
    for member in ("Broker1", "Broker2", "Broker3"):
        status, message = found[member]
        assert "no network connector" not in message, message
        # its connectors were read from the association's configuration and link to the others;
        # whether messageTTL="-1" counts as no limit is connectors.py's reading (issue 18)
        linked = re.search(r"Connector_\d_To_\d -> Broker\d \(logical ID\)", message)
        assert linked or status == "COMPLIANT", message


def test_the_workshops_mesh_is_compliant_once_its_links_carry_messages(tmp_path: Path) -> None:
    text = WORKSHOP.read_text().replace(' consumerTTL="1" messageTTL="-1"', "")
    path = tmp_path / "workshop-default-ttl.yaml"
    path.write_text(text)
    found = judged(path, "--check-mode", "connectors")
    assert {r: s for r, (s, _) in found.items()} == {
        "LabBroker": "NON_COMPLIANT",
        "Broker1": "COMPLIANT",
        "Broker2": "COMPLIANT",
        "Broker3": "COMPLIANT",
    }
    assert "Broker2 (logical ID), Broker3 (logical ID)" in found["Broker1"][1]


def _mesh(tmp_path: Path, swap: dict[str, Any] | None = None, data: Any = None) -> Path:
    xml = (
        '<broker xmlns="http://activemq.apache.org/schema/core"><networkConnectors>'
        '<networkConnector name="to-b" duplex="true" uri="static:(${Peer})"/></networkConnectors></broker>'
    )
    peer = {"Fn::Select": [0, {"Fn::GetAtt": ["B", "OpenWireEndpoints"]}]}
    linked = {"Fn::Base64": {"Fn::Sub": [xml, {"Peer": peer}]}}
    plain = '<broker xmlns="http://activemq.apache.org/schema/core"/>'
    resources: dict[str, Any] = {
        "A": broker(BrokerName="m-Broker-1"),
        "B": broker(BrokerName="m-Broker-2"),
        "Linked": {"Type": "AWS::AmazonMQ::Configuration", "Properties": {"Data": data or linked}},
        "Plain": {"Type": "AWS::AmazonMQ::Configuration", "Properties": {"Data": {"Fn::Base64": plain}}},
        "Association": {
            "Type": "AWS::AmazonMQ::ConfigurationAssociation",
            "Properties": {"Broker": {"Ref": "A"}, "Configuration": {"Id": {"Ref": "Linked"}, "Revision": 1}},
        },
    }
    resources.update(swap or {})
    return template(tmp_path, resources, Parameters={"Open": {"Type": "String"}, "Close": {"Type": "String"}})


def test_a_configuration_association_links_brokers(tmp_path: Path) -> None:
    found = judged(_mesh(tmp_path), "--check-mode", "both")
    assert found["A"][0] == "COMPLIANT" and found["B"][0] == "COMPLIANT", found


def test_an_association_that_swaps_in_a_configuration_without_connectors_does_not_pass(tmp_path: Path) -> None:
    own = broker(BrokerName="m-Broker-1", Configuration={"Id": {"Ref": "Linked"}, "Revision": 1})
    swap = {
        "A": own,
        "Association": {
            "Type": "AWS::AmazonMQ::ConfigurationAssociation",
            "Properties": {"Broker": {"Ref": "A"}, "Configuration": {"Id": {"Ref": "Plain"}, "Revision": 1}},
        },
    }
    found = judged(_mesh(tmp_path, swap), "--check-mode", "connectors")
    assert found["A"][0] == "NON_COMPLIANT" and found["B"][0] == "NON_COMPLIANT", found


def test_an_association_to_a_broker_known_only_at_deployment_is_unknown(tmp_path: Path) -> None:
    swap = {
        "Other": {
            "Type": "AWS::AmazonMQ::ConfigurationAssociation",
            "Properties": {"Broker": {"Ref": "Open"}, "Configuration": {"Id": {"Ref": "Plain"}, "Revision": 1}},
        }
    }
    found = judged(_mesh(tmp_path, swap), "--check-mode", "connectors")
    assert found["A"][0] == "UNKNOWN" and "could be this one" in found["A"][1]


def test_xml_built_from_parameters_outside_an_attribute_is_unknown(tmp_path: Path) -> None:
    xml = (
        '<broker xmlns="http://activemq.apache.org/schema/core"><networkConnectors>${Open}'
        '<networkConnector name="to-b" duplex="true" uri="static:(${B})"/>${Close}</networkConnectors></broker>'
    )
    found = judged(_mesh(tmp_path, data={"Fn::Base64": {"Fn::Sub": xml}}), "--check-mode", "connectors")
    assert found["A"][0] == "UNKNOWN" and "could comment a connector out" in found["A"][1]
    joined = {"Fn::Base64": {"Fn::Join": ["", xml.replace("${Open}", "|").replace("${Close}", "|").split("|")]}}
    joined["Fn::Base64"]["Fn::Join"][1][1:1] = [{"Ref": "Open"}]
    found = judged(_mesh(tmp_path, data=joined), "--check-mode", "connectors")
    assert found["A"][0] == "UNKNOWN", found


# --- finding 5: Fn::ForEach, AWS::Include and macros ------------------------------------------------------

FOR_EACH = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::LanguageExtensions
Parameters:
  Members:
    Type: CommaDelimitedList
    Default: '1,2'
Resources:
  Fn::ForEach::Members:
    - Index
    - COLLECTION
    - Member${Index}:
        Type: AWS::AmazonMQ::Broker
        Properties:
          BrokerName: !Sub 'orders-Broker-${Index}'
          DeploymentMode: SINGLE_INSTANCE
          EngineType: ACTIVEMQ
  Fn::ForEach::Queues:
    - Name
    - [a, b]
    - Queue${Name}:
        Type: AWS::SQS::Queue
"""


def test_brokers_declared_by_for_each_are_expanded_with_cfn_lint(tmp_path: Path) -> None:
    path = tmp_path / "foreach.yaml"
    path.write_text(FOR_EACH.replace("COLLECTION", "['1', '2', 'x']"))
    status, found = run_check(str(path))
    assert {f["resource"]: (f["status"], f["line"]) for f in found} == {
        "Member1": ("COMPLIANT", 11),
        "Member2": ("COMPLIANT", 11),
        "Memberx": ("NON_COMPLIANT", 11),
    }
    assert status == 1


def test_for_each_over_a_parameter_is_unknown_never_zero_brokers(tmp_path: Path) -> None:
    path = tmp_path / "foreach.yaml"
    path.write_text(FOR_EACH.replace("COLLECTION", "!Ref Members"))
    status, found = run_check(str(path), "--allow-unknown")
    assert [(f["resource"], f["status"]) for f in found] == [("Fn::ForEach::Members", "UNKNOWN")]
    assert status == 0  # --allow-unknown accepts it, but it is reported
    assert run_check(str(path))[0] == 3


def test_without_cfn_lint_for_each_is_unknown_and_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "cfnlint.decode", None)  # as if cfn-lint were not installed
    path = tmp_path / "foreach.yaml"
    path.write_text(FOR_EACH.replace("COLLECTION", "['1']"))
    status, found = run_check(str(path))
    assert status == 3 and found[0]["status"] == "UNKNOWN"
    assert "mq-network-of-brokers[cloudformation]" in found[0]["message"]


def test_include_and_macros_are_unknown_never_silent(tmp_path: Path) -> None:
    include = {"Name": "AWS::Include", "Parameters": {"Location": "s3://bucket/brokers.yaml"}}
    path = template(tmp_path, {"Fn::Transform": include})
    status, found = run_check(str(path))
    assert status == 3 and [(f["resource"], f["status"]) for f in found] == [("Fn::Transform", "UNKNOWN")]
    path = template(tmp_path, {"Member": broker()}, Transform=["AWS::Serverless-2016-10-31", "MyMacro"])
    status, found = run_check(str(path))
    assert status == 3
    assert {f["resource"]: f["status"] for f in found} == {"Member": "COMPLIANT", "Transform": "UNKNOWN"}
    inserted = broker()
    inserted["Properties"]["Fn::Transform"] = include
    path = template(tmp_path, {"Member": inserted})
    assert run_check(str(path))[1][0]["status"] == "UNKNOWN"


def test_cfn_lint_is_an_optional_dependency_imported_only_for_for_each(tmp_path: Path) -> None:
    import subprocess
    import sys
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert any(d.startswith("cfn-lint") for d in project["optional-dependencies"]["cloudformation"])
    assert not any(d.startswith("cfn-lint") for d in project["dependencies"])
    plain = template(tmp_path, {"Member": broker()})
    script = (
        "import sys\nfrom mq_network_tools.prevent.cli import main\n"
        f"status = main([{str(plain)!r}])\n"
        "assert status == 0, status\n"
        "assert not any(m.split('.')[0] == 'cfnlint' for m in sys.modules), 'cfn-lint imported'\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, cwd=ROOT, capture_output=True)


def test_values_of_unexpected_types_are_unknown_never_a_traceback() -> None:
    scoped = parse_parameters({"ScopeTagKey": "env", "ScopeTagValue": "prod"})
    odd: Any = {"env": None}
    verdict = judge_planned("B", 5, ["SINGLE_INSTANCE"], None, odd, scoped)  # type: ignore[arg-type]
    assert verdict.status == "UNKNOWN" and "its tag env is not a string" in verdict.message
    assert judge_planned("B", 5, "SINGLE_INSTANCE", None, {}, DEFAULTS).status == "UNKNOWN"  # type: ignore[arg-type]
