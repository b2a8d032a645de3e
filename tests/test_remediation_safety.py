"""Issue 10: the remediation cannot be turned against its user. One test (or set) per finding."""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
import textwrap
from datetime import UTC
from pathlib import Path
from typing import Any

import boto3
import pytest
from cfnlint.decode import cfn_yaml

from helpers import by_id, run
from mq_network.core.decision import decide
from mq_network.core.facts import BrokerFacts
from mq_network.core.parameters import parse_parameters
from mq_network_tools.demo import emulator
from mq_network_tools.remediate import mesh, mesh_plan, plan

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = cfn_yaml.load(str(ROOT / "template.yaml"))


def hostile_plan(canary: Path, keep_comments: bool) -> mesh_plan.MeshPlan:
    """A source whose every string is an attempt to run `touch <canary>` in the generated script."""
    run_it = f"$(touch {canary})`touch {canary}`"
    breakout = f"\nXML\ntouch {canary}\n: <<XML\n'\"{run_it}"
    description = {
        "BrokerId": "b-1234abcd-0000-0000-0000-000000000000",
        "BrokerName": f"x{run_it}'",
        "EngineType": "ACTIVEMQ",
        "EngineVersion": "5.18",
        "HostInstanceType": "mq.m5.large",
        "DeploymentMode": "SINGLE_INSTANCE",
        "SubnetIds": [f"subnet-1{run_it}"],
        "SecurityGroups": [f"sg-1'{run_it}"],
        "Tags": {f"k{run_it}": f"v'\n{run_it}", "team": breakout},
        "Configurations": {"Current": {"Id": "c-1", "Revision": 1}},
    }
    users = [{"Username": f"u{run_it}'"}, {"Username": "app.user"}, {"Username": "app_user"}]
    xml = (
        f'<broker xmlns="{mesh_plan.CORE_NAMESPACE}"><!--{breakout}--><destinationPolicy>{run_it}'
        f"&lt;{breakout.replace('<', '&lt;')}</destinationPolicy><plugins/></broker>"
    )
    return mesh_plan.plan_mesh(description, users, xml, "us-east-1", size=3, keep_comments=keep_comments)


FAKE_AWS = textwrap.dedent(
    """\
    #!{python}
    import base64, json, os, sys, pathlib
    args = sys.argv[1:]
    log = pathlib.Path(os.environ["AWS_LOG"])
    files = {{}}
    for a in args:
        if a.startswith("file://"):
            files[a] = pathlib.Path(a[len("file://"):]).read_text()
    with log.open("a") as out:
        out.write(json.dumps({{"args": args, "files": files}}) + "\\n")
    op = " ".join(args[:2])
    counter = pathlib.Path(os.environ["AWS_LOG"] + ".n")
    n = int(counter.read_text()) + 1 if counter.exists() else 1
    counter.write_text(str(n))
    if op == "secretsmanager get-secret-value":
        print(os.environ["SECRET_JSON"])
    elif op == "mq describe-broker" and "BrokerState" in args:
        print("RUNNING")
    elif op == "mq describe-broker":
        print(json.dumps({{"Id": "c-1", "Revision": 1}}))
    elif op == "mq create-broker":
        print(f"b-{{n:08x}}-aaaa")
    elif op == "mq create-configuration":
        print(f"c-{{n:08x}}-cccc")
    elif op == "mq update-configuration":
        print("2")
    """
)


def run_script(
    script: str, tmp_path: Path, stdin: str = "", secret: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / "aws"
    fake.write_text(FAKE_AWS.format(python=sys.executable))
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    log = tmp_path / "aws.log"
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "AWS_LOG": str(log),
        "SECRET_JSON": json.dumps(secret or {}),
    }
    done = subprocess.run(
        ["bash", "-c", script],
        input=stdin,
        text=True,
        capture_output=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in log.read_text().splitlines()]


