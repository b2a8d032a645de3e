"""Terraform source (.tf): the aws_mq_broker blocks people write, read with python-hcl2's parser.

What decides is what the source states literally: broker_name, deployment_mode (Terraform's AWS
provider defaults it to SINGLE_INSTANCE when absent), engine_type, and tags merged over the
default_tags of the folder's `provider "aws"` block. A `local.x` built only from literals (strings,
and templates of other such locals) is resolved within the module's folder (every .tf file beside
the one read). Anything else is UNKNOWN, never a pass: a variable (`var.x`, even with a default,
since `-var`, tfvars files and module callers override it), a module input, a function call, a
conditional, a reference to another resource, `count.index`/`each.key`, tags from an expression,
and the provider's default_tags when the folder has no `provider "aws"` block (its caller's
provider tags the broker). A `module` block that may declare brokers (an Amazon MQ module, or one
given broker_name/deployment_mode/engine_type) is UNKNOWN too: modules are not followed, the plan
is the exact path (`terraform show -json plan.out`). CheckMode connectors reads configurations from
plans only: on source, a broker's network is UNKNOWN.

python-hcl2 (and lark, the parser it builds on) is imported only when a .tf file is read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from mq_network.core import UNKNOWN, Planned, RuleParameters, Unknown, judge_planned
from mq_network_tools.prevent.terraform_tags import Tags, for_rule, merged

BROKER = "aws_mq_broker"
DEFAULT_MODE = "SINGLE_INSTANCE"  # the provider's default for deployment_mode (its documentation)
_LOCAL = re.compile(r"\s*local\.([A-Za-z_][A-Za-z0-9_-]*)\s*")
_VAR = re.compile(r"\s*var\.([A-Za-z_][A-Za-z0-9_-]*)")
_PROVIDER = re.compile(r"\s*aws(?:\.([A-Za-z_][A-Za-z0-9_-]*))?\s*")
_MQ_MODULE = re.compile(r"mq|broker", re.IGNORECASE)
_BROKER_INPUTS = ("broker_name", "deployment_mode", "engine_type")
_DEPTH = 16  # locals referring to locals, at most this deep (a cycle is UNKNOWN, as Terraform refuses it)


class SourceError(ValueError):
    """A .tf file python-hcl2 cannot parse (Terraform would refuse it too)."""


def parse(text: str) -> dict[str, Any]:
    """The file as python-hcl2 reads it: expressions kept as `${...}`, string literals in quotes."""
    import hcl2
    from hcl2.utils import SerializationOptions

    options = SerializationOptions(with_comments=False, preserve_heredocs=False)
    try:
        document = hcl2.loads(text, serialization_options=options)
    except RecursionError:
        raise SourceError("nested too deeply to read") from None
    except Exception as err:  # lark's UnexpectedInput and friends: a file Terraform would not parse either
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise SourceError(f"not valid Terraform (HCL) source ({first})") from None
    if not isinstance(document, dict):
        raise SourceError("not valid Terraform (HCL) source")
    return document


class Folder:
    """A module's folder: the locals and providers its .tf files declare, read once per run."""

    def __init__(self, documents: Mapping[Path, dict[str, Any] | str]) -> None:
        """`documents`: each .tf file of the folder, parsed, or why it could not be read."""
        self.unread = sorted(str(p.name) for p, d in documents.items() if isinstance(d, str))
        self.locals: dict[str, Any] = {}
        self.twice: set[str] = set()
        self.providers: list[Mapping[str, Any]] = []
        self.bases: dict[str, Mapping[str, Any]] = {}
        self.overrides: dict[str, list[Mapping[str, Any]]] = {}
        for path, document in sorted(documents.items()):  # override files apply in lexical order
            if isinstance(document, str):
                continue
            for name, body in _brokers(document):
                if is_override(path):
                    self.overrides.setdefault(name, []).append(body)
                else:
                    self.bases.setdefault(name, body)
            for block in _blocks(document, "locals"):
                for name, value in block.items():
                    if name.startswith("__"):
                        continue
                    if name in self.locals:
                        self.twice.add(name)
                    self.locals[name] = value
            for block in _blocks(document, "provider"):
                for label, body in block.items():
                    if _unquote(label) == "aws" and isinstance(body, Mapping):
                        self.providers.append(body)

    def effective(self, name: str, body: Mapping[str, Any]) -> Mapping[str, Any]:
        """A broker block with the folder's override files applied, as Terraform merges them: each
        argument or nested block type an override sets replaces the original's."""
        merged_body = dict(body)
        for override in self.overrides.get(name, []):
            merged_body.update(override)
        return merged_body

    def value(self, raw: object, seen: tuple[str, ...] = ()) -> str | Unknown | None:
        """A string attribute's value when the source states it, else why not."""
        if raw is None:
            return None
        if isinstance(raw, bool):
            return "true" if raw else "false"
        if isinstance(raw, int):
            return str(raw)
        if not isinstance(raw, str):
            return Unknown("not a string")
        if len(raw) >= 2 and raw.startswith('"') and raw.endswith('"'):
            return self._template(raw[1:-1], seen)
        if raw.startswith("${") and raw.endswith("}"):
            return self._expression(raw[2:-1], seen)
        return Unknown(f"an expression ({_short(raw)})")

    def _expression(self, expression: str, seen: tuple[str, ...]) -> str | Unknown | None:
        local = _LOCAL.fullmatch(expression)
        if not local:
            return Unknown(_describe(expression))
        resolved = self.local(local[1], seen)
        return resolved if isinstance(resolved, (str, Unknown)) or resolved is None else Unknown("not a string")

    def local(self, name: str, seen: tuple[str, ...]) -> object:
        """local.<name> resolved (a string, a tag map) or Unknown; a map's values are resolved later."""
        if name in self.twice:
            return Unknown(f"local.{name}, declared twice")
        if name not in self.locals:
            unread = f" (unreadable: {', '.join(self.unread)})" if self.unread else ""
            return Unknown(f"local.{name}, not declared in the .tf files of its folder{unread}")
        if name in seen or len(seen) >= _DEPTH:
            return Unknown(f"local.{name}, which refers to itself")
        raw = self.locals[name]
        if isinstance(raw, Mapping):
            return raw
        chained = _LOCAL.fullmatch(raw[2:-1]) if isinstance(raw, str) and raw[:2] == "${" and raw[-1:] == "}" else None
        if chained:  # local.a = local.b: whatever b is (a tag map too)
            return self.local(chained[1], (*seen, name))
        found = self.value(raw, (*seen, name))
        if isinstance(found, Unknown) and not found.how.startswith("local."):
            return Unknown(f"local.{name}, which is {found.how}")
        return found

    def _template(self, text: str, seen: tuple[str, ...]) -> str | Unknown:
        """A quoted template: literal text and ${local.x} of literals only."""
        from hcl2.utils import process_escape_sequences

        parts: list[str] = []
        position = 0
        literal = ""
        while position < len(text):
            if text.startswith(("$${", "%%{"), position):
                literal += text[position + 1 : position + 3]
                position += 3
                continue
            if text.startswith("%{", position):
                return Unknown("a template with a directive (%{...})")
            if text.startswith("${", position):
                end = text.find("}", position)
                if end < 0:
                    return Unknown("an unterminated interpolation")
                resolved = self._expression(text[position + 2 : end], seen)
                if text.find("{", position + 2, end) >= 0 or not isinstance(resolved, str):
                    inner = text[position + 2 : end]
                    return resolved if isinstance(resolved, Unknown) else Unknown(_describe(inner))
                parts.append(process_escape_sequences(literal))
                parts.append(resolved)
                literal = ""
                position = end + 1
                continue
            literal += text[position]
            position += 1
        parts.append(process_escape_sequences(literal))
        return "".join(parts)

    def tags(self, raw: object, seen: tuple[str, ...] = ()) -> Tags | Unknown:
        """A tags map: literal keys, values resolved one by one; a computed map or key is UNKNOWN."""
        if raw is None:
            return Tags({}, {})
        if isinstance(raw, str) and raw.startswith("${") and raw.endswith("}"):
            local = _LOCAL.fullmatch(raw[2:-1])
            if not local:
                return Unknown(_describe(raw[2:-1]))
            found = self.local(local[1], seen)
            if isinstance(found, Mapping):
                return self.tags(found, (*seen, local[1]))
            return found if isinstance(found, Unknown) else Unknown("not a map")
        if not isinstance(raw, Mapping):
            return Unknown("not a map")
        known: dict[str, str] = {}
        pending: dict[str, str] = {}
        for key, value in raw.items():
            if key.startswith("__"):
                continue
            name = _key(key)
            if name is None:
                return Unknown(f"a map with a computed key ({_short(key)})")
            resolved = self.value(value, seen)
            if isinstance(resolved, str):
                known[name] = resolved
            elif resolved is None:
                pending[name] = "null"
            else:
                pending[name] = resolved.how
        return Tags(known, pending)

    def default_tags(self, provider: object) -> Tags | Unknown:
        """The default_tags of the provider a resource uses (`provider = aws.alias`, or the default one)."""
        alias: str | None = None
        if provider is not None:
            match = _PROVIDER.fullmatch(provider[2:-1]) if isinstance(provider, str) and provider[:2] == "${" else None
            if not match:
                return Unknown(f"set by its provider ({_short(str(provider))})")
            alias = match[1]
        chosen = [p for p in self.providers if self.value(p.get("alias")) == alias]
        if len(chosen) != 1:
            which = f'provider "aws" with alias {alias}' if alias else 'provider "aws" block'
            return Unknown(
                f"set by provider default_tags outside its folder (no {which} among the .tf files read)"
                if not chosen
                else f"ambiguous (more than one {which})"
            )
        blocks = chosen[0].get("default_tags")
        if blocks is None:
            return Tags({}, {})
        if not isinstance(blocks, list) or len(blocks) != 1 or not isinstance(blocks[0], Mapping):
            return Unknown("set by a default_tags block of an unexpected shape")
        return self.tags(blocks[0].get("tags"))


