"""BrokerNamePattern matching time at Amazon MQ's longest names (50 characters), measured in one run.

Prints, for the default pattern and the worst patterns parameters.py still accepts (five
variable-length repeats in a chain), the slowest full match over adversarial 50-character names,
and what that costs a run at 1,000 brokers. As the baseline in the same run, the refused pattern of
issue 9 is timed on growing names until one match passes a second (it would take minutes at 41).
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "MQ_NETWORK_OF_BROKERS"))

from mq_network.parameters import ParameterError, parse_parameters

ACCEPTED = {
    "default": ".+-Broker-[0-9]+",
    "five chained .*": ".*.*.*.*.*X",
    "five chained .* with separators": ".*-.*-.*-.*-.*-X",
    "five classes": "[a-z0-9-]+[a-z0-9-]+[a-z0-9-]+[a-z0-9-]+-Broker-[0-9]+",
    "alternation and bounded repeats": "(prod|stage|dev)-[a-z0-9]{1,20}-[a-z]+-Broker-[0-9]{1,3}",
}
REFUSED = "([a-z0-9]+-?)+-Broker-[0-9]+"
NAMES = ["a" * 50, "-" * 50, "a-" * 25, "a" * 49 + "!", "Broker-" * 7 + "X", "0" * 50]


def slowest(pattern: str, repeats: int = 5) -> float:
    compiled = re.compile(pattern)
    worst = 0.0
    for name in NAMES:
        best = min(_timed(compiled, name) for _ in range(repeats))
        worst = max(worst, best)
    return worst


def _timed(compiled: re.Pattern[str], name: str) -> float:
    start = time.perf_counter()
    compiled.fullmatch(name)
    return time.perf_counter() - start


def main() -> None:
    print(f"{'pattern':<34} {'accepted':<9} {'slowest match, 50 chars':>24} {'x 1,000 brokers':>16}")
    for label, pattern in ACCEPTED.items():
        parse_parameters({"BrokerNamePattern": pattern})  # raises if the rule would refuse it
        worst = slowest(pattern)
        print(f"{label:<34} {'yes':<9} {worst * 1000:>21.3f} ms {worst * 1000:>13.2f} s")
    try:
        parse_parameters({"BrokerNamePattern": REFUSED})
        print("BASELINE PATTERN WAS ACCEPTED: the safety check is broken")
        sys.exit(1)
    except ParameterError:
        pass
    compiled = re.compile(REFUSED)
    length, seconds = 10, 0.0
    while seconds < 1.0 and length <= 40:
        seconds = _timed(compiled, "a" * length)
        length += 2
    print(
        f"{'baseline (refused) ' + REFUSED:<34} {'no':<9} {seconds * 1000:>21.1f} ms at {length - 2} characters"
        " (doubles every character or two; minutes at 41)"
    )


if __name__ == "__main__":
    main()
