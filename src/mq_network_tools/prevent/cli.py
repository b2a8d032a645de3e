"""mq-network-check PATH...: judge the Amazon MQ brokers a template or a plan declares, before they exist.

Reads CloudFormation templates (YAML with the short-form intrinsic tags, or JSON), SAM templates,
CDK's synthesized `cdk.out/*.template.json`, Terraform plans in JSON (`terraform show -json
plan.out`, terraform_plan.py) and Terraform source (`.tf`, terraform_source.py), and judges every
broker with the rule's own parameters and decision (core/predeploy.py): the same verdict as the AWS Config
rule and the CloudFormation hook. A name built with an intrinsic function, or known only after
apply, "cannot be judged before deployment": a status of its own, never a pass. A file that is none
of these is skipped with a note; one that cannot be read (too large, nested too deeply, a template
or plan that does not parse) is an error for that file, and the others are still judged and
reported. Output: text with file and line, JSON, or SARIF 2.1.0 for code scanning. Exit status as
the audit's: 0 all compliant or not applicable, 1 any non-compliant, 2 a usage error or a file not
read, 3 any broker that cannot be judged yet (--allow-unknown accepts them).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple, TextIO

from mq_network.core import (
    COMPLIANT,
    NON_COMPLIANT,
    NOT_APPLICABLE,
    RESOURCE_TYPE,
    UNKNOWN,
    ParameterError,
    RuleMetadata,
    load_rule_metadata,
    parse_parameters,
)
from mq_network_tools.cli_options import add_rule_options, printable, rule_options

RULE_ID = load_rule_metadata().rule_name
# SARIF's levels for the rule's severity (CloudFormation hook annotations' levels)
_SARIF_LEVEL = {"CRITICAL": "error", "HIGH": "error", "MEDIUM": "warning", "LOW": "note", "INFORMATIONAL": "note"}
EXIT_OK, EXIT_NON_COMPLIANT, EXIT_USAGE, EXIT_UNKNOWN = 0, 1, 2, 3


class Finding(NamedTuple):
    path: str
    line: int
    resource: str
    status: str
    message: str


class FileReadError(Exception):
    """A file that cannot be read as a template or a plan (exit status 2)."""


class Judged(NamedTuple):
    """What one run found: the findings, the files not read, the files skipped, and how many were read."""

    findings: list[Finding]
    errors: list[str]
    notes: list[str]
    read: int
    recognised: int


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """mq-network-check: judge every file named, report, and exit with the status the docstring lists."""
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    args = _parser().parse_args(argv)
    params = _parameters(args, stderr)
    if params is None:
        return EXIT_USAGE
    judged = judge_files(args.paths, params)
    status = _status(judged.findings, judged.errors, args.allow_unknown)
    try:
        _report(args.output, judged.findings, stdout, judged.errors)
        _tell(judged, stderr)
        stdout.flush()
    except BrokenPipeError:
        # The reader (head, less) left. Stop quietly, as Unix tools do; the status is still the verdict,
        # computed before any output, so a cut output never turns into a pass.
        _silence_stdout(stdout)
    return status


def _parser() -> argparse.ArgumentParser:
    """The check's options: the files, the output format, --allow-unknown, and the rule's own parameters."""
    parser = argparse.ArgumentParser(
        prog="mq-network-check",
        description="Judge the Amazon MQ brokers of CloudFormation/SAM/CDK templates, Terraform JSON plans and "
        "Terraform source (.tf) with the MQ_NETWORK_OF_BROKERS rule, before deployment. Exit status: 0 all "
        "compliant or not applicable, 1 any non-compliant, 2 usage error or a file that could not be read (the "
        "others are still judged), 3 any broker that cannot be judged before deployment.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="template, plan or .tf files, or folders to search")
    parser.add_argument("--output", choices=("text", "json", "sarif"), default="text")
    parser.add_argument(
        "--allow-unknown", action="store_true", help="exit 0/1 even when some broker cannot be judged yet (not 3)"
    )
    add_rule_options(parser)
    return parser


def _parameters(args: argparse.Namespace, stderr: TextIO) -> Any:
    """The rule's parameters from the options, read by the rule's own parser; None (after saying why)
    when they are wrong or need AWS, which this check never calls."""
    options = rule_options(args)
    if options.get("AggregatorName"):
        stderr.write(
            "mq-network-check: --aggregator-name needs AWS, and this check reads only files; "
            "peers beyond the template follow --external-peers\n"
        )
        return None
    try:
        return parse_parameters(options)
    except ParameterError as err:
        stderr.write(f"mq-network-check: {err}\n")
        return None


def judge_files(paths: Sequence[str], params: Any) -> Judged:
    """Judge every file under `paths`; a file that cannot be read is an error for that file only."""
    findings: list[Finding] = []
    errors: list[str] = []
    notes: list[str] = []
    read = recognised = 0
    reader = Reader()
    for path in files(paths, errors):
        read += 1
        try:
            found = judge_file(path, params, reader)
        except FileReadError as err:
            errors.append(str(err))
            continue
        except Exception as err:  # a defect here must not become a traceback's exit 1 ("non-compliant")
            errors.append(f"{path}: could not be checked ({type(err).__name__}: {err})")
            continue
        if found is None:
            notes.append(f"{path}: skipped: not a CloudFormation template, Terraform plan or Terraform source")
        else:
            recognised += 1
            findings += found
    return Judged(findings, errors, notes, read, recognised)


def _tell(judged: Judged, stderr: TextIO) -> None:
    """On stderr: the files skipped, those not read, and a run that judged nothing (never a silent pass)."""
    for note in judged.notes:
        stderr.write(f"mq-network-check: note: {printable(note)}\n")
    for error in judged.errors:
        stderr.write(f"mq-network-check: error: {printable(error)}\n")
    if not judged.recognised and not judged.errors:
        # Not an error (pre-commit passes whatever YAML or JSON changed), but never a silent pass.
        stderr.write(
            "mq-network-check: no CloudFormation template, Terraform plan or Terraform source among the "
            f"{judged.read} file(s) read: nothing was judged\n"
        )
    elif judged.errors:
        stderr.write(
            f"mq-network-check: exit 2: {len(judged.errors)} file(s) could not be read; the {judged.recognised} "
            "other(s) were judged and are reported above\n"
        )


def _silence_stdout(stdout: TextIO) -> None:
    """After the reader of stdout left: point the process's stdout at /dev/null, so that Python's flush
    at exit raises no second error."""
    if stdout is sys.__stdout__ and sys.__stdout__ is not None:
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.__stdout__.fileno())


def _status(findings: Sequence[Finding], errors: Sequence[str], allow_unknown: bool) -> int:
    """The exit status: a file not read (2) before non-compliant (1) before unknown (3), as the audit's
    partial read comes first: the verdict is incomplete."""
    if errors:
        return EXIT_USAGE
    if any(f.status == NON_COMPLIANT for f in findings):
        return EXIT_NON_COMPLIANT
    if any(f.status == UNKNOWN for f in findings) and not allow_unknown:
        return EXIT_UNKNOWN
    return EXIT_OK


def _report(output: str, findings: Sequence[Finding], stdout: TextIO, errors: Sequence[str] = ()) -> None:
    """The findings on stdout in the chosen format; the text ends with the count of each status."""
    if output == "json":
        json.dump([f._asdict() for f in findings], stdout, indent=2)  # ensure_ascii: any string is writable
        stdout.write("\n")
    elif output == "sarif":
        json.dump(sarif(findings, errors), stdout, indent=2)
        stdout.write("\n")
    else:
        for finding in findings:
            # names and IDs come from the template: no newline or escape sequence can forge a line
            where, resource, message = (printable(t) for t in (finding.path, finding.resource, finding.message))
            stdout.write(f"{where}:{finding.line}: {finding.status}: {resource}: {message}\n")
        statuses = (COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE, UNKNOWN)
        counts = {s: sum(f.status == s for f in findings) for s in statuses}
        stdout.write(
            f"{len(findings)} broker(s): {counts[COMPLIANT]} compliant, {counts[NON_COMPLIANT]} non-compliant, "
            f"{counts[NOT_APPLICABLE]} not applicable, {counts[UNKNOWN]} cannot be judged before deployment\n"
        )


# Folders never searched: version control, installed packages, and Terraform's downloaded modules and
# providers (third-party code whose brokers, if any, are judged on the plan).
_SKIPPED_FOLDERS = frozenset({".git", "node_modules", ".terraform"})
_SUFFIXES = (".json", ".yaml", ".yml", ".template", ".tf")


def files(paths: Sequence[str], errors: list[str]) -> Iterator[Path]:
    """The files to read: those named, and those with a template, plan or .tf suffix under named folders.

    A .tf file brings the other .tf files of its folder: Terraform's module is the folder, so a
    change to `locals.tf` or to a provider's `default_tags` (all pre-commit passes) changes the
    verdict on brokers declared in another file. Each file is read once."""
    seen: set[Path] = set()

    def once(candidates: Iterable[Path]) -> Iterator[Path]:
        for candidate in candidates:
            key = candidate.resolve()
            if key not in seen:
                seen.add(key)
                yield candidate

    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = []
            for folder, subfolders, names in os.walk(path):
                subfolders[:] = sorted(d for d in subfolders if d not in _SKIPPED_FOLDERS)
                found += [Path(folder, n) for n in names if n.endswith(_SUFFIXES)]
            yield from once(sorted(p for p in found if p.is_file()))
        elif path.is_file() and path.suffix == ".tf":
            yield from once([path, *sorted(p for p in path.parent.glob("*.tf") if p.is_file() and p != path)])
        elif path.is_file():
            yield from once([path])
        else:
            errors.append(f"{given}: no such file or folder")


# Size limits, checked before a file is parsed (README, Prevent). A CloudFormation template can be at most
# 1 MB (from S3; 51,200 bytes inline), so 2 MiB of YAML is beyond any deployable template, and PyYAML
# takes seconds per MB (8.5 MB: 29 s, 570 MB). JSON plans of large estates are bigger and JSON reads
# fast: 32 MiB. Terraform source is parsed by python-hcl2 at roughly 20-30 s per MiB (measured on this
# project's fixtures): 512 KiB, far above a hand-written .tf file.
LIMITS = {"yaml": 2 << 20, "json": 32 << 20, "tf": 512 << 10}
BROKER_TF = "aws_mq_broker"
_BROKER_TYPES = (RESOURCE_TYPE, BROKER_TF)
_MODULE = re.compile(r"^\s*module\s", re.MULTILINE)


def _format(path: Path) -> str:
    """A file's format by its suffix: which size limit and which reader it gets."""
    return "tf" if path.suffix == ".tf" else "json" if path.suffix == ".json" else "yaml"


