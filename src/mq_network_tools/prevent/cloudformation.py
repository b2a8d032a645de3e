"""What a CloudFormation template says of its Amazon MQ brokers, before deployment.

mq-network-check reads templates here and judges with core/predeploy.py. A property is read as what it
will be at deployment, no more:

* a literal is a literal (DeploymentMode and EngineType in any case, as the registry schema's
  `enumCaseInsensitive` accepts them);
* `Fn::Join` and `Fn::Sub` of literals and unknown parts make a name *shape*
  (`${AWS::StackName}-Broker`), which name_shape decides soundly against BrokerNamePattern;
* `Fn::If` of literals, or a `Ref` to a parameter with `AllowedValues`, is a choice of literals;
* tags are read entry by entry: a computed tag does not hide a literal scope tag;
* anything else (a `Ref` to a parameter without AllowedValues, `Fn::ImportValue`, `Fn::Transform`)
  is known only at deployment.

Brokers declared through `Fn::ForEach` (`Transform: AWS::LanguageExtensions`) are expanded by
cfn-lint's own implementation of that transform, imported only for such a template (it costs
seconds to import; mq-network-of-brokers[cloudformation] installs it), and only when every
collection is a literal list: cfn-lint stands in defaults or invented values for the others, which
a deployment can change, so those blocks are UNKNOWN. So are templates whose content is decided at
deployment by a macro or `AWS::Include` (`Transform`, `Fn::Transform`): the brokers written in
the file are judged as written, and the template gets an UNKNOWN finding of its own, never a
silent "0 brokers".
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from mq_network.core import (
    RESOURCE_TYPE,
    UNKNOWN,
    Choice,
    PartialTags,
    Planned,
    PlannedName,
    PlannedTags,
    PlannedValue,
    RuleParameters,
    Shape,
    Unknown,
    judge_planned,
)
from mq_network_tools.prevent.template_network import cloudformation_networks

if TYPE_CHECKING:
    from mq_network.core import Hole

BROKER = RESOURCE_TYPE
_AMAZON_MQ = "AWS::AmazonMQ::"
LANGUAGE_EXTENSIONS = "AWS::LanguageExtensions"
_KNOWN_TRANSFORMS = {"AWS::Serverless-2016-10-31", LANGUAGE_EXTENSIONS}  # neither adds or changes a broker
_FOR_EACH = "Fn::ForEach::"
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")
INSTALL_HINT = "pip install 'mq-network-of-brokers[cloudformation]'"


class Judged(NamedTuple):
    resource: str  # a logical ID, or what the finding is about ("Transform", "Fn::ForEach::Brokers")
    line: int
    planned: Planned


def judge_template(
    template: Mapping[str, Any], text: str, params: RuleParameters, lines: Mapping[str, int]
) -> list[Judged]:
    """Every broker of the template, judged, and what keeps part of it unknown until deployment.

    `lines`: the first line of each key in the file (logical IDs), for the findings' locations.
    """
    notes: list[Judged] = []
    for transform in _transforms(template.get("Transform")):
        if transform not in _KNOWN_TRANSFORMS:
            notes.append(_note("Transform", lines, f"Transform {transform} rewrites this template at deployment"))
    resources = template["Resources"]
    if any(isinstance(key, str) and key.startswith(_FOR_EACH) for key in resources):
        expanded, found = _expand_for_each(template, text, lines)
        notes += found
        if expanded is not None:
            template, lines = expanded
            resources = template["Resources"]
    if "Fn::Transform" in resources:
        notes.append(_note("Fn::Transform", lines, "Fn::Transform inserts resources at deployment"))
    networks = cloudformation_networks(resources, params) if params.checks_connectors else {}
    judged = []
    for logical_id, resource in resources.items():
        if not isinstance(resource, Mapping) or resource.get("Type") != BROKER:
            continue
        lid = str(logical_id)
        line = _line_of(logical_id, lines)
        properties = resource.get("Properties")
        if properties is None:
            properties = {}
        if not isinstance(properties, Mapping) or "Fn::Transform" in resource or "Fn::Transform" in properties:
            why = "its Properties are inserted at deployment (Fn::Transform)"
            if not isinstance(properties, Mapping):
                why = "its Properties are not an object"
            judged.append(
                Judged(lid, line, Planned(UNKNOWN, f"Broker {lid} cannot be judged before deployment: {why}."))
            )
            continue
        name, mode, engine, tags = broker_properties(properties, template.get("Parameters"))
        planned = judge_planned(lid, name, mode, engine, tags, params, networks.get(lid))
        judged.append(Judged(lid, line, planned))
    return judged + notes


def _note(resource: str, lines: Mapping[str, int], what: str) -> Judged:
    message = (
        f"{what}: brokers it adds or changes cannot be judged before deployment "
        "(the brokers written in this file are judged as written)."
    )
    return Judged(resource, lines.get(resource, 1), Planned(UNKNOWN, message))


def _line_of(key: object, lines: Mapping[str, int]) -> int:
    mark = getattr(key, "start_mark", None)  # cfn-lint's decoder keeps where each key was written
    if mark is not None and isinstance(getattr(mark, "line", None), int):
        return int(mark.line) + 1
    return lines.get(str(key), 1)


def _transforms(value: object) -> Iterator[str]:
    for item in value if isinstance(value, list) else [value] if value is not None else []:
        if isinstance(item, str):
            yield item
        elif isinstance(item, Mapping) and isinstance(item.get("Name"), str):
            yield item["Name"]  # {Name: AWS::Include, Parameters: {Location: ...}}
        else:
            yield "(not a name)"


# --- Fn::ForEach ---------------------------------------------------------------------------------------


def _declares_amazon_mq(value: object) -> bool:
    """Whether an Fn::ForEach block's output holds an Amazon MQ resource (or a type not written out)."""
    if not isinstance(value, list) or len(value) != 3 or not isinstance(value[2], Mapping):
        return True
    for key, resource in value[2].items():
        if isinstance(key, str) and key.startswith(_FOR_EACH):
            if _declares_amazon_mq(resource):
                return True
            continue
        kind = resource.get("Type") if isinstance(resource, Mapping) else None
        if not isinstance(kind, str) or kind.startswith(_AMAZON_MQ):
            return True
    return False


