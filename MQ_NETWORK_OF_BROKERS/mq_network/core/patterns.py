"""BrokerNamePattern, matched by RE2: linear time in the name's length, whatever the pattern.

Python's `re` backtracks, so a pattern such as `([a-z0-9]+-?)+-Broker-[0-9]+`, or `(?:a|a)` written
34 times, takes minutes on one broker name, and the Lambda (or the CloudFormation hook, which has
30 s) would give no answer at all. A checker of the pattern's shape refused the first kind and let
the second through; the next trick would pass too. RE2 (google-re2, Google's engine, the same
syntax as Go's regexp) has no backtracking, so no pattern can do that: it matches in time linear
in the name, with memory bounded at compilation. What it gives up is what needs backtracking:
back-references (`\\1`), lookaround (`(?=`, `(?!`, `(?<=`, `(?<!`), atomic groups and possessive
repeats; a pattern using them is refused as a parameter error when the parameters are read.

Every user of the pattern (the rule, the hook, mq-network-check, the audit, the plan's names) gets
it as a `NamePattern` from parameters.parse_parameters, so all of them match alike. RE2 is
imported only for a pattern other than the default, when it is validated. The default,
`.+-Broker-[0-9]+`, is vocabulary's member-name shape (MEMBER_NAME_PATTERN, which the audit's
pictures group meshes by) and is matched by Python's `re` instead: that shape has one unbounded
repeat before a literal, so `re` tries each split once and takes time linear in the name, and it
gives RE2's answer on every name (the same `.` and ASCII `[0-9]`; tests/test_pattern_engine.py
compares them exhaustively over the characters that matter, and on random text). Loading RE2 and
matching through it cost the audit 9 M instructions a run (0.7 % of a bare boto3 listing, about
3 ms), and a Lambda invocation that checks names 3 ms on its first match, for the pattern nearly
every deployment uses.
"""

from __future__ import annotations

import re
from typing import Any

from mq_network.core.vocabulary import MEMBER_NAME_PATTERN, MEMBER_SUFFIX

MAX_PATTERN_LENGTH = 1024  # AWS Config takes at most 1,024 characters of InputParameters
SYNTAX = "RE2 syntax: no back-references (\\1) and no lookaround ((?=, (?!, (?<=, (?<!)"
# BrokerNamePattern's default: <mesh>-Broker-<n>, the names Conformity's MQ-007 and the remediation use.
DEFAULT_PATTERN = ".+" + MEMBER_SUFFIX + "[0-9]+"


class PatternError(ValueError):
    """RE2 cannot compile the pattern; the message says why (RE2's own words)."""


class NamePattern:
    """A BrokerNamePattern: its text, and RE2's compiled form once something needs it."""

    __slots__ = ("_compiled", "pattern")

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self._compiled: Any = None

    def compile(self) -> None:
        """Compile now (validation): raise PatternError if RE2 refuses the pattern."""
        if self._compiled is not None:
            return
        if len(self.pattern) > MAX_PATTERN_LENGTH:
            raise PatternError(f"it is {len(self.pattern)} characters long; at most {MAX_PATTERN_LENGTH} are accepted")
        import re2  # type: ignore[import-untyped]  # lazily: cold start pays for it only when a name is checked

        options = re2.Options()
        options.log_errors = False  # the refusal goes into the parameter error, not to stderr
        try:
            self._compiled = re2.compile(self.pattern, options)
        except re2.error as err:
            reason = err.args[0] if err.args else "RE2 refused it"
            text = reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
            raise PatternError(text) from None

    def fullmatch(self, name: str) -> bool:
        """Whether the whole name matches (in time linear in the name's length)."""
        if self.pattern == DEFAULT_PATTERN:  # compiled by re on first use, and cached there
            return re.fullmatch(MEMBER_NAME_PATTERN, name) is not None
        self.compile()
        try:
            return self._compiled.fullmatch(name) is not None
        except UnicodeEncodeError:  # RE2 reads UTF-8: a lone surrogate (hostile input) becomes U+FFFD, one for one
            readable = name.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
            return self._compiled.fullmatch(readable) is not None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NamePattern) and other.pattern == self.pattern

    def __hash__(self) -> int:
        return hash(self.pattern)

    def __repr__(self) -> str:
        return f"NamePattern({self.pattern!r})"