def read_text(path: Path) -> str:
    """A file's text, refused above its format's size limit (FileReadError names the file and the limit)."""
    limit = LIMITS[_format(path)]
    try:
        with path.open("rb") as stream:
            data = stream.read(limit + 1)
    except OSError as err:
        raise FileReadError(f"{path}: cannot be read ({err.strerror or err})") from None
    if len(data) > limit:
        raise FileReadError(
            f"{path}: larger than {_size(limit)}, the limit for {_format(path).upper()} files "
            "(see the README's Prevent section): not read"
        )
    return data.decode("utf-8", errors="replace")


def _size(limit: int) -> str:
    """A size limit as a person reads it."""
    return f"{limit >> 20} MiB" if limit >= 1 << 20 else f"{limit >> 10} KiB"


class Reader:
    """What one run reads once: each folder of Terraform source, parsed."""

    def __init__(self) -> None:
        self.folders: dict[Path, Any] = {}

    def terraform(self, path: Path, params: Any) -> list[Finding] | None:
        """The findings of a .tf file, read with the locals and providers of its folder; None when it is
        not HCL and declares no broker (a stray file)."""
        text = read_text(path)
        if BROKER_TF not in text and not _MODULE.search(text):
            return []  # Terraform with neither a broker nor a module call: nothing to judge, nothing parsed
        from mq_network_tools.prevent import terraform_source

        folder = path.resolve().parent
        if folder not in self.folders:
            documents: dict[Path, Any] = {}
            for sibling in sorted(folder.glob("*.tf")):
                try:
                    written = read_text(sibling)
                    # python-hcl2 is slow: parse only files holding what a broker's judgement reads
                    relevant = any(word in written for word in ("locals", "provider", BROKER_TF))
                    documents[sibling] = terraform_source.parse(written) if relevant else {}
                except (FileReadError, terraform_source.SourceError) as err:
                    documents[sibling] = str(err)
            self.folders[folder] = (documents, terraform_source.Folder(documents))
        documents, context = self.folders[folder]
        document = documents.get(path.resolve())
        if document is None or (document == {} and _MODULE.search(text)):  # not listed, or not parsed yet
            try:
                document = terraform_source.parse(text)
            except terraform_source.SourceError as err:
                document = str(err)
        if isinstance(document, str):
            if any(kind in text for kind in _BROKER_TYPES):
                raise FileReadError(f"{path}: {document}")
            return None
        return [
            Finding(str(path), line, address, judged.status, judged.message)
            for address, line, judged in terraform_source.judge(path, text, document, context, params)
        ]


