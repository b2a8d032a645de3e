"""Remediation: planning and building the mesh that replaces a non-compliant broker."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from cfnlint.decode import cfn_yaml

from helpers import by_id, run
from mq_network_tools.demo import emulator
from mq_network_tools.remediate import mesh, mesh_plan, plan

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = cfn_yaml.load(str(ROOT / "template.yaml"))
SUBNETS = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]
GROUP = "sg-0123456789abcdef0"
PASSWORDS = {"admin": "correct-horse-battery-1", "app-user": "staple-ladder-orange-2"}


@pytest.fixture
def default_session(aws: None) -> Iterator[boto3.Session]:
    """A fresh boto3 default session: the automation code builds its clients from it."""
    previous = boto3.DEFAULT_SESSION
    boto3.setup_default_session(region_name=emulator.REGION)
    assert boto3.DEFAULT_SESSION is not None
    yield boto3.DEFAULT_SESSION
    boto3.DEFAULT_SESSION = previous


def source_broker(
    mq: Any, name: str = "orders", mode: str = "ACTIVE_STANDBY_MULTI_AZ", engine: str = "ACTIVEMQ"
) -> str:
    return str(
        mq.create_broker(
            BrokerName=name,
            DeploymentMode=mode,
            EngineType=engine,
            EngineVersion="5.18",
            HostInstanceType="mq.m5.large",
            PubliclyAccessible=False,
            AutoMinorVersionUpgrade=True,
            Users=[
                {"Username": "admin", "Password": PASSWORDS["admin"], "Groups": ["ops"], "ConsoleAccess": True},
                {"Username": "app-user", "Password": PASSWORDS["app-user"]},
            ],
            SubnetIds=SUBNETS if mode == "ACTIVE_STANDBY_MULTI_AZ" else SUBNETS[:1],
            SecurityGroups=[GROUP],
            Logs={"General": True, "Audit": False},
            MaintenanceWindowStartTime={"DayOfWeek": "MONDAY", "TimeOfDay": "02:00", "TimeZone": "UTC"},
            EncryptionOptions={"UseAwsOwnedKey": True},
            AuthenticationStrategy="SIMPLE",
            StorageType="EFS",
            Tags={"env": "prod", "team": "orders"},
        )["BrokerId"]
    )


def planned(mq: Any, broker_id: str, **options: Any) -> mesh_plan.MeshPlan:
    description, users, xml = mesh_plan.read_source(mq, broker_id)
    return mesh_plan.plan_mesh(description, users, xml, emulator.REGION, **options)


def secret(password_map: dict[str, str] = PASSWORDS) -> str:
    client = boto3.client("secretsmanager", region_name=emulator.REGION)
    return str(client.create_secret(Name="mq-users", SecretString=json.dumps(password_map))["ARN"])


# --- names ----------------------------------------------------------------------------------------


def test_member_names() -> None:
    assert mesh_plan.member_name("orders", 2) == "orders-Broker-2"
    exact = "x" * (50 - len("-Broker-21"))  # room for every member number a mesh can have
    assert mesh_plan.member_name(exact, 1) == exact + "-Broker-1"
    assert mesh_plan.member_name(exact, 21) == exact + "-Broker-21"
    long_a, long_b = "a" * 45 + "-one", "a" * 45 + "-two"
    assert len({mesh_plan.member_name(long_a, i).rsplit("-Broker-", 1)[0] for i in (1, 9, 21)}) == 1  # one prefix
    for index in (1, 9, 21):
        name = mesh_plan.member_name(long_a, index)
        assert len(name) <= 50
        assert name.endswith(f"-Broker-{index}")
        assert name == mesh_plan.member_name(long_a, index)  # deterministic
        assert name != mesh_plan.member_name(long_b, index)  # a hash keeps long look-alikes apart


# --- planning -------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["SINGLE_INSTANCE", "ACTIVE_STANDBY_MULTI_AZ"])
def test_plan_copies_the_source(mq: Any, mode: str) -> None:
    broker_id = source_broker(mq, mode=mode)
    result = planned(mq, broker_id)
    assert [m.name for m in result.members] == ["orders-Broker-1", "orders-Broker-2", "orders-Broker-3"]
    assert {m.mode for m in result.members} == {mode}
    settings = result.broker_settings
    assert settings["EngineVersion"] == "5.18"
    assert settings["HostInstanceType"] == "mq.m5.large"
    assert settings["SubnetIds"] == (SUBNETS if mode == "ACTIVE_STANDBY_MULTI_AZ" else SUBNETS[:1])
    assert settings["SecurityGroups"] == [GROUP]
    assert settings["PubliclyAccessible"] is False
    assert settings["EncryptionOptions"] == {"UseAwsOwnedKey": True}
    assert settings["Logs"] == {"General": True, "Audit": False}
    assert settings["MaintenanceWindowStartTime"]["DayOfWeek"] == "MONDAY"
    assert settings["AuthenticationStrategy"] == "SIMPLE"
    assert result.users == (
        {"Username": "admin", "Groups": ["ops"], "ConsoleAccess": True},
        {"Username": "app-user", "Groups": [], "ConsoleAccess": False},
    )
    assert result.source_tags == {"env": "prod", "team": "orders"}
    assert "Password" not in json.dumps(result._asdict())


def test_plan_deployment_mode_override_and_subnets(mq: Any) -> None:
    active_standby = source_broker(mq, "pair")
    single = planned(mq, active_standby, deployment_mode="SINGLE_INSTANCE")
    assert single.broker_settings["SubnetIds"] == SUBNETS[:1]
    lone = source_broker(mq, "lone", mode="SINGLE_INSTANCE")
    with pytest.raises(mesh_plan.MeshError, match=r"ACTIVE_STANDBY_MULTI_AZ needs 2 subnets .* pass --subnet-ids"):
        planned(mq, lone, deployment_mode="ACTIVE_STANDBY_MULTI_AZ")
    assert planned(mq, lone, deployment_mode="ACTIVE_STANDBY_MULTI_AZ", subnet_ids=SUBNETS).members[0].mode == (
        "ACTIVE_STANDBY_MULTI_AZ"
    )


@pytest.mark.parametrize(("size", "ok"), [(1, False), (2, True), (21, True), (22, False)])
def test_mesh_size_bounds(mq: Any, size: int, ok: bool) -> None:
    broker_id = source_broker(mq)
    if ok:
        assert len(planned(mq, broker_id, size=size).members) == size
    else:
        with pytest.raises(mesh_plan.MeshError, match="a mesh has 2 to 21 brokers"):
            planned(mq, broker_id, size=size)


def test_rabbitmq_source_is_refused_clearly(mq: Any) -> None:
    broker_id = emulator.create_broker(mq, emulator.BrokerSeed("events", "CLUSTER_MULTI_AZ", engine="RABBITMQ"))[
        "BrokerId"
    ]
    out, err = io.StringIO(), io.StringIO()
    assert plan.main([broker_id], out, err) == 2
    assert out.getvalue() == ""
    assert "runs RABBITMQ: a network of brokers is an ActiveMQ feature" in err.getvalue()
    assert "CLUSTER_MULTI_AZ" in err.getvalue()


def test_mesh_configuration_links_each_pair_once() -> None:
    xml = emulator.activemq_xml([("old", "static:(ssl://b-old-1.mq.us-east-1.amazonaws.com:61617)")])
    peers = [mesh_plan.openwire_uri(mesh_plan.instance_hosts("b-1", "us-east-1", "SINGLE_INSTANCE"))]
    peers.append(mesh_plan.openwire_uri(mesh_plan.instance_hosts("b-2", "us-east-1", "ACTIVE_STANDBY_MULTI_AZ")))
    result = mesh_plan.mesh_xml(xml, peers, "admin")
    assert "b-old" not in result  # the source's own connectors are replaced
    live = re.sub(r"<!--.*?-->", "", result, flags=re.S)
    assert live.count("<networkConnector ") == 2
    assert 'uri="static:(ssl://b-1-1.mq.us-east-1.amazonaws.com:61617)"' in result
    assert "masterslave:(ssl://b-2-1.mq.us-east-1.amazonaws.com:61617,ssl://b-2-2" in result
    assert result.count('duplex="true"') == 2
    assert 'userName="admin"' in result
    assert "<!--" not in result  # the source's comments are not copied ...
    assert "<!-- <networkConnectors>" in mesh_plan.mesh_xml(xml, peers, "admin", keep_comments=True)  # ... unless asked
    names = re.findall(r"<(\w+)[ >/]", live.split("<broker", 1)[1])
    top = [n for n in names if n in ("networkConnectors", "transportConnectors")]
    assert top == ["networkConnectors", "transportConnectors"]  # alphabetical, as ActiveMQ wants


# --- printed plans ----------------------------------------------------------------------------


def plan_output(broker_id: str, *options: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    assert plan.main([broker_id, *options], out, err) == 0, err.getvalue()
    return out.getvalue()


@pytest.mark.parametrize("with_secret", [False, True])
def test_cloudformation_plan_passes_cfn_lint(mq: Any, tmp_path: Path, with_secret: bool) -> None:
    broker_id = source_broker(mq)
    options = ["--password-secret-arn", "arn:aws:secretsmanager:us-east-1:123456789012:secret:mq-users-AbCdEf"]
    text = plan_output(broker_id, *(options if with_secret else []))
    path = tmp_path / "mesh.yaml"
    path.write_text(text)
    lint = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), str(path)], capture_output=True, text=True, check=False
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
    template = cfn_yaml.load(str(path))
    resources = template["Resources"]
    assert sorted(k for k, v in resources.items() if v["Type"] == "AWS::AmazonMQ::Broker") == [
        "Member1",
        "Member2",
        "Member3",
    ]
    assert "Member1Mesh" not in resources
    data = json.dumps(resources["Member3Mesh"]["Properties"]["Data"])
    assert '"Member1", "OpenWireEndpoints"' in data
    assert '"Member2", "OpenWireEndpoints"' in data
    assert "masterslave:(" in data
    assert resources["Member3MeshAssociation"]["Properties"]["Broker"] == {"Ref": "Member3"}
    assert all(password not in text for password in PASSWORDS.values())
    users = resources["Member1"]["Properties"]["Users"]
    if with_secret:
        assert users[0]["Password"] == "{{resolve:secretsmanager:" + options[1] + ":SecretString:admin}}"
        assert "Parameters" not in template
    else:
        assert users[1]["Password"] == {"Ref": "Password2AppUser"}
        assert template["Parameters"]["Password2AppUser"]["NoEcho"] is True
    assert text.rstrip().endswith("5. Only then delete the source broker, by hand.")
    assert "DeletionPolicy" not in text


@pytest.mark.parametrize("with_secret", [False, True])
def test_cli_plan_is_valid_bash_and_never_deletes(mq: Any, with_secret: bool) -> None:
    broker_id = source_broker(mq)
    options = ["--output", "cli"] + (
        ["--password-secret-arn", "arn:aws:secretsmanager:us-east-1:1:secret:x"] if with_secret else []
    )
    text = plan_output(broker_id, *options)
    assert subprocess.run(["bash", "-n"], input=text, text=True, check=False).returncode == 0
    assert "delete-broker" not in text
    assert text.count("aws mq create-broker") == 3
    assert text.count("aws mq reboot-broker") == 2
    assert "${B1}-1$SUFFIX:61617" in text and "${B2}-2$SUFFIX:61617" in text
    assert all(password not in text for password in PASSWORDS.values())
    assert ("read -rsp" in text) is not with_secret
    assert text.rstrip().endswith("5. Only then delete the source broker, by hand.")


# --- building it: the SSM Automation step, end to end --------------------------------------------


def build(broker_id: str, secret_arn: str, size: str = "3", rounds: int = 3) -> dict[str, Any]:
    """Run the automation step as the document does: again while members are pending."""
    for round_number in range(1, rounds + 1):
        events = {"BrokerId": broker_id, "PasswordSecretArn": secret_arn, "MeshSize": size, "Round": round_number}
        result = mesh.automation_build_mesh(events)
        if result["Pending"] == 0:
            break
    return result


def test_built_mesh_is_compliant_in_connectors_mode_and_the_source_stays(
    default_session: boto3.Session, prior: Any
) -> None:
    mq = boto3.client("mq", region_name=emulator.REGION)
    source = source_broker(mq)
    result = build(source, secret())
    members = json.loads(result["Members"])
    assert sorted(members) == ["orders-Broker-1", "orders-Broker-2", "orders-Broker-3"]
    assert result["Pending"] == 0
    evaluations = by_id(run(emulator.scheduled_event({"CheckMode": "connectors"})))
    assert {name: evaluations[i]["ComplianceType"] for name, i in members.items()} == dict.fromkeys(
        members, "COMPLIANT"
    )
    assert "in a network of 3 brokers" in evaluations[members["orders-Broker-1"]]["Annotation"]
    assert evaluations[source]["ComplianceType"] == "NON_COMPLIANT"  # still there, still alone
    described = mq.describe_broker(BrokerId=members["orders-Broker-2"])
    assert described["Tags"][mesh_plan.SOURCE_TAG] == source
    assert described["Tags"]["env"] == "prod"
    assert [u["Username"] for u in described["Users"]] == ["admin", "app-user"]


def test_running_again_creates_nothing_new(default_session: boto3.Session) -> None:
    mq = boto3.client("mq", region_name=emulator.REGION)
    source = source_broker(mq)
    arn = secret()
    first = build(source, arn)
    before = {b["BrokerId"] for b in mq.list_brokers()["BrokerSummaries"]}
    configurations = len(mq.list_configurations()["Configurations"])
    assert build(source, arn)["Members"] == first["Members"]
    assert {b["BrokerId"] for b in mq.list_brokers()["BrokerSummaries"]} == before
    assert len(mq.list_configurations()["Configurations"]) == configurations


def test_a_failure_halfway_is_resumed_without_duplicates(default_session: boto3.Session) -> None:
    mq = boto3.client("mq", region_name=emulator.REGION)
    source = source_broker(mq)
    arn = secret()
    calls = {"n": 0}

    def second_create_fails(**_: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            body = {"Error": {"Code": "InternalServerErrorException", "Message": "injected"}}
            return AWSResponse("https://emulated.invalid/", 400, {}, None), body
        return None

    default_session.events.register("before-call.mq.CreateBroker", second_create_fails)
    try:
        with pytest.raises(Exception, match="InternalServerErrorException"):
            build(source, arn)
    finally:
        default_session.events.unregister("before-call.mq.CreateBroker", second_create_fails)
    names = sorted(b["BrokerName"] for b in mq.list_brokers()["BrokerSummaries"])
    assert names == ["orders", "orders-Broker-1"]
    result = build(source, arn)
    names = sorted(b["BrokerName"] for b in mq.list_brokers()["BrokerSummaries"])
    assert names == ["orders", "orders-Broker-1", "orders-Broker-2", "orders-Broker-3"]
    assert result["Pending"] == 0


def test_a_name_taken_by_someone_else_is_refused(default_session: boto3.Session) -> None:
    mq = boto3.client("mq", region_name=emulator.REGION)
    source = source_broker(mq)
    emulator.create_broker(mq, emulator.BrokerSeed("orders-Broker-2"))
    with pytest.raises(mesh_plan.MeshError, match="a broker named orders-Broker-2 exists and was not made for"):
        build(source, secret())
    assert len(mq.list_brokers()["BrokerSummaries"]) == 2  # nothing created


def test_missing_password_is_refused_without_showing_any(default_session: boto3.Session) -> None:
    mq = boto3.client("mq", region_name=emulator.REGION)
    source = source_broker(mq)
    with pytest.raises(mesh_plan.MeshError) as caught:
        build(source, secret({"admin": PASSWORDS["admin"]}))
    assert "no password for user(s) app-user" in str(caught.value)
    assert PASSWORDS["admin"] not in str(caught.value)


def test_a_name_near_the_limit_builds_members_within_it(default_session: boto3.Session, prior: Any) -> None:
    mq = boto3.client("mq", region_name=emulator.REGION)
    source = source_broker(mq, name="n" * 48)
    members = json.loads(build(source, secret(), size="2")["Members"])
    assert all(len(name) <= 50 and name.endswith(f"-Broker-{i}") for i, name in enumerate(sorted(members), 1))


# --- the SSM document and its role ---------------------------------------------------------------


def test_ssm_document_runs_this_module_verbatim() -> None:
    content = TEMPLATE["Resources"]["MeshRemediationDocument"]["Properties"]["Content"]
    [step] = [s for s in content["mainSteps"] if s["action"] == "aws:executeScript"]
    sys.path.insert(0, str(ROOT / "scripts"))
    from embed_mesh_script import bundle

    assert step["inputs"]["Script"] == bundle()
    assert step["inputs"]["Handler"] == "automation_build_mesh"
    assert hasattr(mesh, step["inputs"]["Handler"])
    assert step["inputs"]["InputPayload"]["ExecutionId"] == "{{ automation:EXECUTION_ID }}"


def test_the_embedded_bundle_runs_alone_and_builds_the_mesh(default_session: boto3.Session) -> None:
    """The document's script, executed by itself (no mq_network package), builds what mesh.py builds."""
    content = TEMPLATE["Resources"]["MeshRemediationDocument"]["Properties"]["Content"]
    [step] = [s for s in content["mainSteps"] if s["action"] == "aws:executeScript"]
    script = step["inputs"]["Script"]
    assert not re.search(r"^\s*(from|import) mq_network", script, re.M)
    namespace: dict[str, Any] = {"__name__": "ssm_script"}
    exec(compile(script, "ssm-document-script", "exec"), namespace)
    mq = boto3.client("mq", region_name=emulator.REGION)
    source = source_broker(mq)
    arn = secret()
    events = {"BrokerId": source, "PasswordSecretArn": arn, "MeshSize": "2", "Round": 1}
    namespace[step["inputs"]["Handler"]](events, None)
    events["Round"] = 2
    assert namespace[step["inputs"]["Handler"]](events, None)["Pending"] == 0
    names = sorted(b["BrokerName"] for b in mq.list_brokers()["BrokerSummaries"])
    assert names == ["orders", "orders-Broker-1", "orders-Broker-2"]