def judge(
    path: Path, text: str, document: Mapping[str, Any], folder: Folder, params: RuleParameters
) -> list[tuple[str, int, Planned]]:
    """Each aws_mq_broker block of one file (address, line, verdict), and module calls that may hold brokers."""
    found = []
    for name, written in _brokers(document):
        address = f"{BROKER}.{name}"
        line = _line(text, rf'resource\s+"?{BROKER}"?\s+"?{re.escape(name)}"?')
        # an override file's block is partial: judge the block it overrides, as Terraform merges it
        body = folder.bases.get(name) if is_override(path) else written
        if body is None:
            found.append((address, line, Planned(UNKNOWN, f"{address} overrides a block not found beside it.")))
        else:
            found.append((address, line, _broker(address, folder.effective(name, body), folder, params)))
    for block in _blocks(document, "module"):
        for label, body in block.items():
            if not isinstance(body, Mapping):
                continue
            source = folder.value(body.get("source"))
            shown = source if isinstance(source, str) else "a computed source"
            if not (any(k in body for k in _BROKER_INPUTS) or (isinstance(source, str) and _MQ_MODULE.search(source))):
                continue
            name = _unquote(label)
            found.append(
                (
                    f"module.{name}",
                    _line(text, rf'module\s+"?{re.escape(name)}"?'),
                    Planned(
                        UNKNOWN,
                        f"Module {name} ({shown}) may declare Amazon MQ brokers, which this check does not read "
                        "from source: judge the plan (terraform show -json plan.out).",
                    ),
                )
            )
    return found


