"""mq-network-audit end to end through its console entry point."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest

import faults
from mq_network.core.parameters import ParameterError, parse_parameters
from mq_network_tools.audit import cli as audit
from mq_network_tools.audit import rows as audit_rows
from mq_network_tools.audit import sessions as audit_sessions
from support import emulator
from support.emulator import BrokerSeed

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = audit.main(list(argv), out, err)
    return status, out.getvalue(), err.getvalue()


def test_demo_table_lists_both_regions_with_a_summary() -> None:
    status, out, err = run_cli("--demo")
    assert status == 1  # the demo holds non-compliant brokers
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["ACCOUNT", "REGION", "BROKER", "ID"]
    regions = {line.split()[1] for line in lines[1:-1]}
    assert regions == {"us-east-1", "eu-west-1"}
    assert lines[-1].startswith(
        "10 brokers: 5 compliant, 4 non-compliant, 1 not applicable; read 1 of 1 account and 2 of 2 regions, "
        "0 failures;"
    )
    assert "\033[" not in out  # no colour when stdout is not a terminal
    assert err == ""


def test_json_output_parses_back_one_object_per_broker() -> None:
    status, out, err = run_cli("--demo", "--output", "json", "--check-mode", "connectors")
    document = json.loads(out)
    assert set(document) == {"results", "failures", "summary"}
    assert document["failures"] == []
    assert document["summary"]["regions_read"] == 2
    rows = document["results"]
    assert status == 1
    assert len(rows) == 10
    assert set(rows[0]) == {*audit_rows.FIELDS, "links"}
    by_name = {row["name"]: row for row in rows}
    assert by_name["lonely-Broker-1"]["verdict"] == "NON_COMPLIANT"
    assert by_name["dr-Broker-1"]["verdict"] == "COMPLIANT"  # linked across regions
    assert by_name["dr-Broker-1"]["region"] == "eu-west-1"
    # Its peer is in the other region the audit read itself: verified, named with account and region.
    assert f"({emulator.ACCOUNT_ID} us-east-1)" in by_name["dr-Broker-1"]["annotation"]
    assert "(external)" not in by_name["dr-Broker-1"]["annotation"]
    assert "10 brokers:" in err  # the summary stays off stdout for machine formats


def test_csv_output_parses_back() -> None:
    status, out, _ = run_cli("--demo", "--output", "csv", "--regions", "eu-west-1")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [row["name"] for row in rows] == ["billing", "dr-Broker-1"]
    assert {row["region"] for row in rows} == {"eu-west-1"}
    assert status == 1


def test_exit_zero_when_nothing_is_non_compliant() -> None:
    status, out, _ = run_cli("--demo", "--scope-tag-key", "team")
    assert status == 0
    assert "0 non-compliant" in out


@pytest.mark.parametrize(
    ("argv", "parameters"),
    [
        (["--check-mode", "graph"], {"CheckMode": "graph"}),
        (["--minimum-network-size", "1"], {"MinimumNetworkSize": "1"}),
        (["--broker-name-pattern", "("], {"BrokerNamePattern": "("}),
        (["--scope-tag-value", "prod"], {"ScopeTagValue": "prod"}),
        (["--allowed-deployment-modes", "MESH"], {"AllowedDeploymentModes": "MESH"}),
    ],
)
def test_parameter_errors_are_the_rules_own(argv: list[str], parameters: dict[str, str]) -> None:
    with pytest.raises(ParameterError) as rule_error:
        parse_parameters(parameters)
    status, out, err = run_cli("--demo", *argv)
    assert status == 2
    assert out == ""
    assert err == f"mq-network-audit: {rule_error.value}\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--accounts", "111111111111"], "--accounts needs --role-name"),
        (["--role-name", "audit"], "--role-name needs --accounts"),
        (["--role-name", "audit", "--accounts", "12345"], "--accounts takes 12-digit account IDs"),
        (["--role-name", "arn:aws:iam::1:role/x", "--accounts", "111111111111"], "--role-name 'arn:aws:iam::1:role/x'"),
    ],
)
def test_usage_errors(aws: None, argv: list[str], message: str) -> None:
    status, _, err = run_cli("--regions", "us-east-1", *argv)
    assert status == 2
    assert message in err


def test_unknown_option_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as caught:
        audit.main(["--colour"], io.StringIO(), io.StringIO())
    assert caught.value.code == 2


def test_no_credentials_is_exit_two(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",  # no credential source may reach for the network
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never probe an instance metadata address
    status, out, err = run_cli("--regions", "us-east-1")
    assert status == 2
    assert out == ""
    assert "no AWS credentials for current" in err


def seed_regions(regions: dict[str, list[str]]) -> None:
    for region, names in regions.items():
        emulator.seed_brokers(boto3.client("mq", region_name=region), [BrokerSeed(n) for n in names])


def deny_list_brokers(monkeypatch: pytest.MonkeyPatch, regions: set[str]) -> None:
    """Sessions whose ListBrokers is refused in `regions` (an SCP or a disabled region would do that)."""

    def refuse(request: Any, **_: Any) -> Any:
        if any(f".{region}." in request.url for region in regions):
            return faults.error_answer("mq", 403, "AccessDeniedException")
        return None

    def session(**kwargs: Any) -> Any:
        made = boto3.Session(**kwargs)
        made.events.register_first("before-send.mq.ListBrokers", refuse)
        return made

    monkeypatch.setattr(audit_sessions, "make_session", session)


def test_a_failing_region_is_reported_and_the_rest_goes_on(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    seed_regions({"us-east-1": ["a-Broker-1"], "eu-west-1": ["b-Broker-1"], "ap-south-1": ["c-Broker-1"]})
    deny_list_brokers(monkeypatch, {"eu-west-1"})
    status, out, err = run_cli("--regions", "us-east-1,eu-west-1,ap-south-1", "--output", "json")
    assert status == 3  # the gate fails closed: a region it could not read may hold a non-compliant broker
    document = json.loads(out)
    assert {row["region"] for row in document["results"]} == {"us-east-1", "ap-south-1"}
    assert document["failures"] == [
        {
            "account": "123456789012",
            "region": "eu-west-1",
            "reason": "AccessDeniedException: injected AccessDeniedException",
        }
    ]
    assert "error: account 123456789012 region eu-west-1: AccessDeniedException" in err
    assert "2 brokers: 2 compliant, 0 non-compliant, 0 not applicable; read 1 of 1 account and 2 of 3 regions" in err
    status, _, _ = run_cli("--regions", "us-east-1,eu-west-1,ap-south-1", "--allow-partial")
    assert status == 0  # what could be read is compliant, and partial reads were accepted


def test_nothing_readable_is_exit_three(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    deny_list_brokers(monkeypatch, {"us-east-1", "eu-west-1"})
    status, _, err = run_cli("--regions", "us-east-1,eu-west-1")
    assert status == 3
    assert err.count("error: account 123456789012 region") == 2


def counted_sessions(monkeypatch: pytest.MonkeyPatch, *hooks: tuple[str, Any]) -> dict[str, int]:
    """Sessions that count every call ("mq.ListBrokers": n) and carry `hooks` (event, handler)."""
    calls: dict[str, int] = {}

    def count(event_name: str, **_: Any) -> None:
        operation = event_name.split(".", 1)[1]
        calls[operation] = calls.get(operation, 0) + 1

    def session(**kwargs: Any) -> Any:
        made = boto3.Session(**kwargs)
        made.events.register("before-parameter-build", count)
        for event, handler in hooks:
            made.events.register_first(event, handler)
        return made

    monkeypatch.setattr(audit_sessions, "make_session", session)
    return calls


def test_the_current_account_is_read_from_the_brokers_arns_without_sts(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 21's floor: the audit of the current credentials costs ListBrokers alone, no STS client or call."""
    seed_regions({"us-east-1": ["a-Broker-1", "lonely"]})
    calls = counted_sessions(monkeypatch)
    status, out, _ = run_cli("--regions", "us-east-1", "--output", "json")
    assert status == 1
    assert {row["account"] for row in json.loads(out)["results"]} == {emulator.ACCOUNT_ID}
    assert calls == {"mq.ListBrokers": 1}