def _literal_collections(value: object) -> bool:
    """Whether a block (and every block nested in it) loops over a literal list of strings."""
    if not isinstance(value, list) or len(value) != 3 or not isinstance(value[2], Mapping):
        return False
    collection = value[1]
    if not isinstance(collection, list) or not all(isinstance(item, str) for item in collection):
        return False
    return all(
        _literal_collections(inner)
        for key, inner in value[2].items()
        if isinstance(key, str) and key.startswith(_FOR_EACH)
    )


def _expand_for_each(
    template: Mapping[str, Any], text: str, lines: Mapping[str, int]
) -> tuple[tuple[Mapping[str, Any], Mapping[str, int]] | None, list[Judged]]:
    """The template with its Fn::ForEach blocks expanded by cfn-lint, or why some cannot be."""
    blocks = {
        key: value
        for key, value in template["Resources"].items()
        if isinstance(key, str) and key.startswith(_FOR_EACH) and _declares_amazon_mq(value)
    }
    if not blocks:
        return None, []  # loops over other resources: no broker comes out of them
    open_blocks = [key for key, value in blocks.items() if not _literal_collections(value)]
    notes = [
        Judged(
            key,
            lines.get(key, 1),
            Planned(
                UNKNOWN,
                f"{key} declares Amazon MQ resources over a collection known only at deployment (not a literal "
                "list): they cannot be judged before deployment.",
            ),
        )
        for key in open_blocks
    ]
    if open_blocks:
        return None, notes
    if LANGUAGE_EXTENSIONS not in set(_transforms(template.get("Transform"))):
        key = next(iter(blocks))
        message = f"{key} needs Transform {LANGUAGE_EXTENSIONS}, which this template does not declare."
        return None, [Judged(key, lines.get(key, 1), Planned(UNKNOWN, message))]
    try:
        from cfnlint.decode import decode_str  # type: ignore[import-untyped]
        from cfnlint.template import Template  # type: ignore[import-untyped]
    except ImportError:
        key = next(iter(blocks))
        message = f"{key} declares Amazon MQ resources; expanding Fn::ForEach needs cfn-lint ({INSTALL_HINT})."
        return None, [Judged(key, lines.get(key, 1), Planned(UNKNOWN, message))]
    decoded, errors = decode_str(text)
    source = decoded if not errors and isinstance(decoded, Mapping) else dict(template)
    cfn = Template(None, source, ["us-east-1"])
    failures = cfn.transform()
    if failures or not isinstance(cfn.template, Mapping) or not isinstance(cfn.template.get("Resources"), Mapping):
        key = next(iter(blocks))
        why = "; ".join(str(getattr(f, "message", f)) for f in failures)[:300] or "no Resources came out"
        message = f"{key}: cfn-lint could not expand Fn::ForEach ({why}); its brokers cannot be judged."
        return None, [Judged(key, lines.get(key, 1), Planned(UNKNOWN, message))]
    return (cfn.template, lines), []