def judge_file(path: Path, params: Any, reader: Reader | None = None) -> list[Finding] | None:
    """The findings of one file; None when it is neither a template, a plan nor Terraform source.

    FileReadError: a file that cannot be read, or a template or plan that cannot be read as one.
    """
    try:
        if path.suffix == ".tf":
            return (reader or Reader()).terraform(path, params)
        text = read_text(path)
        try:
            document = load(path, text)
        except FileReadError:
            if any(kind in text for kind in _BROKER_TYPES):
                raise  # it declares a broker, but cannot be read: an error, never a skip
            return None  # not JSON or YAML (projen's JSON with comments, a Helm chart): not a template
        if isinstance(document, Mapping) and "format_version" in document:
            from mq_network_tools.prevent import (
                terraform_plan,  # imported for plans only: name mode over a template stays quick
            )

            if terraform_plan.is_plan(document):
                return _terraform(path, text, document, params)
        if isinstance(document, Mapping) and isinstance(document.get("Resources"), Mapping):
            return _cloudformation(path, text, document, params)
        if path.name.endswith(".tf.json") and any(kind in text for kind in _BROKER_TYPES):
            raise FileReadError(f"{path}: Terraform JSON source is not read: judge the plan (terraform show -json)")
        return None  # a YAML or JSON file that is neither (a folder holds other files too)
    except RecursionError:
        raise FileReadError(f"{path}: nested too deeply to read") from None


