"""What the command-line tools share without AWS: the rule's parameters as options, safe text.

Kept apart from audit.py so that mq-network-check, which reads only files, does not import boto3.
"""

from __future__ import annotations

import argparse
import re

from mq_network.core import PARAMETER_SPECS

# Control characters, and lone surrogates (from JSON "\ud800" or a file name that is not UTF-8), which
# no terminal encoding can write. Compiled on first use (by `re`'s cache): the surrogate range makes it
# cost 1.2 ms, a quarter of the audit's own import time, and most runs print nothing that needs it.
_CONTROL = r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]"
# The rule parameters a terminal user sets; the role parameters become --role-name and --accounts.
_OPTION_SPECS = [spec for spec in PARAMETER_SPECS if spec.name not in ("ExecutionRoleName", "AssumeRoleMode")]


def printable(text: str) -> str:
    """Control characters (newlines, ESC, C1 codes) and lone surrogates shown as escapes: nothing read
    from AWS or a template can move the cursor, recolour a terminal, start a new row or stop the output.

    Every character _CONTROL names is one str.isprintable refuses (categories Cc and Cs), so a
    printable text has nothing to escape and is returned as it is.
    """
    if text.isprintable():
        return text
    return re.sub(_CONTROL, lambda m: repr(m.group())[1:-1] if m.group() in "\n\r\t" else _escape(m.group()), text)


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def _dest(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def _option(name: str) -> str:
    return "--" + _dest(name).replace("_", "-")


def add_rule_options(parser: argparse.ArgumentParser) -> None:
    """The rule's parameters as options (--check-mode ...), validated later by parse_parameters."""
    rule = parser.add_argument_group("rule parameters (validated as the rule validates them)")
    for spec in _OPTION_SPECS:
        choices = f" ({', '.join(spec.allowed_values)})" if spec.allowed_values else ""
        rule.add_argument(
            _option(spec.name),
            *(["--aggregator"] if spec.name == "AggregatorName" else []),
            dest=_dest(spec.name),
            metavar=spec.name,
            help=f"{spec.description}{choices} Default: {spec.default or '(empty)'}",
        )


def rule_options(args: argparse.Namespace) -> dict[str, str]:
    """The rule parameters the options set, as AWS Config would pass them."""
    return {spec.name: getattr(args, _dest(spec.name)) for spec in _OPTION_SPECS if getattr(args, _dest(spec.name))}
