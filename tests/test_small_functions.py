"""Issue 20, point 5: short named functions, and one job per remediation module.

The functions a newcomer had to read whole (plan.cli 146 lines, plan_mesh 97, memberships 102,
parse_parameters 80, plan.cloudformation 77, the check's main 74 and sarif 61) were split into
named steps; this keeps those files that way. mesh.py once served both mq-network-plan and the
SSM step; now mesh_plan.py is the plan both build from, and mesh.py only the step that builds.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REMEDIATE = ROOT / "src" / "mq_network_tools" / "remediate"
CORE = ROOT / "MQ_NETWORK_OF_BROKERS" / "mq_network" / "core"
SHORT = 40  # lines, from `def` (or its first decorator) to the last line, docstring included
# __init__ is its class's.
_SELF_EXPLAINING = {"__init__", "checks_name", "once", "intrinsic"}
FILES = (
    REMEDIATE / "mesh.py",
    REMEDIATE / "mesh_plan.py",
    REMEDIATE / "plan.py",
    ROOT / "src" / "mq_network_tools" / "prevent" / "cli.py",
    CORE / "network.py",
    CORE / "parameters.py",
)


def _functions(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            found.append((node.name, (node.end_lineno or node.lineno) - start + 1))
    return found


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_no_function_is_longer_than_a_screen(path: Path) -> None:
    long = [f"{name}: {lines} lines" for name, lines in _functions(path) if lines > SHORT]
    assert not long, f"{path.relative_to(ROOT)}: split into named steps (at most {SHORT} lines): {long}"


def test_every_function_says_why() -> None:
    silent = [
        f"{path.name}:{node.name}"
        for path in FILES
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef) and node.name not in _SELF_EXPLAINING and not ast.get_docstring(node)
    ]
    assert not silent, f"give each a short docstring saying why: {silent}"


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}


def _defined(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.ClassDef)}


def test_each_remediation_module_has_one_job() -> None:
    """mesh_plan.py: what to build (shared); mesh.py: the SSM step building it; plan.py: printing it."""
    assert "mq_network_tools.remediate.mesh" not in _imported_modules(REMEDIATE / "plan.py")
    assert "mq_network_tools.remediate.mesh_plan" in _imported_modules(REMEDIATE / "mesh.py")
    plan_parts = {"plan_mesh", "mesh_xml", "MeshPlan", "Member", "read_source", "password_slots", "openwire_uri"}
    build_steps = {"automation_build_mesh", "create_members", "connect_members", "find_members"}
    assert plan_parts <= _defined(REMEDIATE / "mesh_plan.py")
    assert not plan_parts & _defined(REMEDIATE / "mesh.py")
    assert build_steps <= _defined(REMEDIATE / "mesh.py")
    assert not build_steps & _defined(REMEDIATE / "mesh_plan.py")
    assert "boto3" not in (REMEDIATE / "mesh_plan.py").read_text()  # it reads AWS only through a given client
