"""What `make generate` writes (scripts/generate.py) is what the files hold, and a parameter added to
PARAMETER_SPECS alone reaches every place that lists the rule's parameters."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import cfn_yaml

from helpers import rendered_json
from mq_network.core.parameters import PARAMETER_SPECS

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import generate  # noqa: E402


@pytest.mark.parametrize("name", sorted(generate.RENDERERS))
def test_generated_parts_are_what_make_generate_writes(name: str) -> None:
    current, written = generate.generated(ROOT)[name]
    assert current == written, f"{name} differs from what the generator writes: run `make generate`"


def test_the_generator_rewrites_only_between_its_markers() -> None:
    """Hand-written text around the markers is kept; the inside is replaced whatever it held."""
    text = "a: 1\n  # generated: rule-input-parameters\n  stale: 1\n  # end generated: rule-input-parameters\nb: 2\n"
    other = {
        "rule-parameter-group",
        "rule-parameters",
        "rule-parameter-conditions",
        "rule-description",
        "organization-input-parameters",
        "hook-input-parameters",
    }
    for marker in other:
        text += f"# generated: {marker}\n# end generated: {marker}\n"
    text += generate.SCRIPT_BEGIN + generate.SCRIPT_END
    out = generate.render_template(text, PARAMETER_SPECS, generate.rule_metadata())
    assert out.startswith("a: 1\n  # generated: rule-input-parameters\n  BrokerNamePattern: !Ref BrokerNamePattern\n")
    assert "stale" not in out
    assert "  # end generated: rule-input-parameters\nb: 2\n" in out


def test_a_missing_marker_names_the_file_and_the_marker() -> None:
    with pytest.raises(generate.GenerateError, match=r"template.yaml: no '# generated: rule-parameter-group'"):
        generate.render_template("a: 1\n", PARAMETER_SPECS, generate.rule_metadata())


# --- a new parameter: one edit, then `make generate` -----------------------------------------------

# Two parameters as a developer would add them: one with a default and a template constraint, one
# empty by default (so optional everywhere), free text (escaped where the template builds JSON),
# and not for the hook.
NEW_SPECS = """    ParameterSpec(
        "FakeLimit",
        "Integer",
        "5",
        "A fake limit: how many of something, 1 to 9.",
        template_pattern="^[1-9]$",
        template_constraint="a digit from 1 to 9",
    ),
    ParameterSpec(
        "FakeLabel",
        "String",
        "",
        "A fake label: any text. Empty: no label.",
        in_hook=False,
    ),
)
SPECS_BY_NAME = """


def organization_json(template: Any, expression: Any, values: dict[str, str]) -> dict[str, str]:
    """A JSON object the template builds, as CloudFormation renders it for `values`."""
    return rendered_json(template, expression, values)


@pytest.fixture(scope="module")
def with_new_parameters(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the files the generator reads and writes, PARAMETER_SPECS given two parameters more,
    and `scripts/generate.py` run there."""
    root = tmp_path_factory.mktemp("project")
    for name in ("template.yaml", "rdk_config.json", "README.md"):
        shutil.copy(ROOT / name, root / name)
    for folder in ("MQ_NETWORK_OF_BROKERS", "scripts", "src/mq_network_tools/remediate"):
        shutil.copytree(ROOT / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__"))
    specs = root / "MQ_NETWORK_OF_BROKERS" / "mq_network" / "core" / "parameters.py"
    text = specs.read_text()
    assert text.count(")\nSPECS_BY_NAME = ") == 1
    specs.write_text(text.replace(")\nSPECS_BY_NAME = ", NEW_SPECS, 1))
    subprocess.run([sys.executable, str(root / "scripts" / "generate.py")], cwd=root, check=True)
    return root


def test_a_new_parameter_reaches_every_place_from_one_edit(with_new_parameters: Path) -> None:
    root = with_new_parameters
    template = cfn_yaml.load(str(root / "template.yaml"))
    # 1. rdk_config.json
    rdk = {p["Name"]: p for p in json.loads((root / "rdk_config.json").read_text())["Parameters"]}
    assert rdk["FakeLimit"] == {
        "Name": "FakeLimit",
        "Type": "Integer",
        "Default": "5",
        "Description": "A fake limit: how many of something, 1 to 9.",
    }
    assert rdk["FakeLabel"]["Default"] == ""
    # 2. parameters.json: given with its default, or optional when empty
    rule = json.loads((root / "MQ_NETWORK_OF_BROKERS" / "parameters.json").read_text())["Parameters"]
    assert json.loads(rule["InputParameters"])["FakeLimit"] == "5"
    assert json.loads(rule["OptionalParameters"])["FakeLabel"] == ""
    # 3. the README's table
    readme = (root / "README.md").read_text()
    assert "| `FakeLimit` | `5` | A fake limit: how many of something, 1 to 9. |" in readme
    assert "| `FakeLabel` | `` (empty) | A fake label: any text. Empty: no label. |" in readme
    # 4. the template's Parameters (and the console's group)
    parameters = template["Parameters"]
    assert parameters["FakeLimit"] == {
        "Type": "String",
        "Default": "5",
        "AllowedPattern": "^[1-9]$",
        "ConstraintDescription": "a digit from 1 to 9",
        "Description": "A fake limit: how many of something, 1 to 9.",
    }
    assert parameters["FakeLabel"]["Default"] == ""
    [group] = [
        g
        for g in template["Metadata"]["AWS::CloudFormation::Interface"]["ParameterGroups"]
        if "BrokerNamePattern" in g["Parameters"]
    ]
    assert group["Parameters"][-2:] == ["FakeLimit", "FakeLabel"]
    # 5. the account rule's InputParameters
    inputs = template["Resources"]["ConfigRule"]["Properties"]["InputParameters"]
    assert inputs["FakeLimit"] == {"Ref": "FakeLimit"}
    assert inputs["FakeLabel"] == {"Fn::If": ["HasFakeLabel", {"Ref": "FakeLabel"}, {"Ref": "AWS::NoValue"}]}
    # 6. the organization rule's JSON, and 7. the hook's, as CloudFormation renders them
    values = {name: spec["Default"] for name, spec in parameters.items() if "Default" in spec}
    values |= {"FakeLimit": "7", "FakeLabel": 'say "hi" \\o/', "BrokerNamePattern": r'q"-\d+'}
    organization = template["Resources"]["OrganizationRule"]["Properties"]["OrganizationCustomRuleMetadata"]
    rendered = organization_json(template, organization["InputParameters"], values)
    assert rendered["FakeLimit"] == "7"
    assert rendered["FakeLabel"] == 'say "hi" \\o/'  # quotes and backslashes survive the JSON
    assert rendered["BrokerNamePattern"] == r'q"-\d+'
    assert "FakeLabel" not in organization_json(template, organization["InputParameters"], values | {"FakeLabel": ""})
    hook = template["Resources"]["HookFunction"]["Properties"]["Environment"]["Variables"]
    in_hook = organization_json(template, hook["MQ_NETWORK_RULE_PARAMETERS"], values)
    assert in_hook["FakeLimit"] == "7"
    assert "FakeLabel" not in in_hook  # in_hook=False
    # and nothing is left for a second run to change
    check = subprocess.run(
        [sys.executable, str(root / "scripts" / "generate.py"), "--check"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stderr


def test_the_template_with_a_new_parameter_passes_cfn_lint(with_new_parameters: Path) -> None:
    lint = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), str(with_new_parameters / "template.yaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