def _broker(address: str, body: Mapping[str, Any], folder: Folder, params: RuleParameters) -> Planned:
    mode = folder.value(body.get("deployment_mode"))
    tags = merged(folder.default_tags(body.get("provider")), folder.tags(body.get("tags")))
    network = (
        Unknown("its network connectors are read from a Terraform plan (terraform show -json), not from source")
        if params.checks_connectors
        else None
    )
    return judge_planned(
        address,
        folder.value(body.get("broker_name")),
        DEFAULT_MODE if mode is None else mode,
        folder.value(body.get("engine_type")),
        for_rule(tags, params),
        params,
        network,
    )


def is_override(path: Path) -> bool:
    """Terraform's override files (override.tf, *_override.tf): merged into the blocks they name."""
    return path.name == "override.tf" or path.name.endswith("_override.tf")


def _brokers(document: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """The aws_mq_broker blocks of one file (name, body)."""
    found = []
    for block in _blocks(document, "resource"):
        for kind, named in block.items():
            if _unquote(kind) == BROKER and isinstance(named, Mapping):
                found += [(_unquote(label), body) for label, body in named.items() if isinstance(body, Mapping)]
    return found


def _blocks(document: Mapping[str, Any], kind: str) -> list[Mapping[str, Any]]:
    listed = document.get(kind)
    return [b for b in listed if isinstance(b, Mapping)] if isinstance(listed, list) else []


def _unquote(label: str) -> str:
    return label[1:-1] if len(label) >= 2 and label[0] == label[-1] == '"' else label


def _key(key: str) -> str | None:
    """An object key written as a name or a quoted literal; None when it is an expression."""
    if key.startswith("${"):
        return None
    if len(key) >= 2 and key[0] == key[-1] == '"':
        inner = key[1:-1]
        if "${" in inner or "%{" in inner:
            return None
        from hcl2.utils import process_escape_sequences

        return process_escape_sequences(inner)
    return key


def _describe(expression: str) -> str:
    text = expression.strip()
    variable = _VAR.match(text)
    if variable and variable.end() == len(text):
        return (
            f"var.{variable[1]}, a variable set when Terraform runs (-var, .tfvars or a module caller override "
            "its default)"
        )
    rules: list[tuple[Callable[[str], bool], str]] = [
        (lambda t: t.startswith(("each.", "count.")), "set per instance (count/for_each)"),
        (lambda t: t.startswith("module."), "a module's output"),
        (lambda t: t.startswith("data."), "read by a data source at plan time"),
        (lambda t: t.startswith("local."), "a local built from more than literals"),
        (lambda t: t.startswith("var."), "built from a variable"),
    ]
    for test, why in rules:
        if test(text):
            return f"{why} ({_short(text)})"
    return f"an expression ({_short(text)})"


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def _line(text: str, pattern: str) -> int:
    """Where a block starts (for the report only: the parser decided what it holds)."""
    match = re.search(rf"^[ \t]*{pattern}", text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else 1