# --- properties ----------------------------------------------------------------------------------------


def broker_properties(
    properties: Mapping[str, Any], parameters: object = None
) -> tuple[PlannedName, PlannedValue, PlannedValue, PlannedTags]:
    """Name, mode, engine and tags of a broker's Properties as written in a template."""
    declared = parameters if isinstance(parameters, Mapping) else {}
    return (
        name_value(properties.get("BrokerName")),
        enum_value(properties.get("DeploymentMode"), declared),
        enum_value(properties.get("EngineType"), declared),
        tags_value(properties.get("Tags")),
    )


def describe(value: object) -> str:
    """How an intrinsic function is shown to a person: `Ref Mode`, `Fn::GetAtt Broker.Arn`, `Fn::If`."""
    if isinstance(value, Mapping) and len(value) == 1:
        ((function, argument),) = value.items()
        if function == "Ref" and isinstance(argument, str):
            return f"Ref {argument[:60]}"
        if function == "Fn::GetAtt" and isinstance(argument, list) and all(isinstance(a, str) for a in argument):
            return f"Fn::GetAtt {'.'.join(argument)[:60]}"
        return str(function)[:40]
    return "not a string"


def name_value(value: object) -> PlannedName:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if _larger_than(value, _MAX_NAME_NODES):  # YAML aliases can make a 1 KB name expand to millions of parts
        return Unknown(f"{describe(value)} (over {_MAX_NAME_NODES:,} values once its aliases are expanded)")
    parts = _parts(value, depth=0)
    if parts is None:
        return Unknown(describe(value))
    literal = [part for part in parts if isinstance(part, str)]
    if len(literal) == len(parts):
        return "".join(literal)  # a Join or Sub of literals only
    how = describe(value)
    return Shape(tuple(parts), how)


_MAX_NAME_NODES = 2_000


