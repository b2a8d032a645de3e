"""What the command-line tools share without AWS: the rule's parameters as options, safe text.

Kept apart from audit.py so that mq-network-check, which reads only files, does not import boto3.
"""

from __future__ import annotations

import argparse

from mq_network.core import PARAMETER_SPECS

# What printable escapes, by Unicode category: control characters (Cc), lone surrogates (Cs, from JSON
# "\ud800" or a file name that is not UTF-8, which no terminal encoding can write), format characters
# (Cf: the bidirectional overrides that reorder a line as a terminal shows it, zero-width characters
# that hide a spreadsheet formula's "=" behind them), and the line and paragraph separators (Zl, Zp).
_ESCAPED = frozenset(("Cc", "Cs", "Cf", "Zl", "Zp"))
# The rule parameters a terminal user sets; the role parameters become --role-name and --accounts.
_OPTION_SPECS = [spec for spec in PARAMETER_SPECS if spec.name not in ("ExecutionRoleName", "AssumeRoleMode")]


def printable(text: str) -> str:
    """Characters of the kinds _ESCAPED names shown as escapes: nothing read from AWS or a template can
    move the cursor, recolour a terminal, reorder or start a new row, hide a formula or stop the output.

    str.isprintable refuses every character of those kinds, so a text it accepts (nearly every name
    and annotation) is returned as it is, without a per-character look-up.
    """
    if text.isprintable():
        return text
    import unicodedata

    return "".join(
        (repr(char)[1:-1] if char in "\n\r\t" else _escape(char)) if unicodedata.category(char) in _ESCAPED else char
        for char in text
    )


def _escape(char: str) -> str:
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


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
