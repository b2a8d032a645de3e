"""The project's records agree: rdk_config.json, parameters.json, the code, the README; the rule
folder holds only what Lambda runs; the demo prints what a person should see."""

from __future__ import annotations

import io
import json
import re
import subprocess
from pathlib import Path

from mq_network.core.parameters import SPECS_BY_NAME
from mq_network.core.vocabulary import RESOURCE_TYPE
from mq_network_tools.demo import cli as demo

ROOT = Path(__file__).resolve().parent.parent
RDK_CONFIG = json.loads((ROOT / "rdk_config.json").read_text())
RDK_PARAMETERS = json.loads((ROOT / "MQ_NETWORK_OF_BROKERS" / "parameters.json").read_text())
README = (ROOT / "README.md").read_text()


def test_rdk_parameters_json_agrees_with_rdk_config() -> None:
    rule = RDK_PARAMETERS["Parameters"]
    assert RDK_PARAMETERS["Version"] == "1.0"
    assert rule["RuleName"] == RDK_CONFIG["RuleName"] == "MQ_NETWORK_OF_BROKERS"
    assert rule["SourceRuntime"] == RDK_CONFIG["Runtime"] + "-lib"
    assert rule["SourceEvents"] == ",".join(RDK_CONFIG["ResourceTypes"]) == RESOURCE_TYPE
    assert rule["SourcePeriodic"] == RDK_CONFIG["DefaultMaximumExecutionFrequency"]
    given = {**json.loads(rule["InputParameters"]), **json.loads(rule["OptionalParameters"])}
    assert given == {p["Name"]: p["Default"] for p in RDK_CONFIG["Parameters"]}
    assert set(json.loads(rule["OptionalParameters"])) == {
        p["Name"] for p in RDK_CONFIG["Parameters"] if not p["Default"]
    }


def test_readme_documents_every_parameter_with_its_default() -> None:
    table = README.split("## Parameters", 1)[1].split("\n## ", 1)[0]
    rows = dict(re.findall(r"^\| `(\w+)` \| `([^`]*)`", table, re.MULTILINE))
    assert rows == {p["Name"]: p["Default"] for p in RDK_CONFIG["Parameters"]}
    for parameter in RDK_CONFIG["Parameters"]:
        assert parameter["Name"] in SPECS_BY_NAME


def test_readme_gives_the_two_commands_and_ci_runs_the_test_one() -> None:
    assert "make demo" in README
    assert "make test" in README
    ci = (ROOT / ".ci" / "run").read_text()
    assert [line for line in ci.splitlines() if line.startswith("make ")] == ["make test"]


def test_rule_folder_holds_only_what_lambda_and_rdk_need() -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "MQ_NETWORK_OF_BROKERS"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    allowed = re.compile(
        r"MQ_NETWORK_OF_BROKERS/(MQ_NETWORK_OF_BROKERS(_test)?\.py|parameters\.json|requirements\.txt"
        r"|mq_network/(\w+/)?\w+\.py|mq_network/core/rule_metadata\.json)$"
    )
    assert tracked
    assert [path for path in tracked if not allowed.match(path)] == []
    requirements = (ROOT / "MQ_NETWORK_OF_BROKERS" / "requirements.txt").read_text()
    pinned = [line for line in requirements.splitlines() if line and not line.startswith("#")]
    assert all("==" in line for line in pinned)
    assert not any(line.startswith(("moto", "pytest")) for line in pinned)