@pytest.mark.parametrize("keep_comments", [False, True])
@pytest.mark.parametrize("with_secret", [True, False])
def test_hostile_names_tags_users_and_xml_never_run_in_the_generated_script(
    tmp_path: Path, keep_comments: bool, with_secret: bool
) -> None:
    """Finding 1 (heredoc break-out ran a command) and 3 (passwords in argv)."""
    canary = tmp_path / "CANARY"
    source = hostile_plan(canary, keep_comments)
    passwords = {u["Username"]: f"pw-{i}-{'s' * 12}" for i, u in enumerate(source.users)}
    script = plan.cli(source, "arn:aws:secretsmanager:us-east-1:1:secret:x" if with_secret else None)
    stdin = "".join(passwords[u["Username"]] + "\n" for u in source.users)
    calls = run_script(script, tmp_path, stdin="" if with_secret else stdin, secret=passwords)
    assert not canary.exists(), "data from AWS ran as a command"
    creates = [c for c in calls if c["args"][:2] == ["mq", "create-broker"]]
    assert len(creates) == 3
    for call in calls:
        assert not any(password in arg for arg in call["args"] for password in passwords.values())
    [users_file] = {f for c in creates for f in c["files"]}
    sent_users = json.loads(creates[0]["files"][users_file])
    assert {u["Username"]: u["Password"] for u in sent_users} == passwords  # every slot its own password
    first = creates[0]["args"]
    assert first[first.index("--broker-name") + 1] == source.members[0].name  # data arrives unchanged
    assert json.loads(first[first.index("--tags") + 1]) == mesh_plan.member_tags(source, source.members[0])
    updates = [c for c in calls if c["args"][:2] == ["mq", "update-configuration"]]
    assert len(updates) == 2
    xml = base64.b64decode(next(iter(updates[1]["files"].values()))).decode()
    first_id = f"b-{calls.index(creates[0]) + 1:08x}-aaaa"  # the fake's answer to the first create-broker
    assert f"ssl://{first_id}-1.mq.us-east-1.amazonaws.com:61617" in xml  # markers became member IDs
    assert "@@PEER" not in xml
    assert (f"touch {canary}" in xml) is True  # the hostile text is kept, as inert data
    assert not list(tmp_path.glob("tmp*"))  # the private directory is gone


def test_a_broker_id_that_is_not_an_id_stops_the_script(tmp_path: Path) -> None:
    source = hostile_plan(tmp_path / "CANARY", False)
    script = plan.cli(source, "arn:aws:secretsmanager:us-east-1:1:secret:x").replace(
        "--query BrokerId --output text)", "--query BrokerId --output text; echo ';touch X')", 1
    )
    bin_dir = tmp_path / "bin"
    run_dir = tmp_path
    with pytest.raises(AssertionError, match="unexpected ID"):
        run_script(script, run_dir, secret={u["Username"]: "p" * 12 for u in source.users})
    assert bin_dir.exists()
    assert not (tmp_path / "X").exists()


def test_users_whose_names_look_alike_get_their_own_slots() -> None:
    """Finding 4: app.user / app_user and admin / ADMIN shared one parameter or variable."""
    slots = mesh_plan.password_slots([{"Username": n} for n in ("app.user", "app_user", "admin", "ADMIN")])
    assert len(set(slots.values())) == 4
    assert len({s.upper() for s in slots.values()}) == 4
    with pytest.raises(mesh_plan.MeshError, match="listed twice"):
        mesh_plan.password_slots([{"Username": "a"}, {"Username": "a"}])


def test_the_cloudformation_plan_has_a_parameter_per_user(tmp_path: Path) -> None:
    source = hostile_plan(tmp_path / "CANARY", False)
    template = json.loads(plan.cloudformation(source, None).split("\n# ", 1)[0])
    assert len(template["Parameters"]) == len(source.users) == 3


# --- finding 2: no snowball -----------------------------------------------------------------------


def test_a_mesh_member_is_never_a_source() -> None:
    description = {
        "BrokerId": "b-2",
        "BrokerName": "orders-Broker-1",
        "EngineType": "ACTIVEMQ",
        "Tags": {mesh_plan.MEMBER_TAG: "1", mesh_plan.SOURCE_TAG: "b-1"},
    }
    with pytest.raises(mesh_plan.MeshError, match="is member 1 of the mesh built to replace b-1"):
        mesh_plan.plan_mesh(description, [{"Username": "admin"}], "<broker/>", "us-east-1")


