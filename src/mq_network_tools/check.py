"""mq-network-check PATH...: judge the Amazon MQ brokers a template or a plan declares, before they exist.

Reads CloudFormation templates (YAML with the short-form intrinsic tags, or JSON), SAM templates,
CDK's synthesized `cdk.out/*.template.json`, and Terraform plans in JSON (`terraform show -json
plan.out`), and judges every broker with the rule's own parameters and decision (planned.py):
the same verdict as the AWS Config rule and the CloudFormation hook. A name built with an
intrinsic function, or known only after apply, "cannot be judged before deployment": a status of
its own, never a pass. Output: text with file and line, JSON, or SARIF 2.1.0 for code scanning.
Exit status as the audit's: 0 all compliant or not applicable, 1 any non-compliant, 2 a usage
error (a file that is not a template or a plan), 3 any broker that cannot be judged yet
(--allow-unknown accepts them).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple, TextIO

from mq_network.parameters import ParameterError, parse_parameters
from mq_network.planned import UNKNOWN, Unknown, judge_planned

from .options import add_rule_options, printable, rule_options
from .template_network import terraform_networks

RULE_ID = "MQ_NETWORK_OF_BROKERS"
EXIT_OK, EXIT_NON_COMPLIANT, EXIT_USAGE, EXIT_UNKNOWN = 0, 1, 2, 3
_TYPE = "AWS::AmazonMQ::Broker"


class Finding(NamedTuple):
    path: str
    line: int
    resource: str
    status: str
    message: str


class CheckError(Exception):
    """A file that cannot be read as a template or a plan (exit status 2)."""


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    parser = argparse.ArgumentParser(
        prog="mq-network-check",
        description="Judge the Amazon MQ brokers of CloudFormation/SAM/CDK templates and Terraform JSON plans with "
        "the MQ_NETWORK_OF_BROKERS rule, before deployment. Exit status: 0 all compliant or not applicable, "
        "1 any non-compliant, 2 usage error, 3 any broker that cannot be judged before deployment.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="template or plan files, or folders to search")
    parser.add_argument("--output", choices=("text", "json", "sarif"), default="text")
    parser.add_argument(
        "--allow-unknown", action="store_true", help="exit 0/1 even when some broker cannot be judged yet (not 3)"
    )
    add_rule_options(parser)
    args = parser.parse_args(argv)
    options = rule_options(args)
    if options.get("AggregatorName"):
        stderr.write(
            "mq-network-check: --aggregator-name needs AWS, and this check reads only files; "
            "peers beyond the template follow --external-peers\n"
        )
        return EXIT_USAGE
    try:
        params = parse_parameters(options)
    except ParameterError as err:
        stderr.write(f"mq-network-check: {err}\n")
        return EXIT_USAGE
    findings: list[Finding] = []
    read = recognised = 0
    try:
        for path in files(args.paths):
            read += 1
            found = check_file(path, params)
            if found is not None:
                recognised += 1
                findings += found
    except CheckError as err:
        stderr.write(f"mq-network-check: {err}\n")
        return EXIT_USAGE
    if not recognised:
        # Not an error (pre-commit passes whatever YAML or JSON changed), but never a silent pass.
        stderr.write(
            f"mq-network-check: no CloudFormation template or Terraform plan among the {read} file(s) read: "
            "nothing was judged\n"
        )
    if args.output == "json":
        json.dump([f._asdict() for f in findings], stdout, indent=2)
        stdout.write("\n")
    elif args.output == "sarif":
        json.dump(sarif(findings), stdout, indent=2)
        stdout.write("\n")
    else:
        for finding in findings:
            # names and IDs come from the template: no newline or escape sequence can forge a line
            where, resource, message = (printable(t) for t in (finding.path, finding.resource, finding.message))
            stdout.write(f"{where}:{finding.line}: {finding.status}: {resource}: {message}\n")
        statuses = ("COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE", UNKNOWN)
        counts = {s: sum(f.status == s for f in findings) for s in statuses}
        stdout.write(
            f"{len(findings)} broker(s): {counts['COMPLIANT']} compliant, {counts['NON_COMPLIANT']} non-compliant, "
            f"{counts['NOT_APPLICABLE']} not applicable, {counts[UNKNOWN]} cannot be judged before deployment\n"
        )
    if any(f.status == "NON_COMPLIANT" for f in findings):
        return EXIT_NON_COMPLIANT
    if any(f.status == UNKNOWN for f in findings) and not args.allow_unknown:
        return EXIT_UNKNOWN
    return EXIT_OK


def files(paths: Sequence[str]) -> Iterator[Path]:
    for given in paths:
        path = Path(given)
        if path.is_dir():
            yield from sorted(
                p for p in path.rglob("*") if p.suffix in (".json", ".yaml", ".yml", ".template") and p.is_file()
            )
        elif path.is_file():
            yield path
        else:
            raise CheckError(f"{given}: no such file or folder")


def check_file(path: Path, params: Any) -> list[Finding] | None:
    """The findings of one file; None when it is neither a template nor a plan."""
    text = path.read_text(encoding="utf-8", errors="replace")
    document = load(path, text)
    if (
        isinstance(document, Mapping)
        and "format_version" in document
        and ("resource_changes" in document or "planned_values" in document)
    ):
        return _terraform(path, text, document, params)
    if isinstance(document, Mapping) and isinstance(document.get("Resources"), Mapping):
        return _cloudformation(path, text, document, params)
    if path.suffix == ".json" and not isinstance(document, Mapping):
        raise CheckError(f"{path}: not a CloudFormation template or a Terraform JSON plan")
    return None  # a YAML or JSON file that is neither (a folder holds other files too)


def load(path: Path, text: str) -> Any:
    if path.suffix == ".json" or text.lstrip().startswith("{"):
        try:
            return json.loads(text)
        except ValueError as err:
            raise CheckError(f"{path}: not valid JSON ({err})") from None
    return _yaml(path, text)


def _yaml(path: Path, text: str) -> Any:
    import yaml

    class Loader(yaml.SafeLoader):  # type: ignore[misc]
        """CloudFormation's YAML: !Ref, !Sub, !GetAtt and the other short forms become {"Fn::...": ...}."""

    def intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
        name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if suffix == "GetAtt" and isinstance(value, str):
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {name: value}

    Loader.add_multi_constructor("!", intrinsic)
    try:
        return yaml.load(text, Loader=Loader)  # a SafeLoader subclass: no arbitrary objects
    except yaml.YAMLError as err:
        raise CheckError(f"{path}: not valid YAML ({str(err).splitlines()[0]})") from None


