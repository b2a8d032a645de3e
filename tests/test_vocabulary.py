"""One vocabulary, one definition of each shared concept, a core the tools reach through its public
API, and an entry file that holds only the rule (issue 20, points 1, 3 and 6)."""

from __future__ import annotations

import ast
import base64
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from mq_network import core
from mq_network.core import configuration_xml, parameters, predeploy, vocabulary
from mq_network.core.connectors import parse_connectors

ROOT = Path(__file__).resolve().parent.parent
RULE = ROOT / "MQ_NETWORK_OF_BROKERS"
PACKAGE = RULE / "mq_network"
TOOLS = ROOT / "src" / "mq_network_tools"
# Emulated AWS answers for tests and the demo, written as AWS writes them (tests/ is not scanned either).
_TEST_SUPPORT = {TOOLS / "demo" / "emulator.py", TOOLS / "audit" / "demo_organization.py"}


def _code() -> list[Path]:
    paths = [RULE / "MQ_NETWORK_OF_BROKERS.py", *PACKAGE.rglob("*.py"), *TOOLS.rglob("*.py")]
    return [p for p in paths if p not in _TEST_SUPPORT]


def _constants(tree: ast.AST) -> list[ast.Constant]:
    """Every constant of a module but its docstrings."""
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [n for n in ast.walk(tree) if isinstance(n, ast.Constant) and id(n) not in docstrings]


WORDS = {
    vocabulary.COMPLIANT,
    vocabulary.NON_COMPLIANT,
    vocabulary.NOT_APPLICABLE,
    vocabulary.UNKNOWN,
    vocabulary.RESOURCE_TYPE,
    *vocabulary.CURRENT_STATUSES,
    *vocabulary.GONE_STATUSES,
    vocabulary.MEMBER_SUFFIX,
}


def test_the_shared_words_are_written_only_in_the_vocabulary() -> None:
    """Verdicts, the resource type, the item statuses, the member suffix and port 61617 are written
    once (vocabulary.py); every other module imports them."""
    found = []
    for path in _code():
        if path in (Path(vocabulary.__file__), Path(core.__file__)):  # the API's names equal the words
            continue
        for node in _constants(ast.parse(path.read_text())):
            value = node.value
            if (isinstance(value, str) and (value in WORDS or ":61617" in value)) or (
                isinstance(value, int) and not isinstance(value, bool) and value == vocabulary.OPENWIRE_PORT
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {value!r}")
    assert found == []


CONCEPTS = {
    "Evidence",
    "NotRead",
    "NOT_READ",
    "Unreadable",
    "Unknown",
    "PeerStatus",
    "NOT_VERIFIED",
    "RESOURCE_TYPE",
    "COMPLIANT",
    "NON_COMPLIANT",
    "NOT_APPLICABLE",
    "UNKNOWN",
    "VERDICTS",
    "OPENWIRE_PORT",
    "MEMBER_SUFFIX",
    "CORE_NAMESPACE",
    "failure_advice",
    "peer_key",
    "connector_uris",
}


def test_each_shared_concept_is_defined_once() -> None:
    """A class, function or module-level name for a shared concept has one definition in the rule
    and the tools (Evidence was in two modules; the not-known types in three)."""
    defined: Counter[str] = Counter()
    where: dict[str, list[str]] = {}
    for path in _code():
        tree = ast.parse(path.read_text())
        for node in tree.body:
            names: list[str] = []
            if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
                names = [node.name]
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names = [t.id for t in targets if isinstance(t, ast.Name)]
            for name in names:
                if name in CONCEPTS and not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Name)):
                    defined[name] += 1
                    where.setdefault(name, []).append(str(path.relative_to(ROOT)))
    assert {name: places for name, places in where.items() if defined[name] > 1} == {}
    assert set(defined) == CONCEPTS


def test_the_four_kinds_of_not_known_live_side_by_side() -> None:
    for kind in (vocabulary.NotRead, vocabulary.Unreadable, vocabulary.Unknown, vocabulary.PeerStatus):
        assert kind.__module__ == "mq_network.core.vocabulary"
        assert kind.__name__ in (vocabulary.__doc__ or "")
    assert "NOT_VERIFIED" in (vocabulary.__doc__ or "")


def test_the_core_imports_no_aws_access_runner_or_third_party_module() -> None:
    """core/ is the standard library only (and RE2, loaded only for a custom BrokerNamePattern):
    decision.py and network.py imported aws/peer_lookup."""
    allowed_roots = set(sys.stdlib_module_names) | {"mq_network", "re2"}
    found = []
    for path in (PACKAGE / "core").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            modules = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and node.level == 0
                else []
            )
            for module in modules:
                if module.split(".")[0] not in allowed_roots or (
                    module.startswith("mq_network.") and not module.startswith("mq_network.core")
                ):
                    found.append(f"{path.name}: {module}")
    assert found == []


# --- one networkConnector reader -------------------------------------------------------------------