def test_a_member_being_built_is_not_applicable_for_a_day_then_judged() -> None:
    from datetime import datetime, timedelta

    now = datetime(2026, 11, 29, 12, tzinfo=UTC)
    tags = {mesh_plan.MEMBER_TAG: "2", mesh_plan.SOURCE_TAG: "b-1", mesh_plan.BUILD_TAG: "in-progress"}
    params = parse_parameters({"CheckMode": "connectors"})
    young = BrokerFacts("b-2", "orders-Broker-2", "SINGLE_INSTANCE", tags=tags, created=now - timedelta(hours=1))
    verdict = decide(young, params, None, now=now)
    assert verdict.compliance == "NOT_APPLICABLE"
    assert "being built as member '2' of the mesh replacing 'b-1'" in verdict.annotation
    old = young._replace(created=now - timedelta(hours=25))
    with pytest.raises(Exception, match="needs its network evidence"):
        decide(old, params, None, now=now)  # judged like any broker: it needs its network
    done = young._replace(tags={**tags, mesh_plan.BUILD_TAG: "complete"})
    with pytest.raises(Exception, match="needs its network evidence"):
        decide(done, params, None, now=now)


@pytest.fixture
def default_session(aws: None) -> Any:
    previous = boto3.DEFAULT_SESSION
    boto3.setup_default_session(region_name=emulator.REGION)
    yield boto3.DEFAULT_SESSION
    boto3.DEFAULT_SESSION = previous


def _source(mq: Any, name: str) -> str:
    return str(
        mq.create_broker(
            BrokerName=name,
            DeploymentMode="SINGLE_INSTANCE",
            EngineType="ACTIVEMQ",
            EngineVersion="5.18",
            HostInstanceType="mq.m5.large",
            PubliclyAccessible=False,
            AutoMinorVersionUpgrade=True,
            Users=[{"Username": "admin", "Password": "not-a-real-password-1"}],
            SubnetIds=["subnet-0123456789abcdef0"],
        )["BrokerId"]
    )


def test_automatic_remediation_in_connectors_mode_creates_exactly_size_brokers(
    default_session: Any, prior: Any
) -> None:
    """The whole loop: the rule runs, every NON_COMPLIANT broker is remediated, again and again."""
    mq = boto3.client("mq", region_name=emulator.REGION)
    source = _source(mq, "orders")
    arn = boto3.client("secretsmanager", region_name=emulator.REGION).create_secret(
        Name="u", SecretString=json.dumps({"admin": "correct-horse-battery-1"})
    )["ARN"]
    for round_number in range(1, 6):
        verdicts = by_id(run(emulator.scheduled_event({"CheckMode": "connectors"})))
        for broker_id, evaluation in verdicts.items():
            if evaluation["ComplianceType"] != "NON_COMPLIANT":
                continue
            events = {"BrokerId": broker_id, "PasswordSecretArn": arn, "MeshSize": "3", "Round": round_number}
            try:
                mesh.automation_build_mesh(events)
            except mesh_plan.MeshError as err:
                assert "never replaced by another mesh" in str(err)  # a member reached as a source
    names = sorted(b["BrokerName"] for b in mq.list_brokers()["BrokerSummaries"])
    assert names == ["orders", "orders-Broker-1", "orders-Broker-2", "orders-Broker-3"]
    verdicts = by_id(run(emulator.scheduled_event({"CheckMode": "connectors"})))
    members = {b["BrokerName"]: b["BrokerId"] for b in mq.list_brokers()["BrokerSummaries"]}
    assert verdicts[source]["ComplianceType"] == "NON_COMPLIANT"  # still alone until a person moves clients
    assert {verdicts[members[f"orders-Broker-{i}"]]["ComplianceType"] for i in (1, 2, 3)} == {"COMPLIANT"}


# --- finding 5: convergent, bounded builds --------------------------------------------------------


def _secret() -> str:
    client = boto3.client("secretsmanager", region_name=emulator.REGION)
    return str(client.create_secret(Name="u2", SecretString=json.dumps({"admin": "correct-horse-battery-1"}))["ARN"])


