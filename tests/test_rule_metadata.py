"""The rule's metadata is data (mq_network/core/rule_metadata.json): every surface that states the rule
(mq-network-check's SARIF rule, the hook's annotation, rdk_config.json, parameters.json, the
template's rules, the README) states it from that file, and the file ships with the package."""

from __future__ import annotations

import io
import json
import tomllib
from pathlib import Path

import pytest
from cfnlint.decode import cfn_yaml

from helpers import hook_request
from mq_network import hook
from mq_network.core import rule_metadata as metadata_module
from mq_network.core.rule_metadata import SEVERITIES, RuleMetadata, parse_rule_metadata, rule_metadata
from mq_network_tools.prevent import cli as check

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "prevent"
OUTSIDE = {"BrokerName": "cc-project5-broker", "DeploymentMode": "SINGLE_INSTANCE", "EngineType": "ACTIVEMQ"}
# Another rule's metadata, to show each surface follows the file rather than a copy of its words.
OTHER = RuleMetadata(
    "MQ_OTHER_RULE",
    "Another title",
    "Nowhere 1",
    "MEDIUM",
    "Another description.",
    "Another risk.",
    "Another fix.",
    "https://example.com/fix",
)


@pytest.fixture(autouse=True)
def parameters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MQ_NETWORK_RULE_PARAMETERS", raising=False)


def test_the_metadata_file_holds_every_field() -> None:
    rule = rule_metadata()
    assert rule.rule_name == "MQ_NETWORK_OF_BROKERS"
    assert rule.severity in SEVERITIES
    assert rule.fix_url.startswith("https://")
    assert all(field.strip() for field in rule)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[]", "must be a JSON object"),
        ('{"Remediation": "x"}', "Remediation must be an object"),
        ('{"Remediation": {}}', "RuleName, Title, Source, Severity, Description, Risk, Remediation.Text"),
        (
            json.dumps({**json.loads(Path(metadata_module.PATH).read_text()), "Severity": "SEVERE"}),
            "Severity 'SEVERE' must be one of INFORMATIONAL",
        ),
    ],
)
def test_a_bad_metadata_file_names_the_field(text: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=None) as caught:
        parse_rule_metadata(text)
    assert fragment in str(caught.value)


def test_the_sarif_rule_states_the_metadata() -> None:
    out = io.StringIO()
    check.main([str(DATA / "mesh.yaml"), "--output", "sarif"], out, io.StringIO())
    rule = rule_metadata()
    [sarif_rule] = json.loads(out.getvalue())["runs"][0]["tool"]["driver"]["rules"]
    assert sarif_rule["id"] == rule.rule_name
    assert sarif_rule["name"] == "MqNetworkOfBrokers"
    assert sarif_rule["shortDescription"] == {"text": rule.title}
    assert sarif_rule["fullDescription"] == {"text": f"{rule.description} {rule.risk}"}
    assert sarif_rule["help"] == {"text": f"Fix: {rule.fix} See {rule.fix_url}"}
    assert sarif_rule["helpUri"] == rule.fix_url
    assert sarif_rule["defaultConfiguration"] == {"level": "error"}  # severity HIGH


def test_the_sarif_rule_follows_another_metadata() -> None:
    driver = check.sarif_driver(OTHER)
    [sarif_rule] = driver["rules"]
    assert (sarif_rule["id"], sarif_rule["name"]) == ("MQ_OTHER_RULE", "MqOtherRule")
    assert sarif_rule["shortDescription"]["text"] == "Another title"
    assert sarif_rule["defaultConfiguration"]["level"] == "warning"  # MEDIUM


def test_the_hooks_annotation_states_the_metadata(monkeypatch: pytest.MonkeyPatch) -> None:
    rule = rule_metadata()
    [annotation] = hook.lambda_handler(hook_request(OUTSIDE))["annotations"]
    assert annotation["annotationName"] == rule.rule_name
    assert annotation["severityLevel"] == rule.severity
    assert annotation["remediationLink"] == rule.fix_url
    monkeypatch.setattr(hook, "rule_metadata", lambda: OTHER)
    [annotation] = hook.lambda_handler(hook_request(OUTSIDE))["annotations"]
    assert (annotation["annotationName"], annotation["severityLevel"]) == ("MQ_OTHER_RULE", "MEDIUM")
    assert annotation["remediationLink"] == "https://example.com/fix"


def test_rdk_and_the_template_describe_the_rule_with_the_metadata() -> None:
    """Written by `make generate` (tests/test_generated.py checks they are up to date)."""
    description = rule_metadata().description
    assert json.loads((ROOT / "rdk_config.json").read_text())["Description"] == description
    rdk_parameters = json.loads((ROOT / "MQ_NETWORK_OF_BROKERS" / "parameters.json").read_text())
    assert rdk_parameters["Parameters"]["Description"] == description
    resources = cfn_yaml.load(str(ROOT / "template.yaml"))["Resources"]
    assert resources["ConfigRule"]["Properties"]["Description"] == description
    organization = resources["OrganizationRule"]["Properties"]["OrganizationCustomRuleMetadata"]
    assert organization["Description"] == description
    readme = (ROOT / "README.md").read_text()
    block = readme.split("<!-- generated: rule -->", 1)[1].split("<!-- end generated: rule -->", 1)[0]
    assert rule_metadata().title in block and f"severity {rule_metadata().severity.lower()}" in block


def test_the_metadata_file_is_package_data() -> None:
    """Installed with mq_network.core (the editable install reads it in place; a wheel carries it;
    tests/test_template.py checks the Lambda artifact)."""
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert "rule_metadata.json" in setuptools["package-data"]["mq_network.core"]
    assert Path(metadata_module.PATH).parent == Path(metadata_module.__file__).parent