def other_arns(how: str) -> Any:
    """ListBrokers' answer with BrokerArn removed, malformed, or naming another account for one broker."""

    def rewrite(parsed: dict[str, Any], **_: Any) -> None:
        first = parsed["BrokerSummaries"][0]
        if how == "missing":
            first.pop("BrokerArn")
        elif how == "malformed":
            first["BrokerArn"] = "not-an-arn"
        else:
            first["BrokerArn"] = first["BrokerArn"].replace(emulator.ACCOUNT_ID, "999999999999")

    return rewrite


@pytest.mark.parametrize("how", ["missing", "malformed", "another account"])
def test_an_account_the_arns_cannot_name_is_asked_of_sts(aws: None, monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    seed_regions({"us-east-1": ["a-Broker-1", "lonely"]})
    calls = counted_sessions(monkeypatch, ("after-call.mq.ListBrokers", other_arns(how)))
    status, out, _ = run_cli("--regions", "us-east-1", "--output", "json")
    assert status == 1
    assert {row["account"] for row in json.loads(out)["results"]} == {emulator.ACCOUNT_ID}
    assert calls == {"mq.ListBrokers": 1, "sts.GetCallerIdentity": 1}


def test_an_account_neither_arns_nor_sts_can_name_is_not_read(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail closed: rows that cannot say whose they are are not shown; the account is a failure, exit 3."""
    seed_regions({"us-east-1": ["a-Broker-1", "lonely"]})

    def refuse(**_: Any) -> Any:
        return faults.error_answer("sts", 403, "AccessDenied")

    counted_sessions(
        monkeypatch, ("after-call.mq.ListBrokers", other_arns("missing")), ("before-send.sts.GetCallerIdentity", refuse)
    )
    status, out, err = run_cli("--regions", "us-east-1", "--output", "json")
    assert status == 3
    document = json.loads(out)
    assert document["results"] == []
    assert document["failures"] == [
        {"account": "current", "region": "*", "reason": "AccessDenied: injected AccessDenied"}
    ]
    assert "read 0 of 1 account and 0 of 1 region, 1 failure" in err


def test_assumed_roles_in_several_accounts(aws: None) -> None:
    sts = boto3.client("sts")
    for account, names in (("111111111111", ["one-Broker-1"]), ("222222222222", ["two-a", "two-b"])):
        creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/seed", RoleSessionName="seed")["Credentials"]
        client = boto3.client(
            "mq",
            region_name="us-east-1",
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        )
        emulator.seed_brokers(client, [BrokerSeed(n) for n in names])
    status, out, _ = run_cli(
        "--role-name",
        "mq-audit",
        "--accounts",
        "111111111111,222222222222",
        "--regions",
        "us-east-1",
        "--output",
        "json",
    )
    rows = json.loads(out)["results"]
    assert sorted((row["account"], row["name"]) for row in rows) == [
        ("111111111111", "one-Broker-1"),
        ("222222222222", "two-a"),
        ("222222222222", "two-b"),
    ]
    assert status == 1


def test_all_regions_come_from_describe_regions(aws: None) -> None:
    seed_regions({"us-east-1": ["a-Broker-1"], "sa-east-1": ["b-Broker-1"]})
    status, out, err = run_cli("--regions", "all", "--output", "json")
    rows = json.loads(out)["results"]
    assert {row["region"] for row in rows} == {"us-east-1", "sa-east-1"}
    enabled = boto3.client("ec2", region_name="us-east-1").describe_regions()["Regions"]
    assert f"read 1 of 1 account and {len(enabled)} of {len(enabled)} regions" in err
    assert status == 0


def test_progress_and_colour_only_on_a_terminal(aws: None) -> None:
    seed_regions({"us-east-1": ["lonely"], "eu-west-1": ["x-Broker-1"]})
    out, err = Terminal(), Terminal()
    status = audit.main(["--regions", "us-east-1,eu-west-1"], out, err)
    assert status == 1
    assert "[2/2]" in err.getvalue()
    assert "\033[31mNON_COMPLIANT" in out.getvalue()
    assert "\033[32mCOMPLIANT" in out.getvalue()


def test_the_audit_loads_only_what_its_source_and_output_use(moto_server: str) -> None:
    """Issue 21's floor: a name-mode audit loads no connector reading, no other source and no other output
    (json and csv are not in the list: boto3 loads both, through importlib.metadata and its parsers)."""
    emulator.seed_brokers(
        boto3.client("mq", region_name="us-east-1", endpoint_url=moto_server), [BrokerSeed("a-Broker-1")]
    )
    env = {
        **os.environ,
        **emulator.FAKE_CREDENTIALS,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": moto_server,
    }
    lazy = (
        "mq_network_tools.audit.picture",
        "mq_network_tools.audit.aggregator",
        "mq_network.core.connectors",
        "mq_network.core.uris",
        "mq_network.core.configuration_xml",
        "mq_network.core.network",
        "mq_network.aws.peer_lookup",
    )
    loaded = {}
    for output in ("table", "csv", "html"):
        probe = (
            "import io, sys, json; from mq_network_tools.audit.cli import main; "
            f"status = main(['--regions', 'us-east-1', '--output', {output!r}], io.StringIO(), io.StringIO()); "
            f"print(json.dumps([status, [m for m in {lazy!r} if m in sys.modules]]))"
        )
        done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
        loaded[output] = json.loads(done.stdout)
    assert loaded == {
        "table": [0, []],
        "csv": [0, []],
        "html": [0, ["mq_network_tools.audit.picture"]],
    }


def test_endpoint_url_against_a_moto_server(moto_server: str) -> None:
    for region, names in {"us-east-1": ["a-Broker-1", "lonely"], "eu-west-1": ["b-Broker-2"]}.items():
        client = boto3.client("mq", region_name=region, endpoint_url=moto_server)
        emulator.seed_brokers(client, [BrokerSeed(n) for n in names])
    env = {**os.environ, **emulator.FAKE_CREDENTIALS, "AWS_DEFAULT_REGION": "us-east-1"}
    env.pop("AWS_ENDPOINT_URL", None)
    command = [str(BIN / "mq-network-audit"), "--regions", "us-east-1,eu-west-1", "--output", "csv"]
    flagged = subprocess.run(
        [*command, "--endpoint-url", moto_server], env=env, capture_output=True, text=True, check=False
    )
    assert flagged.returncode == 1, flagged.stderr
    rows = list(csv.DictReader(io.StringIO(flagged.stdout)))
    assert sorted((row["region"], row["name"], row["verdict"]) for row in rows) == [
        ("eu-west-1", "b-Broker-2", "COMPLIANT"),
        ("us-east-1", "a-Broker-1", "COMPLIANT"),
        ("us-east-1", "lonely", "NON_COMPLIANT"),
    ]
    from_env = subprocess.run(
        command, env={**env, "AWS_ENDPOINT_URL": moto_server}, capture_output=True, text=True, check=False
    )
    assert from_env.stdout == flagged.stdout
