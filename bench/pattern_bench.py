"""BrokerNamePattern matching time, RE2 (what the rule uses) against Python's re, in one run.

For patterns that backtrack in Python's re, the slowest full match over adversarial names of
Amazon MQ's longest length (50 characters) as the rule matches them (RE2, through
parameters.parse_parameters, so the same code path as the rule), and what that costs a run at
1,000 brokers; the default is matched by `re` on its fixed shape (patterns.py), every other pattern by RE2.
Then issue 18's walk-around, `(?:a|a)` written n times, on the name of n-1 `a`s
and a `b`: RE2 at n = 24 and 34, and as the baseline Python's re at growing n until one match
passes a second (it doubles with each n: about 0.65 s at 24, about 11 minutes at 34, not run).
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "MQ_NETWORK_OF_BROKERS"))

from mq_network.core.parameters import parse_parameters
from mq_network.core.patterns import DEFAULT_PATTERN

BACKTRACKING = {
    "default (re, not RE2)": DEFAULT_PATTERN,
    "issue 9: nested repeat": "([a-z0-9]+-?)+-Broker-[0-9]+",
    "(a+)+$": "(a+)+$",
    "(a|ab)+c": "(a|ab)+c",
    "eight chained .*": ".*.*.*.*.*.*.*.*-Broker-1",
    "(.*a){12}": "(.*a){12}",
}
NAMES = ["a" * 50, "-" * 50, "a-" * 25, "a" * 49 + "!", "Broker-" * 7 + "X", "0" * 50]


def slowest(matcher: Any, names: list[str], repeats: int = 5) -> float:
    return max(min(_timed(matcher, name) for _ in range(repeats)) for name in names)


def _timed(matcher: Any, name: str) -> float:
    start = time.perf_counter()
    matcher.fullmatch(name)
    return time.perf_counter() - start


def walk_around(n: int) -> tuple[str, str]:
    return "(?:a|a)" * n, "a" * (n - 1) + "b"


def main() -> None:
    print(f"{'pattern (as the rule matches it)':<36} {'slowest match, 50 chars':>24} {'x 1,000 brokers':>16}")
    for label, pattern in BACKTRACKING.items():
        matcher = parse_parameters({"BrokerNamePattern": pattern}).broker_name_pattern
        worst = slowest(matcher, NAMES)
        print(f"{label:<36} {worst * 1e6:>21.1f} us {worst * 1000:>13.3f} ms")
    print()
    print(f"{'(?:a|a) x n, name a^(n-1) b':<36} {'RE2 (rule)':>14} {'Python re (baseline)':>22}")
    timings: dict[int, float] = {}
    for n in range(16, 35, 2):
        pattern, name = walk_around(n)
        matcher = parse_parameters({"BrokerNamePattern": pattern}).broker_name_pattern
        rule = slowest(matcher, [name])
        baseline = "not run (doubles per n)"
        if n <= 24 and (not timings or max(timings.values()) < 1.0):
            timings[n] = _timed(re.compile(pattern), name)
            baseline = f"{timings[n] * 1000:.1f} ms"
        print(f"{'n = ' + str(n):<36} {rule * 1e6:>11.1f} us {baseline:>22}")
    last = max(timings)
    estimate = timings[last] * 2 ** (34 - last)
    print(f"Python re at n = 34, extrapolated from n = {last}: about {estimate / 60:.0f} minutes per broker name")


if __name__ == "__main__":
    main()
