"""Issue 12: mq-network-audit as a gate people can trust. One test (or set) per finding."""

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
from mq_network_tools.audit import cli as audit
from mq_network_tools.audit import sessions as audit_sessions
from mq_network_tools.demo import emulator
from mq_network_tools.demo.emulator import BrokerSeed

BIN = Path(sys.executable).parent


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = audit.main(list(argv), out, err)
    return status, out.getvalue(), err.getvalue()


def refuse(monkeypatch: pytest.MonkeyPatch, operation: str, when: Any) -> None:
    """Sessions whose `operation` is refused (AccessDenied) for requests `when` picks."""

    def answer(request: Any, **_: Any) -> Any:
        return faults.error_answer(operation.split(".", maxsplit=1)[0], 403, "AccessDenied") if when(request) else None

    def session(**kwargs: Any) -> Any:
        made = boto3.Session(**kwargs)
        made.events.register_first(f"before-send.{operation}", answer)
        return made

    monkeypatch.setattr(audit_sessions, "make_session", session)


# --- 1. fails closed ------------------------------------------------------------------------------


def test_a_denied_region_holding_the_non_compliant_broker_fails_the_gate(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator.seed_brokers(boto3.client("mq", region_name="us-east-1"), [BrokerSeed("a-Broker-1")])
    emulator.seed_brokers(boto3.client("mq", region_name="eu-west-1"), [BrokerSeed("lonely")])
    refuse(monkeypatch, "mq.ListBrokers", lambda request: ".eu-west-1." in request.url)
    status, out, err = run_cli("--regions", "us-east-1,eu-west-1")
    assert status == 3
    assert "read 1 of 1 account and 1 of 2 regions, 1 failure" in out
    assert "error: account 123456789012 region eu-west-1: AccessDenied" in err


def test_one_refused_account_of_two_fails_the_gate_and_is_counted(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    refuse(monkeypatch, "sts.AssumeRole", lambda request: "222222222222" in str(request.body))
    status, out, err = run_cli(
        "--role-name",
        "mq-audit",
        "--accounts",
        "111111111111,222222222222",
        "--regions",
        "us-east-1",
        "--output",
        "json",
    )
    assert status == 3
    document = json.loads(out)
    assert document["summary"]["accounts_requested"] == 2
    assert document["summary"]["accounts_read"] == 1
    assert document["failures"][0]["account"] == "222222222222"
    assert document["failures"][0]["region"] == "*"
    assert "read 1 of 2 accounts" in err


# --- 2. regions validated before any call, no traceback -------------------------------------------


@pytest.mark.parametrize("regions", ["xx-bogus-1", "us-east-1,xx-bogus-1"])
@pytest.mark.parametrize("where", [["--demo"], ["--endpoint-url", "http://127.0.0.1:9"]])
def test_unknown_regions_are_refused_with_the_known_ones(regions: str, where: list[str]) -> None:
    status, out, err = run_cli(*where, "--regions", regions)
    assert status == 2
    assert out == ""
    assert "unknown region(s) xx-bogus-1; known regions: " in err
    assert "eu-west-1" in err and "us-east-1" in err


def test_region_names_are_normalised_and_an_empty_list_is_refused(aws: None) -> None:
    emulator.seed_brokers(boto3.client("mq", region_name="us-east-1"), [BrokerSeed("a-Broker-1")])
    status, out, _ = run_cli("--regions", "US-EAST-1", "--output", "json")
    assert status == 0
    assert [row["region"] for row in json.loads(out)["results"]] == ["us-east-1"]
    status, _, err = run_cli("--regions", ",")
    assert status == 2
    assert "--regions is empty" in err


BAD_OPTIONS = [
    ["--regions", "xx-bogus-1"],
    ["--regions", ",,"],
    ["--regions", "all,us-east-1"],
    ["--profile", "no-such-profile", "--regions", "us-east-1"],
    ["--role-name", "bad role", "--accounts", "111111111111"],
    ["--role-name", "r", "--accounts", "x"],
    ["--role-name", "r", "--accounts", "111111111111", "--partition", "aws-nowhere", "--regions", "us-east-1"],
    ["--endpoint-url", "not a url", "--regions", "us-east-1"],
    ["--endpoint-url", "http://127.0.0.1:9", "--regions", "us-east-1"],
    ["--broker-name-pattern", "("],
    ["--broker-name-pattern", "(a+)+"],
    ["--allowed-deployment-modes", "MESH"],
    ["--check-mode", "graph"],
    ["--minimum-network-size", "1"],
    ["--scope-tag-value", "x"],
    ["--demo", "--endpoint-url", "http://127.0.0.1:9"],
    ["--demo", "--profile", "x"],
    ["--demo", "--role-name", "r", "--accounts", "111111111111"],
    ["--demo", "--regions", "xx-bogus-1"],
]


@pytest.mark.parametrize("argv", BAD_OPTIONS, ids=" ".join)
def test_no_bad_value_of_any_option_reaches_the_user_as_a_traceback(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    status, out, err = run_cli(*argv)  # an exception escaping main() fails this test
    assert status in (2, 3), (status, err)
    assert "Traceback" not in err + out
    assert err.startswith(("mq-network-audit: ", "error: "))


# --- 3. the demo is isolated ----------------------------------------------------------------------


def test_the_demo_never_writes_to_an_endpoint_in_the_environment(
    moto_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    status, out, _ = run_cli("--demo")
    assert status == 1 and "orders-Broker-1" in out
    client = boto3.client("mq", region_name="us-east-1", endpoint_url=moto_server)
    assert client.list_brokers()["BrokerSummaries"] == []
    assert os.environ["AWS_ENDPOINT_URL"] == moto_server  # restored for the rest of the process


@pytest.mark.parametrize("option", [["--endpoint-url", "http://127.0.0.1:9"], ["--profile", "p"], ["--role-name", "r"]])
def test_the_demo_refuses_options_that_point_elsewhere(option: list[str]) -> None:
    status, _, err = run_cli("--demo", *option)
    assert status == 2
    assert "--demo audits its own emulated account in this process" in err


# --- 4. docs/audit.md's moto-server example, from `make demo` alone --------------------------------


def test_endpoint_url_needs_no_credentials_and_no_default_region(moto_server: str, tmp_path: Path) -> None:
    client = boto3.client("mq", region_name="eu-west-1", endpoint_url=moto_server)
    emulator.seed_brokers(client, [BrokerSeed("lonely")])
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_CONFIG_FILE=str(tmp_path / "none"), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"))
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    done = subprocess.run(
        [str(BIN / "mq-network-audit"), "--endpoint-url", moto_server, "--regions", "eu-west-1", "--output", "csv"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert [row["name"] for row in csv.DictReader(io.StringIO(done.stdout))] == ["lonely"]
    assert (BIN / "moto_server").exists()  # installed by requirements-demo.txt


# --- 5. output hygiene ----------------------------------------------------------------------------

HOSTILE = ["\x1b[31mred\x1b[0m", "two\nlines", '=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "tab\tbed"]


def test_names_from_aws_cannot_drive_a_terminal_or_a_spreadsheet(aws: None) -> None:
    client = boto3.client("mq", region_name="us-east-1")
    emulator.seed_brokers(client, [BrokerSeed(name) for name in HOSTILE])  # moto checks no names
    _, table, _ = run_cli("--regions", "us-east-1", "--allow-partial")
    assert "\x1b" not in table and "\\x1b[31mred" in table
    assert "two\\nlines" in table
    assert len(table.splitlines()) == len(HOSTILE) + 2  # header, one line per broker, summary
    _, text, _ = run_cli("--regions", "us-east-1", "--output", "csv")
    names = [row["name"] for row in csv.DictReader(io.StringIO(text))]
    assert sorted(names) == sorted(
        ["\\x1b[31mred\\x1b[0m", "two\\nlines", '\'=HYPERLINK("http://x")', "'+1", "'-2", "'@SUM(A1)", "tab\\tbed"]
    )
    _, text, _ = run_cli("--regions", "us-east-1", "--output", "json")
    assert sorted(row["name"] for row in json.loads(text)["results"]) == sorted(HOSTILE)  # JSON: unchanged


def test_every_character_a_terminal_or_a_spreadsheet_could_obey_is_escaped_and_no_other() -> None:
    """On every code point: control characters, lone surrogates, format characters (bidirectional
    overrides, zero-width ones) and line and paragraph separators are escaped; nothing else is, so a
    text str.isprintable accepts comes back as it is."""
    import unicodedata

    from mq_network_tools.cli_options import printable

    escaped = {chr(c) for c in range(0x110000) if printable(chr(c)) != chr(c)}
    expected = {chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) in ("Cc", "Cs", "Cf", "Zl", "Zp")}
    assert escaped == expected
    assert {chr(c) for c in (*range(0x20), *range(0x7F, 0xA0), 0x202E, 0x2028, 0x200B, 0xFEFF)} <= escaped
    assert printable("orders-Broker-1 ok \u00e9 \u00a0\u4e2d") == "orders-Broker-1 ok \u00e9 \u00a0\u4e2d"
    assert printable("a\x1b[2Jb\ud800\x85\n") == "a\\x1b[2Jb\\ud800\\x85\\n"
    # A row a terminal would show reversed, a second row, a formula behind an invisible character:
    assert printable("evil\u202eexe.txt") == "evil\\u202eexe.txt"
    assert printable("x\u2028y") == "x\\u2028y"
    assert printable("\u200b=HYPERLINK(1)") == "\\u200b=HYPERLINK(1)"
    assert printable("\U000e0041") == "\\U000e0041"  # a tag character: eight digits, not an ambiguous five


# --- 6. small things ------------------------------------------------------------------------------


def test_one_broker_is_one_broker(aws: None) -> None:
    emulator.seed_brokers(boto3.client("mq", region_name="us-east-1"), [BrokerSeed("a-Broker-1")])
    _, out, _ = run_cli("--regions", "us-east-1")
    assert out.splitlines()[-1].startswith("1 broker: 1 compliant")


def test_the_demos_parameter_error_is_printed_once() -> None:
    done = subprocess.run(
        [str(BIN / "mq-network-demo"), "--rule-parameters", '{"CheckMode": "graph"}'],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 1
    assert (done.stdout + done.stderr).count("CheckMode 'graph' must be one of") == 1
    assert "{'internalErrorMessage'" not in done.stdout + done.stderr


def test_python_dash_m_runs_the_tools() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mq_network_tools", "audit", "--demo", "--output", "json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert len(json.loads(done.stdout)["results"]) == 10
    usage = subprocess.run([sys.executable, "-m", "mq_network_tools"], capture_output=True, text=True, check=False)
    assert usage.returncode == 2 and "audit" in usage.stderr


# --- layout ---------------------------------------------------------------------------------------


def test_the_demo_module_does_not_import_the_audit_and_the_package_holds_no_fault_injection() -> None:
    text = (Path(audit.__file__).parent / "demo_organization.py").read_text()
    assert "import cli" not in text
    assert "audit.cli" not in text
    for name in ("failing_answers", "error_answer", "http_answer", "config_history"):
        assert not hasattr(emulator, name)
