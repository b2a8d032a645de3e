"""BrokerNamePattern safety: refuse, at validation, the regular expressions that backtrack badly.

Python's `re` backtracks, so a pattern such as `([a-z0-9]+-?)+-Broker-[0-9]+` takes minutes on one
41-character name, and the Lambda would time out with no result for anyone. A time bound would
need the `regex` package (a cold-start cost on every run); instead the pattern's parse tree is
checked once, when the parameters are read:

1. no repeat inside a repeat (star height 1): `(a+)+`, `(\\w+-?)*` are exponential;
2. no alternation or optional part inside a repeat: `(a|ab)+`, `(a?b?)+` are exponential too;
3. no back-reference: matching them is NP-hard in general;
4. at most `MAX_LONG_REPEATS` repeats of variable length (`+`, `*`, `?`, `{1,3}`; not `{3}`): a chain
   of k of them costs up to n**k steps on a 50-character name (k = 5 is tens of milliseconds, the
   worst case bench/pattern_bench.py times; k = 8 would be hours).

What is left is polynomial and small on Amazon MQ's 1..50-character names.
"""

from __future__ import annotations

from typing import Any

MAX_PATTERN_LENGTH = 1024  # AWS Config takes at most 1,024 characters of InputParameters
MAX_LONG_REPEATS = 5


class UnsafePatternError(ValueError):
    """The pattern could backtrack for too long; the message says which construct and why."""


def check_pattern(pattern: str) -> None:
    """Raise UnsafePatternError if `pattern` could backtrack catastrophically on a broker name."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise UnsafePatternError(f"it is {len(pattern)} characters long; at most {MAX_PATTERN_LENGTH} are accepted")
    import re._parser as parser  # type: ignore[import-not-found]  # the standard library's own parser

    tree = parser.parse(pattern)
    long_repeats = _walk(tree, parser, inside_repeat=False)
    if long_repeats > MAX_LONG_REPEATS:
        raise UnsafePatternError(
            f"it has {long_repeats} variable-length repeats (+, *, ?, {{m,n}}); at most {MAX_LONG_REPEATS} are "
            "accepted, because each one multiplies the matching time"
        )


def _walk(items: Any, parser: Any, *, inside_repeat: bool) -> int:
    """Check one parsed sequence; return how many long repeats it holds."""
    constants = parser  # opcodes live in re._constants, re-exported by re._parser
    total = 0
    for op, argument in items:
        if op in (constants.MAX_REPEAT, constants.MIN_REPEAT, getattr(constants, "POSSESSIVE_REPEAT", None)):
            low, high, body = argument
            repeats = high is constants.MAXREPEAT or high > 1
            if repeats and inside_repeat:
                raise UnsafePatternError(
                    "it nests a repeat inside another repeat, such as (a+)+, which backtracks exponentially"
                )
            if not repeats and low == 0 and inside_repeat:  # x? inside (...)+
                raise UnsafePatternError(
                    "it has an optional part inside a repeat, such as (a?b)+, which backtracks exponentially"
                )
            if low != high:  # a{3} has one way to match; a?, a{1,3} and a+ each branch
                total += 1
            total += _walk(body, parser, inside_repeat=inside_repeat or repeats)
        elif op is constants.SUBPATTERN:
            total += _walk(argument[-1], parser, inside_repeat=inside_repeat)
        elif op is constants.BRANCH:
            if inside_repeat:
                raise UnsafePatternError("it repeats an alternation, such as (a|ab)+, which backtracks exponentially")
            total += sum(_walk(branch, parser, inside_repeat=inside_repeat) for branch in argument[1])
        elif op in (constants.ASSERT, constants.ASSERT_NOT):
            total += _walk(argument[1], parser, inside_repeat=inside_repeat)
        elif op in (constants.GROUPREF, constants.GROUPREF_EXISTS):
            raise UnsafePatternError("it uses a back-reference, which can take exponential time to match")
        elif op is getattr(constants, "ATOMIC_GROUP", None):
            total += _walk(argument, parser, inside_repeat=inside_repeat)
    return total
