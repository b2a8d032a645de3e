"""Write every generated part of the project from its one definition (`make generate`).

- template.yaml's SSM document script: mesh.py with the rule modules it imports
  (embed_mesh_script.bundle).
- The rule's parameters, from PARAMETER_SPECS (mq_network/core/parameters.py): rdk_config.json's
  Parameters, MQ_NETWORK_OF_BROKERS/parameters.json's InputParameters and OptionalParameters, the
  README's parameter table, and in template.yaml the Parameters, their console group, the
  Has<Name> condition of each parameter whose default is empty, the account rule's
  InputParameters, and the JSON the organization rule and the hook are given.
- The rule's metadata, from mq_network/core/rule_metadata.json: rdk_config.json's and
  parameters.json's Description, the rules' Description in template.yaml, and the README's summary.

In template.yaml and README.md the generator rewrites only what lies between its markers
(`# generated: NAME` / `# end generated: NAME`, `<!-- generated: NAME -->` /
`<!-- end generated: NAME -->`); the rest is written by hand. tests/test_generated.py fails when a
file differs from what this writes, and proves that a parameter added to PARAMETER_SPECS reaches
every place. `python scripts/generate.py --check` only reports.
"""

from __future__ import annotations

import json
import re
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "MQ_NETWORK_OF_BROKERS"), str(ROOT / "scripts")]

from embed_mesh_script import BEGIN as SCRIPT_BEGIN  # noqa: E402
from embed_mesh_script import END as SCRIPT_END  # noqa: E402
from embed_mesh_script import INDENT as SCRIPT_INDENT  # noqa: E402
from embed_mesh_script import bundle  # noqa: E402

from mq_network.core.parameters import PARAMETER_SPECS, ParameterSpec  # noqa: E402
from mq_network.core.rule_metadata import RuleMetadata, rule_metadata  # noqa: E402

TEMPLATE = "template.yaml"
RDK_CONFIG = "rdk_config.json"
RDK_PARAMETERS = "MQ_NETWORK_OF_BROKERS/parameters.json"
README = "README.md"
_WIDTH = 100  # template.yaml's lines


class GenerateError(Exception):
    """A file lacks a marker the generator needs; the message names the file and the marker."""


# --- the parameters as each file writes them -------------------------------------------------------


def condition(spec: ParameterSpec) -> str:
    """The template condition that says a parameter with an empty default was given."""
    return f"Has{spec.name}"


def optional(spec: ParameterSpec) -> bool:
    """Empty by default: omitted from InputParameters unless given (AWS Config refuses empty values)."""
    return not spec.default


def _list_pattern(values: Sequence[str]) -> str:
    choice = "(" + "|".join(re.escape(v) for v in values) + ")"
    return f"^ *{choice} *( *, *{choice} *)*$"


def template_constraints(spec: ParameterSpec) -> dict[str, Any]:
    """AllowedValues, AllowedPattern, ConstraintDescription and MaxLength, in the template's order."""
    found: dict[str, Any] = {}
    if spec.allowed_values and spec.type == "CommaDelimitedList":
        found["AllowedPattern"] = _list_pattern(spec.allowed_values)
        found["ConstraintDescription"] = "a comma-separated list of " + ", ".join(spec.allowed_values)
    elif spec.allowed_values:
        found["AllowedValues"] = list(spec.allowed_values)
    if spec.max_length:
        found["MaxLength"] = spec.max_length
    if spec.template_pattern:
        found["AllowedPattern"] = spec.template_pattern
    if spec.template_constraint:
        found["ConstraintDescription"] = spec.template_constraint
    return found


def free_text(spec: ParameterSpec) -> bool:
    """A value the template does not constrain: it is escaped for JSON where the template builds JSON."""
    return not template_constraints(spec).keys() & {"AllowedValues", "AllowedPattern"}


def _scalar(value: object) -> str:
    """A YAML flow scalar: JSON is YAML (double-quoted strings, numbers, lists)."""
    return json.dumps(value, ensure_ascii=False)


def _text(key: str, text: str, width: int) -> list[str]:
    """`key: text` within `width` columns, folded over lines when long and folding gives back the text."""
    line = f"{key}: {_scalar(text)}"
    lines = textwrap.wrap(text, width - 2, break_long_words=False, break_on_hyphens=False)
    if len(line) <= width or " ".join(lines) != text or text != text.strip() or "\t" in text:
        return [line]
    return [f"{key}: >-", *(f"  {part}" for part in lines)]