_KEY_LINE = re.compile(r'^\s*"?([A-Za-z0-9_.:-]+)"?\s*:')
_ADDRESS_LINE = re.compile(r'"address"\s*:\s*("(?:[^"\\]|\\.)*")')


def _key_lines(text: str) -> dict[str, int]:
    """The first line of each mapping key (a logical ID), found in one pass over the file."""
    lines: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), 1):
        match = _KEY_LINE.match(line)
        if match:
            lines.setdefault(match[1], number)
    return lines


def _address_lines(text: str) -> dict[str, int]:
    """The first line of each Terraform resource address in a plan, in one pass."""
    lines: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), 1):
        for match in _ADDRESS_LINE.finditer(line):
            with contextlib.suppress(ValueError):
                lines.setdefault(json.loads(match[1]), number)
    return lines


def _cloudformation(path: Path, text: str, template: Mapping[str, Any], params: Any) -> list[Finding]:
    from .cloudformation import judge_template  # how a template is read: cloudformation.py

    return [
        Finding(str(path), judged.line, judged.resource, judged.planned.status, judged.planned.message)
        for judged in judge_template(template, text, params, _key_lines(text))
    ]


def _terraform(path: Path, text: str, plan: Mapping[str, Any], params: Any) -> list[Finding]:
    found = []
    networks = terraform_networks(plan, params) if params.checks_connectors else {}
    lines = _address_lines(text)
    for change in plan.get("resource_changes") or []:
        if not isinstance(change, Mapping) or change.get("type") != "aws_mq_broker":
            continue
        actions = (change.get("change") or {}).get("actions") or []
        if actions == ["delete"]:
            continue
        after = (change.get("change") or {}).get("after") or {}
        unknown = (change.get("change") or {}).get("after_unknown") or {}
        address = str(change.get("address", "aws_mq_broker"))

        def value(key: str, after: Mapping[str, Any] = after, unknown: Mapping[str, Any] = unknown) -> Any:
            if unknown.get(key) is True:
                return Unknown("known after apply")
            return after.get(key)

        tags = value("tags")
        judged = judge_planned(
            address,
            value("broker_name"),
            value("deployment_mode"),
            value("engine_type"),
            tags if isinstance(tags, (Mapping, Unknown)) else {},
            params,
            networks.get(address),
        )
        line = lines.get(address, 1)
        found.append(Finding(str(path), line, address, judged.status, judged.message))
    return found


def sarif(findings: Sequence[Finding]) -> dict[str, Any]:
    """SARIF 2.1.0: one rule; a result for each broker that is non-compliant or cannot be judged."""
    results = [
        {
            "ruleId": RULE_ID,
            "level": "error" if f.status == "NON_COMPLIANT" else "warning",
            "message": {"text": f.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": Path(f.path).as_posix()},
                        "region": {"startLine": f.line},
                    },
                    "logicalLocations": [{"name": f.resource, "kind": "resource"}],
                }
            ],
            "properties": {"status": f.status},
        }
        for f in findings
        if f.status in ("NON_COMPLIANT", UNKNOWN)
    ]
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "mq-network-check",
                        "informationUri": "https://docs.aws.amazon.com/amazon-mq/latest/developer-guide/network-of-brokers.html",
                        "rules": [
                            {
                                "id": RULE_ID,
                                "name": "MqNetworkOfBrokers",
                                "shortDescription": {
                                    "text": "Production Amazon MQ brokers run inside a network of brokers"
                                },
                                "fullDescription": {
                                    "text": "An ActiveMQ broker must be a member of a network of brokers (a mesh named "
                                    "<mesh>-Broker-<n>, in an allowed deployment mode), so that losing a broker, an "
                                    "Availability Zone or a region does not stop its applications."
                                },
                                "defaultConfiguration": {"level": "error"},
                            }
                        ],
                    }
                },
                "results": results,
            }
        ],
    }


if __name__ == "__main__":
    sys.exit(main())