FOREIGN = """<broker xmlns="http://activemq.apache.org/schema/core">
  <networkConnectors>
    <networkConnector name="real" uri="static:(ssl://b-1-1.mq.us-east-1.amazonaws.com:61617)" duplex="true"/>
    <x:networkConnector xmlns:x="urn:evil" name="fake" uri="static:(ssl://b-2-1.mq.us-east-1.amazonaws.com:61617)"/>
  </networkConnectors>
  <!-- <networkConnector name="commented" uri="static:(ssl://b-3-1.mq.us-east-1.amazonaws.com:61617)"/> -->
</broker>"""


def test_the_remediation_reads_connectors_with_the_rules_reader() -> None:
    """mesh.connector_uris was a second reader that counted a connector in a foreign namespace."""
    from mq_network_tools.remediate import mesh

    assert mesh.connector_uris is configuration_xml.connector_uris
    uris = configuration_xml.connector_uris(base64.b64encode(FOREIGN.encode()).decode())  # as AWS sends it
    assert uris == ["static:(ssl://b-1-1.mq.us-east-1.amazonaws.com:61617)"]
    assert uris == sorted(c.uri for c in parse_connectors(FOREIGN).connectors)


# --- the public API of the core --------------------------------------------------------------------


def test_the_core_has_a_public_api_listing_every_name() -> None:
    assert len(core.__all__) == len(set(core.__all__)) == len(core._MODULES)
    assert set(core.__all__) == set(core._MODULES)
    for name in core.__all__:
        value = getattr(core, name)
        module = sys.modules[f"mq_network.core.{core._MODULES[name]}"]
        assert getattr(module, name) is value
    with pytest.raises(AttributeError):
        core.no_such_name  # noqa: B018
    typed = {
        alias.name: node.module.rsplit(".", 1)[-1]
        for node in ast.walk(ast.parse(Path(core.__file__).read_text()))
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("mq_network.core.")
        for alias in node.names
    }
    assert typed == core._MODULES  # what type checkers see is what is loaded


def test_importing_the_core_loads_none_of_its_modules() -> None:
    probe = (
        "import sys; sys.path.insert(0, 'MQ_NETWORK_OF_BROKERS'); import mq_network.core as c; "
        "print(sorted(m for m in sys.modules if m.startswith('mq_network.core.')), c.RESOURCE_TYPE)"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["[]", vocabulary.RESOURCE_TYPE]


def test_the_tools_import_the_core_through_its_public_api() -> None:
    found = []
    for path in TOOLS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("mq_network.core."):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.module}")
    assert found == []
    used = {
        alias.name
        for path in TOOLS.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom) and node.module == "mq_network.core"
        for alias in node.names
    }
    assert used <= set(core.__all__)


# --- the pre-deployment decision asks only for check modes that exist -------------------------------


def test_predeploy_asks_decide_only_for_named_check_modes() -> None:
    """predeploy.py invented CheckMode "mode", which CHECK_MODES does not have."""
    allowed = {*parameters.CHECK_MODES, parameters.DEPLOYMENT_MODE_ONLY}
    written = [
        keyword.value.value
        for node in ast.walk(ast.parse(Path(predeploy.__file__).read_text()))
        if isinstance(node, ast.Call)
        for keyword in node.keywords
        if keyword.arg == "check_mode" and isinstance(keyword.value, ast.Constant)
    ]
    assert set(written) <= allowed
    assert parameters.DEPLOYMENT_MODE_ONLY not in parameters.CHECK_MODES
    with pytest.raises(parameters.ParameterError):
        parameters.parse_parameters({"CheckMode": parameters.DEPLOYMENT_MODE_ONLY})
    params = parameters.parse_parameters({})._replace(check_mode=parameters.DEPLOYMENT_MODE_ONLY)
    assert not params.checks_name and not params.checks_connectors


# --- the entry file holds the rule, not a second evaluator -----------------------------------------


def test_the_entry_file_holds_the_scenarios_the_rule_and_a_short_handler() -> None:
    tree = ast.parse((RULE / "MQ_NETWORK_OF_BROKERS.py").read_text())
    defined = [node.name for node in tree.body if isinstance(node, (ast.ClassDef, ast.FunctionDef))]
    assert defined == ["MQ_NETWORK_OF_BROKERS", "lambda_handler"]
    handler = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "lambda_handler")
    assert (handler.end_lineno or 0) - handler.lineno < 5
    assert "Scenarios" in (ast.get_docstring(tree) or "")


def test_the_rules_aws_calls_all_live_in_aws_calls() -> None:
    """The oversized-item inflation called get_resource_config_history from the entry file."""
    calls = []
    for path in [RULE / "MQ_NETWORK_OF_BROKERS.py", *PACKAGE.rglob("*.py")]:
        if path.name == "aws_calls.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in ("get_resource_config_history", "put_evaluations"):
                calls.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.attr}")
    assert calls == []