def template_parameters(specs: Sequence[ParameterSpec], width: int) -> list[str]:
    lines: list[str] = []
    for spec in specs:
        lines += [f"{spec.name}:", "  Type: String", f"  Default: {_scalar(spec.default)}"]
        lines += [f"  {key}: {_scalar(value)}" for key, value in template_constraints(spec).items()]
        lines += [f"  {line}" for line in _text("Description", spec.description, width - 2)]
    return lines


def template_conditions(specs: Sequence[ParameterSpec]) -> list[str]:
    return [f'{condition(s)}: !Not [!Equals [!Ref {s.name}, ""]]' for s in specs if optional(s)]


def rule_input_parameters(specs: Sequence[ParameterSpec]) -> list[str]:
    return [
        f"{s.name}: !If [{condition(s)}, !Ref {s.name}, !Ref AWS::NoValue]"
        if optional(s)
        else f"{s.name}: !Ref {s.name}"
        for s in specs
    ]


def json_member(spec: ParameterSpec) -> str:
    """One `"Name": "value"` member of the JSON object the template builds: a value the template does
    not constrain has its backslashes, then its quotes, escaped; an empty one is left out."""
    if free_text(spec):
        escaped = f'!Join ["\\\\\\\\", !Split ["\\\\", !Ref {spec.name}]]'
        quoted = f"!Join ['\\\"', !Split ['\"', {escaped}]]"
        member = f'!Join ["", [\'"{spec.name}": "\', {quoted}, \'"\']]'
    else:
        member = f'!Sub \'"{spec.name}": "${{{spec.name}}}"\''
    return f"!If [{condition(spec)}, {member}, !Ref AWS::NoValue]" if optional(spec) else member


def json_members(specs: Sequence[ParameterSpec]) -> list[str]:
    return [f"- {json_member(s)}" for s in specs]


def rdk_parameters(specs: Sequence[ParameterSpec]) -> list[dict[str, Any]]:
    return [
        {
            "Name": s.name,
            "Type": s.type,
            "Default": s.default,
            **({"AllowedValues": list(s.allowed_values)} if s.allowed_values else {}),
            "Description": s.description,
        }
        for s in specs
    ]


def _markdown(text: str, specs: Sequence[ParameterSpec], spec: ParameterSpec | None = None) -> str:
    """Plain text as the README writes it: parameter names, their values, enums and placeholders as code."""
    names = "|".join(re.escape(s.name) for s in specs)
    text = re.sub(rf"\b({names}|[A-Z]+(?:_[A-Z]+)+)\b|[^\s(]*<[\w-]+>[^\s,;)]*", r"`\g<0>`", text)
    for named in specs:
        if named.allowed_values:  # "CheckMode connectors or both"
            values = "|".join(re.escape(v) for v in named.allowed_values)
            text = re.sub(rf"(`{named.name}`) ({values})\b(?: or ({values})\b)?", _values, text)
    if spec is not None and spec.allowed_values:  # "name: the source rule's naming convention"
        values = "|".join(re.escape(v) for v in spec.allowed_values)
        text = re.sub(rf"(^|\. )({values}):", r"\1`\2`:", text)
    return text


def _values(match: re.Match[str]) -> str:
    name, first, second = match.groups()
    return f"{name} `{first}`" + (f" or `{second}`" if second else "")


def readme_parameters(specs: Sequence[ParameterSpec]) -> list[str]:
    rows = ["| Parameter | Default | Meaning |", "| --- | --- | --- |"]
    for spec in specs:
        default = f"`{spec.default}`" if spec.default else "`` (empty)"
        cell = " ".join(part for part in (_markdown(spec.description, specs, spec), spec.readme) if part)
        rows.append(f"| `{spec.name}` | {default} | {cell.replace('|', chr(92) + '|')} |")
    return [
        *rows,
        "",
        "This table, `rdk_config.json`, `parameters.json` and the template's parameters are written by "
        "`make generate` from `PARAMETER_SPECS` (`mq_network/core/parameters.py`); a test fails when they differ.",
    ]


def readme_rule(metadata: RuleMetadata, specs: Sequence[ParameterSpec]) -> list[str]:
    return [
        f"**{metadata.title}.** Rule `{metadata.rule_name}`, severity {metadata.severity.lower()}, from "
        f"{metadata.source}. {_markdown(metadata.risk, specs)}",
        "",
        f"Fix: {_markdown(metadata.fix, specs)} ([Amazon MQ: network of brokers]({metadata.fix_url}))",
    ]


# --- writing between markers -----------------------------------------------------------------------


