"""The rule's metadata as data (rule_metadata.json beside this module), as Prowler keeps a check's
metadata.json: its title, severity, risk and fix, written once and read by every surface that
states the rule (the hook's annotation, mq-network-check's SARIF rule) and written by
`make generate` into rdk_config.json, parameters.json, template.yaml and the README.

The file is read on first use, not at import: the rule's handler never needs it, and the hook reads
it once per container (a 1 KB JSON file; bench/rule_metadata.py measures the read against the
import of the hook).
"""

from __future__ import annotations

import json
import os
from typing import NamedTuple

# os.path, not pathlib: the hook's cold start would pay for importing pathlib (bench/cold_start.py)
PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "rule_metadata.json")
_NAME = os.path.basename(PATH)
SEVERITIES = ("INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL")  # CloudFormation hook annotations' levels


class RuleMetadata(NamedTuple):
    """What a person reads about the rule, wherever the rule is stated."""

    rule_name: str
    title: str
    source: str
    severity: str  # one of SEVERITIES
    description: str
    risk: str
    fix: str
    fix_url: str


def parse_rule_metadata(text: str) -> RuleMetadata:
    """The metadata from the JSON text; a missing or mistyped field is an error naming it."""
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError(f"{_NAME}: the metadata must be a JSON object")
    remediation = data.get("Remediation")
    if not isinstance(remediation, dict):
        raise ValueError(f"{_NAME}: Remediation must be an object with Text and Url")
    fields = {
        "RuleName": data.get("RuleName"),
        "Title": data.get("Title"),
        "Source": data.get("Source"),
        "Severity": data.get("Severity"),
        "Description": data.get("Description"),
        "Risk": data.get("Risk"),
        "Remediation.Text": remediation.get("Text"),
        "Remediation.Url": remediation.get("Url"),
    }
    missing = [name for name, value in fields.items() if not isinstance(value, str) or not value.strip()]
    if missing:
        raise ValueError(f"{_NAME}: {', '.join(missing)} must be non-empty strings")
    if fields["Severity"] not in SEVERITIES:
        raise ValueError(f"{_NAME}: Severity {fields['Severity']!r} must be one of {', '.join(SEVERITIES)}")
    return RuleMetadata(*(str(value) for value in fields.values()))


_LOADED: list[RuleMetadata] = []


def rule_metadata() -> RuleMetadata:
    """The rule's metadata, read once per process (on first use: the rule's handler never needs it)."""
    if not _LOADED:
        with open(PATH, encoding="utf-8") as file:
            _LOADED.append(parse_rule_metadata(file.read()))
    return _LOADED[0]


# The name the core's public API exports: its module is called rule_metadata too.
load_rule_metadata = rule_metadata