def test_a_run_stopped_after_create_configuration_is_repaired(default_session: Any) -> None:
    mq = boto3.client("mq", region_name=emulator.REGION)
    source = _source(mq, "orders")
    arn = _secret()
    events: dict[str, Any] = {"BrokerId": source, "PasswordSecretArn": arn, "MeshSize": "2", "Round": 1}
    original = mq.__class__.update_configuration

    def stop(*_: Any, **__: Any) -> Any:
        raise RuntimeError("interrupted after CreateConfiguration")

    boto3.DEFAULT_SESSION.events.register("before-call.mq.UpdateConfiguration", stop)
    try:
        with pytest.raises(RuntimeError, match="interrupted"):
            mesh.automation_build_mesh(events)
    finally:
        boto3.DEFAULT_SESSION.events.unregister("before-call.mq.UpdateConfiguration", stop)
    assert original is not None
    for round_number in (2, 3):
        events["Round"] = round_number
        result = mesh.automation_build_mesh(events)
    assert result["Pending"] == 0
    members = json.loads(result["Members"])
    current = mq.describe_broker(BrokerId=members["orders-Broker-2"])["Configurations"]["Current"]
    data = mq.describe_configuration_revision(
        ConfigurationId=current["Id"], ConfigurationRevision=str(current["Revision"])
    )
    assert mesh.connector_uris(data["Data"]) == [
        mesh_plan.openwire_uri(mesh_plan.instance_hosts(members["orders-Broker-1"], emulator.REGION, "SINGLE_INSTANCE"))
    ]
    tags = mq.describe_broker(BrokerId=members["orders-Broker-2"])["Tags"]
    assert tags[mesh_plan.BUILD_TAG] == "complete"


def test_a_failed_member_is_named_with_the_fix_and_ends_the_automation(default_session: Any) -> None:
    from moto.mq.models import mq_backends

    mq = boto3.client("mq", region_name=emulator.REGION)
    source = _source(mq, "orders")
    events = {"BrokerId": source, "PasswordSecretArn": _secret(), "MeshSize": "2", "Round": 1}
    mesh.automation_build_mesh(events)
    member = next(b for b in mq.list_brokers()["BrokerSummaries"] if b["BrokerName"] == "orders-Broker-2")
    mq_backends[emulator.ACCOUNT_ID][emulator.REGION].brokers[member["BrokerId"]].state = "CREATION_FAILED"
    with pytest.raises(mesh_plan.MeshError, match=r"orders-Broker-2 \(.*\) is CREATION_FAILED: delete it"):
        mesh.automation_build_mesh({**events, "Round": 2})


def test_pending_members_in_the_last_round_end_the_automation_with_the_reason(default_session: Any) -> None:
    from moto.mq.models import mq_backends

    mq = boto3.client("mq", region_name=emulator.REGION)
    source = _source(mq, "orders")
    events = {"BrokerId": source, "PasswordSecretArn": _secret(), "MeshSize": "2", "Round": 1, "MaxRounds": "3"}
    mesh.automation_build_mesh(events)
    member = next(b for b in mq.list_brokers()["BrokerSummaries"] if b["BrokerName"] == "orders-Broker-1")
    mq_backends[emulator.ACCOUNT_ID][emulator.REGION].brokers[member["BrokerId"]].state = "CREATION_IN_PROGRESS"
    assert mesh.automation_build_mesh({**events, "Round": 2})["Pending"] >= 1
    with pytest.raises(
        mesh_plan.MeshError, match=r"not finished after 3 rounds \(MaxRounds 3\): orders-Broker-1: CREATION_IN_PROGRESS"
    ):
        mesh.automation_build_mesh({**events, "Round": 3})


def test_the_document_loop_is_bounded_by_max_rounds() -> None:
    content = TEMPLATE["Resources"]["MeshRemediationDocument"]["Properties"]["Content"]
    assert content["parameters"]["MaxRounds"]["default"] == "24"
    [step] = [s for s in content["mainSteps"] if s["action"] == "aws:executeScript"]
    assert step["inputs"]["InputPayload"]["MaxRounds"] == "{{ MaxRounds }}"


# --- finding 6: the role writes only to the mesh's own resources ---------------------------------

_WRITE_VERBS = ("Create", "Update", "Delete", "Reboot", "Detach", "Attach", "Put", "Modify", "Tag", "Untag")


def test_every_write_action_of_the_remediation_role_is_conditioned() -> None:
    statements = TEMPLATE["Resources"]["MeshRemediationRole"]["Properties"]["Policies"][0]["PolicyDocument"][
        "Statement"
    ]
    unconditioned = [
        action
        for statement in statements
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
        if action.split(":", 1)[1].startswith(_WRITE_VERBS) and "Condition" not in statement
    ]
    assert unconditioned == []
    by_sid = {s["Sid"]: s for s in statements}
    assert by_sid["ChangeOnlyMeshMembers"]["Condition"] == {
        "Null": {f"aws:ResourceTag/{mesh_plan.MEMBER_TAG}": "false"}
    }
    assert set(by_sid["ChangeOnlyMeshMembers"]["Action"]) == {
        "mq:UpdateConfiguration",
        "mq:UpdateBroker",
        "mq:RebootBroker",
    }
    assert by_sid["NetworkInterfacesOnlyThroughAmazonMQ"]["Condition"] == {"Bool": {"aws:ViaAWSService": "true"}}