def _larger_than(value: object, limit: int) -> bool:
    """Whether `value`, with every shared (aliased) node counted each time it is used, holds more
    than `limit` values; stops counting at the limit, so it costs at most `limit` steps."""
    seen = 0
    stack = [value]
    while stack:
        item = stack.pop()
        seen += 1
        if seen > limit:
            return True
        if isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _parts(value: object, depth: int) -> list[str | Hole] | None:
    """A string built by Fn::Join or Fn::Sub, as literal parts and holes; None when not such a value."""
    if depth > 20 or not isinstance(value, Mapping) or len(value) != 1:
        return None
    from mq_network.core import Hole  # only names built at deployment need it

    ((function, argument),) = value.items()
    if function == "Fn::Join":
        if not (isinstance(argument, list) and len(argument) == 2 and isinstance(argument[0], str)):
            return None
        separator, items = argument
        if not isinstance(items, list):
            return None  # a list from a parameter: any number of parts
        parts: list[str | Hole] = []
        for index, item in enumerate(items):
            if index:
                parts.append(separator)
            parts += _part(item, depth)
        return parts
    if function == "Fn::Sub":
        variables: Mapping[str, Any] = {}
        if isinstance(argument, str):
            body = argument
        elif (
            isinstance(argument, list)
            and len(argument) == 2
            and isinstance(argument[0], str)
            and isinstance(argument[1], Mapping)
        ):
            body, variables = argument[0], argument[1]
        else:
            return None
        parts = []
        position = 0
        for match in _SUB_VARIABLE.finditer(body):
            parts.append(body[position : match.start()])
            position = match.end()
            written = match[1]
            if written.startswith("!"):
                parts.append("${" + written[1:] + "}")  # ${!Literal} is written out as ${Literal}
            elif written.strip() in variables:
                parts += _part(variables[written.strip()], depth)
            else:
                parts.append(Hole(written.strip()[:60]))
        parts.append(body[position:])
        return parts
    return None


def _part(item: object, depth: int) -> list[str | Hole]:
    from mq_network.core import Hole

    if isinstance(item, str):
        return [item]
    nested = _parts(item, depth + 1)
    return nested if nested is not None else [Hole(describe(item))]


def enum_value(value: object, parameters: Mapping[str, Any], depth: int = 0) -> PlannedValue:
    """DeploymentMode or EngineType: a literal, a choice of literals, or unknown."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    values = _choices(value, parameters, depth)
    if values:
        return Choice(tuple(dict.fromkeys(values)), describe(value))
    return Unknown(describe(value))


def _choices(value: object, parameters: Mapping[str, Any], depth: int) -> list[str] | None:
    if depth > 10 or not isinstance(value, Mapping) or len(value) != 1:
        return None
    ((function, argument),) = value.items()
    if function == "Ref" and isinstance(argument, str):
        declared = parameters.get(argument)
        allowed = declared.get("AllowedValues") if isinstance(declared, Mapping) else None
        if (
            isinstance(declared, Mapping)
            and isinstance(allowed, list)
            and allowed
            and all(isinstance(v, str) for v in allowed)
            and str(declared.get("Type", "String")) == "String"
        ):
            return list(allowed)
        return None
    if function == "Fn::If" and isinstance(argument, list) and len(argument) == 3:
        found: list[str] = []
        for branch in argument[1:]:
            if isinstance(branch, str):
                found.append(branch)
                continue
            inner = _choices(branch, parameters, depth + 1)
            if inner is None:
                return None
            found += inner
        return found
    return None


def tags_value(value: object) -> PlannedTags:
    """Tags entry by entry: literal keys keep their literal values even when another entry is computed."""
    if value is None:
        return {}
    if not isinstance(value, list):
        return Unknown(describe(value))
    known: dict[str, str | Unknown] = {}
    unknown_keys: Unknown | None = None
    for entry in value:
        key = entry.get("Key") if isinstance(entry, Mapping) and "Key" in entry else None
        if not isinstance(key, str):
            unknown_keys = unknown_keys or Unknown(describe(entry if not isinstance(entry, Mapping) else key))
            continue
        tag_value = entry.get("Value")
        known[key] = tag_value if isinstance(tag_value, str) else Unknown(describe(tag_value))
    if unknown_keys is None and all(isinstance(v, str) for v in known.values()):
        return {k: v for k, v in known.items() if isinstance(v, str)}
    return PartialTags(known, unknown_keys)
