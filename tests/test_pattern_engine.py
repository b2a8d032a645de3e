"""Issue 18, finding 9: BrokerNamePattern is matched by RE2 (linear time), everywhere it is used.

`(?:a|a)` written n times has no repeat operator, so the shape checker let it through, and Python's
re backtracks 2**n on a name that almost matches (about 11 minutes a broker at n=34). The timing is
bench/pattern_bench.py's; these tests show which engine matches and what it refuses. n is 20 here
so that the code before the fix still answers (in tens of milliseconds) and fails on the engine.
"""

from __future__ import annotations

import io
import itertools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mq_network.core.decision import decide
from mq_network.core.facts import BrokerFacts
from mq_network.core.parameters import SPECS_BY_NAME, ParameterError, parse_parameters
from mq_network.core.patterns import DEFAULT_PATTERN, NamePattern

ROOT = Path(__file__).resolve().parent.parent
WALK_AROUND = "(?:a|a)" * 20
LOOKAHEAD = "(?=orders).+-Broker-[0-9]+"  # Python's re takes it; RE2 has no lookaround


def broker(name: str) -> BrokerFacts:
    return BrokerFacts("b-1", name, "SINGLE_INSTANCE", "ACTIVEMQ", "RUNNING")


def test_the_walk_around_pattern_is_matched_by_re2(monkeypatch: pytest.MonkeyPatch) -> None:
    import re2  # type: ignore[import-untyped]

    compiled: list[str] = []
    real = re2.compile

    def spy(pattern: str, options: Any = None) -> Any:
        compiled.append(pattern)
        return real(pattern, options)

    monkeypatch.setattr(re2, "compile", spy)
    params = parse_parameters({"BrokerNamePattern": WALK_AROUND})
    assert decide(broker("a" * 19 + "b"), params).compliance == "NON_COMPLIANT"
    assert decide(broker("a" * 20), params).compliance == "COMPLIANT"
    assert compiled == [WALK_AROUND]  # compiled once, by RE2, and that is what matched


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        (LOOKAHEAD, "invalid perl operator: (?="),
        ("(?<!x)orders-Broker-[0-9]+", "invalid perl operator: (?<!"),
        ("(a)\\1-Broker-1", "invalid escape sequence: \\1"),
        ("a++-Broker-1", "bad repetition operator: ++"),
        ("(", "missing ): ("),
    ],
)
def test_a_pattern_re2_cannot_compile_is_a_parameter_error_that_says_so(pattern: str, reason: str) -> None:
    with pytest.raises(ParameterError) as raised:
        parse_parameters({"BrokerNamePattern": pattern})
    message = str(raised.value)
    assert f"BrokerNamePattern '{pattern}' is not a valid RE2 regular expression ({reason})" in message
    assert "no back-references (\\1) and no lookaround" in message
    assert f"such as '{SPECS_BY_NAME['BrokerNamePattern'].default}'" in message


def test_the_hook_check_and_audit_refuse_it_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    from mq_network import hook
    from mq_network_tools.audit import cli as audit
    from mq_network_tools.prevent import cli as check

    monkeypatch.setenv("MQ_NETWORK_RULE_PARAMETERS", json.dumps({"BrokerNamePattern": LOOKAHEAD}))
    answer = hook.lambda_handler({"clientRequestToken": "t"})
    assert answer["hookStatus"] == "FAILED"
    assert "not a valid RE2 regular expression" in answer["message"]
    template = str(ROOT / "tests" / "data" / "templates" / "mesh.yaml")
    for tool, argv in ((check, [template]), (audit, [])):
        err = io.StringIO()
        assert tool.main([*argv, "--broker-name-pattern", LOOKAHEAD], io.StringIO(), err) != 0
        assert "not a valid RE2 regular expression" in err.getvalue(), err.getvalue()


def test_re2_is_loaded_only_when_a_pattern_is_used() -> None:
    """Cold start: the default pattern never loads RE2, even to check names; a custom pattern does."""
    probe = (
        "import sys; sys.path.insert(0, 'MQ_NETWORK_OF_BROKERS'); import MQ_NETWORK_OF_BROKERS; "
        "from mq_network.core.parameters import parse_parameters; "
        "default = parse_parameters({}).broker_name_pattern; "
        "matched = [default.fullmatch(n) for n in ('orders-Broker-1', 'orders')]; "
        "before = 're2' in sys.modules; "
        "parse_parameters({'BrokerNamePattern': 'orders-Broker-[0-9]+'}); print(matched, before, 're2' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["[True,", "False]", "False", "True"]


def test_the_default_pattern_compiles_with_re2() -> None:
    """A user who writes the default out (or any tool that hands it to RE2) gets a pattern RE2 takes."""
    params = parse_parameters({})
    params.broker_name_pattern.compile()
    assert params.broker_name_pattern.fullmatch("orders-Broker-1")
    assert not params.broker_name_pattern.fullmatch("orders")


# The default's matcher against RE2 itself: the same pattern in a group, so that NamePattern sends it to RE2.
_BY_RE2 = NamePattern(f"(?:{DEFAULT_PATTERN})")
# Every piece a name's verdict can turn on: the suffix and its near misses, ASCII and non-ASCII digits
# (Arabic-Indic 3, fullwidth 1, superscript 2), a newline and a carriage return (RE2's `.` takes one,
# not the other), NUL, a lone surrogate, and ordinary letters.
_PIECES = ("-Broker-", "-Broker", "Broker-", "-broker-", "-", "a", "7", "0", "\u0663", "\uff11", "\u00b2",
           "\n", "\r", "\x00", "\ud800", "\u00e9")  # fmt: skip


def test_the_default_pattern_is_matched_as_re2_matches_it_on_every_combination_of_its_pieces() -> None:
    """Every name of up to four pieces (69,905 names): the default's own matcher and RE2 agree on each."""
    default = NamePattern(DEFAULT_PATTERN)
    disagree = [
        name
        for length in range(5)
        for pieces in itertools.product(_PIECES, repeat=length)
        if default.fullmatch(name := "".join(pieces)) != _BY_RE2.fullmatch(name)
    ]
    assert disagree == []
    assert default.fullmatch("orders-Broker-1") and default.fullmatch("a-Broker--Broker-12")
    assert not default.fullmatch("-Broker-1")  # `.+` needs one character before the suffix
    assert not default.fullmatch("orders-Broker-\u0663")  # [0-9] is ASCII
    assert not default.fullmatch("or\nders-Broker-1") and default.fullmatch("or\rders-Broker-1")


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_PIECES) | st.characters(), max_size=30).map("".join))
def test_the_default_pattern_is_matched_as_re2_matches_it_on_random_text(name: str) -> None:
    assert NamePattern(DEFAULT_PATTERN).fullmatch(name) == _BY_RE2.fullmatch(name)


def test_the_default_is_matched_in_time_linear_in_the_name() -> None:
    """The hostile shapes for a backtracking `.+-Broker-[0-9]+`: many suffixes, long digit runs. The match
    visits each character a bounded number of times, so these answer at once (no timing asserted: the
    answers are the point, and bench/pattern_bench.py times them)."""
    default = NamePattern(DEFAULT_PATTERN)
    assert not default.fullmatch("a" + "-Broker-1" * 20_000 + "x")
    assert not default.fullmatch("a-Broker-" + "1" * 200_000 + "x")
    assert default.fullmatch("a" + "-Broker-1" * 20_000)