def _between(text: str, file: str, name: str, opening: str, closing: str, block: Callable[[str], list[str]]) -> str:
    """Every `opening`..`closing` pair named `name` in `text`, its inside replaced by `block(indent)`."""
    pattern = re.compile(
        rf"^(?P<indent>[ \t]*){re.escape(opening.format(name=name))}[^\n]*\n(?:.*?\n)??"
        rf"(?P=indent){re.escape(closing.format(name=name))}[^\n]*\n",
        re.M | re.S,
    )
    found = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal found
        found += 1
        indent = match["indent"]
        first, *_, last = match[0].splitlines(keepends=True)
        inside = "".join(f"{indent}{line}\n" if line else "\n" for line in block(indent))
        return first + inside + last

    updated = pattern.sub(replace, text)
    if not found:
        raise GenerateError(f"{file}: no '{opening.format(name=name)}' ... '{closing.format(name=name)}' markers")
    return updated


def render_template(text: str, specs: Sequence[ParameterSpec], metadata: RuleMetadata) -> str:
    blocks: dict[str, Callable[[str], list[str]]] = {
        "rule-parameter-group": lambda _: [f"- {s.name}" for s in specs],
        "rule-parameters": lambda indent: template_parameters(specs, _WIDTH - len(indent)),
        "rule-parameter-conditions": lambda _: template_conditions(specs),
        "rule-description": lambda indent: _text("Description", metadata.description, _WIDTH - len(indent)),
        "rule-input-parameters": lambda _: rule_input_parameters(specs),
        "organization-input-parameters": lambda _: json_members(specs),
        "hook-input-parameters": lambda _: json_members([s for s in specs if s.in_hook]),
    }
    for name, block in blocks.items():
        text = _between(text, TEMPLATE, name, "# generated: {name}", "# end generated: {name}", block)
    start = text.index(SCRIPT_BEGIN) + len(SCRIPT_BEGIN)
    end = text.index(SCRIPT_END, start)
    script = "".join(SCRIPT_INDENT + line if line.strip() else "\n" for line in bundle().splitlines(keepends=True))
    return text[:start] + script + text[end:]


def render_readme(text: str, specs: Sequence[ParameterSpec], metadata: RuleMetadata) -> str:
    opening, closing = "<!-- generated: {name} -->", "<!-- end generated: {name} -->"
    text = _between(text, README, "parameters", opening, closing, lambda _: readme_parameters(specs))
    return _between(text, README, "rule", opening, closing, lambda _: readme_rule(metadata, specs))


def render_rdk_config(text: str, specs: Sequence[ParameterSpec], metadata: RuleMetadata) -> str:
    config = json.loads(text)
    config["RuleName"] = metadata.rule_name
    config["Description"] = metadata.description
    config["Parameters"] = rdk_parameters(specs)
    return json.dumps(config, indent=2, ensure_ascii=False) + "\n"


def render_rdk_parameters(text: str, specs: Sequence[ParameterSpec], metadata: RuleMetadata) -> str:
    document = json.loads(text)
    rule = document["Parameters"]
    rule["RuleName"] = metadata.rule_name
    rule["Description"] = metadata.description
    rule["InputParameters"] = json.dumps({s.name: s.default for s in specs if not optional(s)})
    rule["OptionalParameters"] = json.dumps({s.name: s.default for s in specs if optional(s)})
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


RENDERERS: dict[str, Callable[[str, Sequence[ParameterSpec], RuleMetadata], str]] = {
    TEMPLATE: render_template,
    RDK_CONFIG: render_rdk_config,
    RDK_PARAMETERS: render_rdk_parameters,
    README: render_readme,
}


def generated(root: Path = ROOT) -> dict[str, tuple[str, str]]:
    """Each generated file: (what it holds, what the generator writes)."""
    metadata = rule_metadata()
    files = {}
    for name, render in RENDERERS.items():
        current = (root / name).read_text(encoding="utf-8")
        files[name] = (current, render(current, PARAMETER_SPECS, metadata))
    return files


def main(argv: Sequence[str] | None = None) -> int:
    check = "--check" in (sys.argv[1:] if argv is None else argv)
    try:
        files = generated()
    except GenerateError as err:
        print(f"make generate: {err}", file=sys.stderr)
        return 2
    stale = [name for name, (current, written) in files.items() if current != written]
    for name in stale:
        if check:
            print(f"{name} differs from what `make generate` writes", file=sys.stderr)
        else:
            (ROOT / name).write_text(files[name][1], encoding="utf-8")
            print(f"{name}: generated parts rewritten")
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