def test_remediation_is_manual_by_default_and_passes_the_broker_id() -> None:
    parameters = TEMPLATE["Parameters"]
    assert parameters["EnableRemediation"]["Default"] == "false"
    assert parameters["RemediationAutomatic"]["Default"] == "false"
    remediation = TEMPLATE["Resources"]["Remediation"]
    assert remediation["Condition"] == "HasRemediation"
    assert remediation["Properties"]["Parameters"]["BrokerId"] == {"ResourceValue": {"Value": "RESOURCE_ID"}}


def test_remediation_role_allows_what_the_build_calls_and_deletes_nothing(default_session: boto3.Session) -> None:
    mq = boto3.client("mq", region_name=emulator.REGION)
    source = source_broker(mq)
    arn = secret()
    with emulator.ApiCalls(default_session) as calls:
        build(source, arn)
        build(source, arn)
    statements = TEMPLATE["Resources"]["MeshRemediationRole"]["Properties"]["Policies"][0]["PolicyDocument"][
        "Statement"
    ]
    granted = {a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    called = {a for a in calls.iam_actions if not a.startswith("ec2:")} | {"ssm:GetAutomationExecution"}
    # The Service Authorization Reference lists mq:CreateTags as a dependent action of CreateBroker and
    # CreateConfiguration when they carry tags (botocore records only the operation itself).
    assert {a for a in granted if not a.startswith("ec2:")} == called | {"mq:CreateTags"}
    ec2 = {a for a in granted if a.startswith("ec2:")}
    assert ec2 == set(mesh.CREATE_BROKER_EC2_ACTIONS) | set(mesh.CREATE_BROKER_EC2_MQ_ONLY_ACTIONS)
    assert not [a for a in granted if a.startswith("mq:Delete") or a.startswith("secretsmanager:Put")]
