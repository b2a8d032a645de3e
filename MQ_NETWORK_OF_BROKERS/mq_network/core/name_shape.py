"""Can a BrokerName a template builds at deployment ever match BrokerNamePattern?

A template often builds a name from parts known only at deployment and literal parts:
`!Join ['-', [!Ref AWS::StackName, Broker]]` is `<stack name>-Broker`. Whatever the stack is
called, that name never ends in `-Broker-<n>`: a person can tell, and so can this module. It
answers one question, soundly: is there *any* value of the unknown parts for which the whole name
is a valid Amazon MQ broker name (1..50 of the letters, digits, `-` and `_`) matching the pattern?
"No" is a proof, so the broker is NON_COMPLIANT before it exists; "maybe" keeps it UNKNOWN.

How: the pattern's own parse tree (the standard library's `re` parser) becomes a finite automaton
over the characters that can occur (each single-character test is compiled and run by `re`
itself, so classes, categories and case-insensitive flags mean exactly what they mean to `re`);
the name's shape is a second automaton (literal characters in order, each unknown part a loop over
the broker-name characters); the two run together, bounded by Amazon MQ's 50 characters. Where
the automaton cannot follow `re` exactly it over-approximates (assertions, anchors, atomic groups
and possessive repeats are read as accepting more), which can only turn a "no" into a "maybe",
never the reverse; anything it does not know (back-references, a blown size budget) is "maybe".
Standard library only, and imported only when a name has such a shape (never by the hook).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any, NamedTuple, Protocol

NAME_CHARACTERS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
)  # Amazon MQ broker names
NAME_LIMIT = 50
_REPEAT_CAP = NAME_LIMIT + 1  # more copies than this change nothing within 50 characters
_STATE_BUDGET = 20_000


class Hole(NamedTuple):
    """A part of the name known only at deployment (a Ref, an attribute, an import)."""

    how: str  # "Ref AWS::StackName", ...


Part = str | Hole


class _GiveUpError(Exception):
    """The pattern uses something this module does not model: the answer is "maybe"."""


class _Textual(Protocol):
    pattern: str


# RE2 syntax that Python's `re` reads differently or not at all (POSIX classes, Unicode classes,
# quoting, `{,n}`, ungreedy mode): for such a pattern `re`'s parse tree proves nothing about RE2.
# A POSIX class may stand anywhere inside brackets (`[-_[:alnum:]]`), hence `[:`. Under `(?i)` RE2
# folds Unicode case (`ſ` is an `s`, the Kelvin sign a `k`), which `re` in ASCII mode does not.
_RE2_ONLY = ("[:", "\\p", "\\P", "\\Q", "\\C", "\\z", "(?U", "{,")
_CASE_FOLDING = re.compile(r"\(\?[A-Za-z-]*i")


def can_match(parts: Sequence[Part], pattern: re.Pattern[str] | _Textual) -> bool:
    """False only when no value of the holes gives a valid broker name that `pattern` fully matches.

    The rule matches names with RE2 (patterns.NamePattern); its text is read here with `re` in
    ASCII mode, as RE2 reads classes, and only when it uses no syntax the two engines read apart.
    """
    if not isinstance(pattern, re.Pattern):
        text = pattern.pattern
        if any(marker in text for marker in _RE2_ONLY) or _CASE_FOLDING.search(text):
            return True
        try:
            pattern = re.compile(text, re.ASCII)
        except (re.error, RecursionError, OverflowError, ValueError):
            return True
    tokens: list[str | None] = []  # a character, or None for a hole
    for part in parts:
        if isinstance(part, Hole):
            if not tokens or tokens[-1] is not None:  # two holes in a row are one hole
                tokens.append(None)
        else:
            tokens.extend(part)
    literal_length = sum(token is not None for token in tokens)
    alphabet = NAME_CHARACTERS | {token for token in tokens if token is not None}
    try:
        automaton = _automaton(pattern, alphabet)
    except (_GiveUpError, RecursionError, ValueError, TypeError, AttributeError, ImportError):
        return True
    limit = max(NAME_LIMIT, literal_length)  # a literal longer than Amazon MQ allows is judged on the pattern
    return _product_accepts(tokens, automaton, limit)


def render(parts: Iterable[Part]) -> str:
    """The shape as a person reads it: `${Ref AWS::StackName}-Broker`."""
    return "".join(f"${{{part.how}}}" if isinstance(part, Hole) else part for part in parts)


def _product_accepts(tokens: list[str | None], automaton: _Automaton, limit: int) -> bool:
    """Whether some name of at most `limit` characters fits both the shape and the pattern.

    A 0-1 breadth-first search over (position in the shape, automaton state): consuming a
    character costs 1, an empty move 0, so the first time the accepting pair is reached is the
    shortest such name, compared with the limit at the end.
    """
    end = len(tokens)
    goal = (end, automaton.accept)
    distance = {(0, automaton.start): 0}
    queue: deque[tuple[int, int]] = deque([(0, automaton.start)])
    while queue:
        node = queue.popleft()
        position, state = node
        here = distance[node]
        if node == goal:
            return here <= limit  # 0: only holes, empty: a longer value may still fit ("maybe")
        moves: list[tuple[tuple[int, int], int]] = [((position, nxt), 0) for nxt in automaton.epsilon[state]]
        token = tokens[position] if position < end else ""
        if token is None:
            moves.append(((position + 1, state), 0))  # a hole may be empty
        step = automaton.step[state]
        if step is not None and position < end:
            chars, target = step
            if token is None and chars & NAME_CHARACTERS:
                moves.append(((position, target), 1))  # the hole takes one more character
            elif token is not None and token in chars:
                moves.append(((position + 1, target), 1))
        for following, cost in moves:
            if distance.get(following, limit + 2) > here + cost:
                distance[following] = here + cost
                if cost:
                    queue.append(following)
                else:
                    queue.appendleft(following)
    return False


@lru_cache(maxsize=64)
def _automaton(pattern: re.Pattern[str], alphabet: frozenset[str]) -> _Automaton:
    return _Automaton(pattern, alphabet)


class _Automaton:
    """A Thompson automaton for the pattern's parse tree, each step a set of characters."""

    def __init__(self, pattern: re.Pattern[str], alphabet: frozenset[str]) -> None:
        import re._compiler as compiler  # type: ignore[import-not-found]
        import re._parser as parser  # type: ignore[import-not-found]

        self._compiler, self._parser = compiler, parser
        self._alphabet = sorted(alphabet)
        self._atoms: dict[tuple[str, int], frozenset[str]] = {}
        self.epsilon: list[list[int]] = []
        self.step: list[tuple[frozenset[str], int] | None] = []
        tree = parser.parse(pattern.pattern, pattern.flags)
        self.start = self._new()
        self.accept = self._sequence(tree, self.start, tree.state.flags | pattern.flags)

    def _new(self) -> int:
        if len(self.epsilon) >= _STATE_BUDGET:
            raise _GiveUpError("too many states")
        self.epsilon.append([])
        self.step.append(None)
        return len(self.epsilon) - 1

    def _sequence(self, items: Iterable[tuple[Any, Any]], state: int, flags: int) -> int:
        for op, argument in items:
            state = self._item(op, argument, state, flags)
        return state

    def _item(self, op: Any, argument: Any, state: int, flags: int) -> int:
        c = self._parser  # the opcodes, re-exported by re._parser
        if op in (c.LITERAL, c.NOT_LITERAL, c.ANY, c.IN, c.CATEGORY):
            target = self._new()
            self.step[state] = (self._chars(op, argument, flags), target)
            return target
        if op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
            low, high, body = argument
            return self._repeat(body, low, high, state, flags)
        if op is c.SUBPATTERN:
            _group, add_flags, del_flags, body = argument
            return self._sequence(body, state, (flags | add_flags) & ~del_flags)
        if op is getattr(c, "ATOMIC_GROUP", None):
            return self._sequence(argument, state, flags)  # read as a plain group: accepts more
        if op is c.BRANCH:
            join = self._new()
            for branch in argument[1]:
                start = self._new()
                self.epsilon[state].append(start)
                self.epsilon[self._sequence(branch, start, flags)].append(join)
            return join
        if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
            return state  # assertions only ever reject: ignoring them accepts more
        raise _GiveUpError(f"unsupported construct {op}")

    def _repeat(self, body: Any, low: int, high: Any, state: int, flags: int) -> int:
        unbounded = high is self._parser.MAXREPEAT or high > _REPEAT_CAP
        low = min(low, _REPEAT_CAP)
        for _ in range(low):
            state = self._fresh_copy(body, state, flags)
        if unbounded:
            loop = self._new()
            self.epsilon[state].append(loop)
            self.epsilon[self._fresh_copy(body, loop, flags)].append(loop)
            return loop
        for _ in range(high - low):
            join = self._new()
            self.epsilon[state].append(join)
            self.epsilon[self._fresh_copy(body, state, flags)].append(join)
            state = join
        return state

    def _fresh_copy(self, body: Any, state: int, flags: int) -> int:
        start = self._new()  # a state of its own, so a step never overwrites another one's
        self.epsilon[state].append(start)
        return self._sequence(body, start, flags)

    def _chars(self, op: Any, argument: Any, flags: int) -> frozenset[str]:
        """The characters of the alphabet one single-character test accepts, as `re` decides."""
        key = (repr((op, argument)), flags)
        found = self._atoms.get(key)
        if found is None:
            state = self._parser.State()
            state.flags = flags
            test = self._compiler.compile(self._parser.SubPattern(state, [(op, argument)]), 0)
            found = frozenset(ch for ch in self._alphabet if test.fullmatch(ch))
            self._atoms[key] = found
        return found