# --- finding 7: one bounded reader ----------------------------------------------------------------


def test_the_source_configuration_is_read_with_the_rules_bounded_reader(mq: Any) -> None:
    bomb = '<?xml version="1.0"?><!DOCTYPE b [<!ENTITY a "aaaaaaaaaa">]><broker>&a;</broker>'
    broker_id = _source(mq, "orders")
    emulator.apply_configuration(mq, broker_id, bomb)
    with pytest.raises(mesh_plan.MeshError, match=r"cannot be read|cannot be copied|forbidden construct \(DTD\)"):
        description, users, xml = mesh_plan.read_source(mq, broker_id)
        mesh_plan.plan_mesh(description, users, xml, emulator.REGION)
    huge = base64.b64encode(b"<broker>" + b" " * (1024 * 1024 + 10) + b"</broker>").decode()
    with pytest.raises(mesh_plan.MeshError, match="larger than 1024 KiB"):
        mesh_plan.mesh_xml(base64.b64decode(huge).decode(), [], "admin")
    with pytest.raises(mesh_plan.MeshError, match="larger than 1024 KiB"):
        from mq_network.core.configuration_xml import ConfigurationError, decode_revision

        try:
            decode_revision(huge)
        except ConfigurationError as err:
            raise mesh_plan.MeshError(str(err)) from None


# --- finding 8: one definition of member names ---------------------------------------------------


@pytest.mark.parametrize("length", [10, 40, 41, 42, 49, 50])
def test_the_annotation_suggests_the_names_the_remediation_creates(length: int) -> None:
    name = ("n" * (length - 2)) + "-x"
    verdict = decide(BrokerFacts("b-1", name, "SINGLE_INSTANCE"), parse_parameters({}))
    assert f"create a mesh {mesh_plan.member_name(name, 1)}..n" in verdict.annotation
    assert all(len(mesh_plan.member_name(name, i)) <= 50 for i in range(1, 22))


# --- finding 9: plans over CloudFormation's inline limit, offline tries, a useful LDAP refusal ----


def _plan_main(*argv: str) -> tuple[int, str, str]:
    import io

    out, err = io.StringIO(), io.StringIO()
    return plan.main(list(argv), out, err), out.getvalue(), err.getvalue()


def test_a_plan_over_the_inline_limit_says_how_to_deploy_it_from_s3(tmp_path: Path) -> None:
    target = tmp_path / "mesh.json"
    code, out, err = _plan_main("--demo", "--size", "5", "--out", str(target))
    assert code == 0 and out == ""
    size = len(target.read_text().split("\n# What a person must still do", 1)[0].encode())
    if size > plan.TEMPLATE_BODY_LIMIT:
        assert "over the 51,200 bytes CloudFormation takes inline" in err
        assert f"aws cloudformation deploy --template-file {target}" in err
    code, _, err = _plan_main("--demo", "--size", "21", "--out", str(target))
    assert code == 0
    assert "--s3-bucket" in err
    json.loads(target.read_text().split("\n# What a person must still do", 1)[0])  # still a valid template
    code, _, err = _plan_main("--demo", "--size", "2", "--out", str(target))
    assert "--s3-bucket" not in err


def test_demo_plans_offline_and_refuses_a_real_target() -> None:
    code, out, _ = _plan_main("--demo", "--output", "cli")
    assert code == 0 and "cc-project5-broker-Broker-3" in out
    with pytest.raises(SystemExit):
        _plan_main("--demo", "b-123")
    with pytest.raises(SystemExit):
        _plan_main()


def test_the_ldap_refusal_says_what_to_do_instead() -> None:
    description = {
        "BrokerId": "b-1",
        "BrokerName": "orders",
        "EngineType": "ACTIVEMQ",
        "DeploymentMode": "SINGLE_INSTANCE",
        "AuthenticationStrategy": "LDAP",
    }
    with pytest.raises(mesh_plan.MeshError) as caught:
        mesh_plan.plan_mesh(description, [{"Username": "admin"}], "<broker/>", "us-east-1")
    message = str(caught.value)
    assert "no plan is printed" in message
    assert "orders-Broker-1, orders-Broker-2, orders-Broker-3" in message
    assert "networkConnectors" in message