def load(path: Path, text: str) -> Any:
    """A file's document: JSON when it looks like JSON, else CloudFormation's YAML; FileReadError if neither reads."""
    if path.suffix == ".json" or text.lstrip().startswith("{"):
        try:
            return json.loads(text)
        except ValueError as err:
            raise FileReadError(f"{path}: not valid JSON ({err})") from None
    return _yaml(path, text)


def _yaml(path: Path, text: str) -> Any:
    """YAML read safely, CloudFormation's short-form intrinsics (!Ref, !Sub...) as their long forms."""
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
        raise FileReadError(f"{path}: not valid YAML ({str(err).splitlines()[0]})") from None


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
    """The findings of a CloudFormation, SAM or CDK template, each at its logical ID's line."""
    from mq_network_tools.prevent.cloudformation import judge_template  # how a template is read: cloudformation.py

    return [
        Finding(str(path), judged.line, judged.resource, judged.planned.status, judged.planned.message)
        for judged in judge_template(template, text, params, _key_lines(text))
    ]


def _terraform(path: Path, text: str, plan: Mapping[str, Any], params: Any) -> list[Finding]:
    """The findings of a Terraform JSON plan, each at its resource address's line."""
    from mq_network_tools.prevent import terraform_plan

    try:
        judged = terraform_plan.judge(plan, params)
    except terraform_plan.PlanError as err:
        raise FileReadError(f"{path}: not a Terraform plan Terraform writes: {err}") from None
    lines = _address_lines(text)
    return [Finding(str(path), lines.get(address, 1), address, v.status, v.message) for address, v in judged]


def artifact_uri(path: str) -> str:
    """A file path as a SARIF artifactLocation.uri: a relative reference, percent-encoded (RFC 3986), so
    that `#`, `?`, `%` and spaces stay part of the path; a name that is not UTF-8 keeps its bytes."""
    from urllib.parse import quote

    return quote(os.fsencode(Path(path).as_posix()), safe="/")


def sarif_driver(rule: RuleMetadata) -> dict[str, Any]:
    """The tool and its one rule, as rule_metadata.json states it (the hook's annotation and the README
    state it from the same file)."""
    return {
        "name": "mq-network-check",
        "informationUri": rule.fix_url,
        "rules": [
            {
                "id": rule.rule_name,
                "name": "".join(word.capitalize() for word in rule.rule_name.split("_")),
                "shortDescription": {"text": rule.title},
                "fullDescription": {"text": f"{rule.description} {rule.risk}"},
                "help": {"text": f"Fix: {rule.fix} See {rule.fix_url}"},
                "helpUri": rule.fix_url,
                "defaultConfiguration": {"level": _SARIF_LEVEL[rule.severity]},
                "properties": {"severity": rule.severity},
            }
        ],
    }


def sarif(findings: Sequence[Finding], errors: Sequence[str] = ()) -> dict[str, Any]:
    """SARIF 2.1.0: one rule; a result for each broker that is non-compliant or cannot be judged; an
    invocation that failed, with a notification per file not read, so that a pipeline uploading
    the log (and ignoring the exit status) still shows what was not judged."""
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": sarif_driver(load_rule_metadata())},
                "invocations": [
                    {
                        "executionSuccessful": not errors,
                        "toolExecutionNotifications": [
                            {"level": "error", "message": {"text": printable(error)}} for error in errors
                        ],
                    }
                ],
                "results": [_sarif_result(f) for f in findings if f.status in (NON_COMPLIANT, UNKNOWN)],
            }
        ],
    }


def _sarif_result(finding: Finding) -> dict[str, Any]:
    """One broker's SARIF result: an error when non-compliant, a warning when it cannot be judged yet,
    located by file, line and the resource's logical ID or address."""
    return {
        "ruleId": RULE_ID,
        "level": "error" if finding.status == NON_COMPLIANT else "warning",
        "message": {"text": finding.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": artifact_uri(finding.path)},
                    "region": {"startLine": finding.line},
                },
                "logicalLocations": [{"name": finding.resource, "kind": "resource"}],
            }
        ],
        "properties": {"status": finding.status},
    }


if __name__ == "__main__":
    sys.exit(main())