def test_handler_import_path_stays_free_of_test_and_parsing_libraries() -> None:
    probe = (
        "import sys; sys.path.insert(0, 'MQ_NETWORK_OF_BROKERS'); import MQ_NETWORK_OF_BROKERS; "
        "heavy = ('moto', 'pytest', 'hypothesis', 'mq_network_tools'); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))"
    )
    out = subprocess.run([sys_executable(), "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# What only connector checks use: the connector reader, the URI reader, the XML reader, the graph; and
# what only templates use (name shapes). A name-mode run must load none of them (cold start, issue 20).
CONNECTOR_MODULES = (
    "mq_network.core.connectors",
    "mq_network.core.uris",
    "mq_network.core.configuration_xml",
    "mq_network.core.network",
    "mq_network.core.name_shape",
)


def test_a_name_mode_run_of_the_handler_loads_nothing_connectors_need() -> None:
    """The handler's import, then a whole scheduled run in name mode, leave the connector reading
    unloaded; a run in connectors mode, in the same process, loads it (so the probe can see it)."""
    probe = (
        "import sys; sys.path.insert(0, 'MQ_NETWORK_OF_BROKERS'); import json; "
        "from mq_network_tools.demo import cli as demo; "
        f"lazy = {CONNECTOR_MODULES!r}; loaded = lambda: [m for m in lazy if m in sys.modules]; "
        "import MQ_NETWORK_OF_BROKERS; imported = loaded(); "
        "result, _, _ = demo.run_demo(); assert isinstance(result, list) and result, result; named = loaded(); "
        "demo.run_demo({'CheckMode': 'connectors'}); "
        "print(json.dumps([imported, named, loaded()]))"
    )
    out = subprocess.run([sys_executable(), "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    imported, named, connectors = json.loads(out.stdout)
    assert imported == []
    assert named == []
    assert {"mq_network.core.connectors", "mq_network.core.network", "mq_network.core.uris"} <= set(connectors)


def test_the_hook_in_name_mode_reads_no_connector() -> None:
    """The hook's name-mode verdict loads no connector, URI or XML reader (the graph's types may load)."""
    probe = (
        "import sys, json; sys.path.insert(0, 'MQ_NETWORK_OF_BROKERS'); sys.path.insert(0, 'tests'); "
        "from helpers import hook_request; from mq_network import hook; "
        "answer = hook.lambda_handler(hook_request({'BrokerName': 'lonely', 'DeploymentMode': 'SINGLE_INSTANCE', "
        "'EngineType': 'ACTIVEMQ'})); "
        f"print(json.dumps([answer['hookStatus'], [m for m in {CONNECTOR_MODULES[:3]!r} if m in sys.modules]]))"
    )
    out = subprocess.run([sys_executable(), "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == ["FAILED", []]


def sys_executable() -> str:
    import sys

    return sys.executable


def test_demo_prints_the_console_view() -> None:
    out = io.StringIO()
    assert demo.main([], out) == 0
    text = out.getvalue()
    verdict = r"^[\w-]+\s+\w+\s+(NON_COMPLIANT|COMPLIANT|NOT_APPLICABLE)\s"
    rows = {line.split()[0]: line.split()[2] for line in text.splitlines() if re.match(verdict, line)}
    assert rows == {
        "cc-project5-broker": "NON_COMPLIANT",
        "cc-multi-az-broker": "NON_COMPLIANT",
        "cc-production-broker": "NON_COMPLIANT",
        "lonely-Broker-1": "COMPLIANT",
        "orders-Broker-1": "COMPLIANT",
        "orders-Broker-2": "COMPLIANT",
        "orders-Broker-3": "COMPLIANT",
        "events-rabbit": "NOT_APPLICABLE",
    }
    assert "8 brokers: 4 compliant, 3 non-compliant, 1 not applicable." in text
    calls = "config-service:GetComplianceDetailsByConfigRule 1, config-service:PutEvaluations 1, mq:ListBrokers 1"
    assert f"API calls: {calls}" in text


def test_demo_in_connectors_mode_sees_the_lonely_broker() -> None:
    out = io.StringIO()
    assert demo.main(["--rule-parameters", '{"CheckMode": "connectors"}'], out) == 0
    lonely = next(line for line in out.getvalue().splitlines() if line.startswith("lonely-Broker-1"))
    assert "NON_COMPLIANT" in lonely


def test_demo_reports_bad_parameters() -> None:
    out = io.StringIO()
    assert demo.main(["--rule-parameters", '{"CheckMode": "graph"}'], out) == 1
    assert "CheckMode 'graph' must be one of" in out.getvalue()


def test_every_test_the_rules_scenario_list_names_exists() -> None:
    """The entry file's docstring names a test for each scenario: each must be a real test function
    (or a method of a real test class), so that the list cannot rot as tests are renamed."""
    import ast

    entry = ROOT / "MQ_NETWORK_OF_BROKERS" / "MQ_NETWORK_OF_BROKERS.py"
    doc = ast.get_docstring(ast.parse(entry.read_text())) or ""
    named = re.findall(r"^\s*([\w/]+\.py)::([\w.]+)\s*$", doc, re.M)
    assert len(named) >= 20, "the scenario list names the tests that prove it"
    missing = []
    for path, dotted in named:
        source = ROOT / path
        if not source.is_file():
            missing.append(f"{path} (no such file)")
            continue
        scope: list[ast.stmt] = ast.parse(source.read_text()).body
        for part in dotted.split("."):
            found = next((n for n in scope if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == part), None)
            if found is None:
                missing.append(f"{path}::{dotted}")
                break
            scope = found.body
        else:
            assert dotted.split(".")[-1].startswith("test"), f"{path}::{dotted} is not a test"
    assert missing == []
