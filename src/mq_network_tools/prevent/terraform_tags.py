"""The tags a Terraform broker will carry, as far as a plan or the source can tell.

Terraform tags a broker with its own `tags` merged over the provider's `default_tags` (a plan shows
the merge as `tags_all`). Some values are known only at apply, or are written as expressions. What
matters to the rule is the scope tag (ScopeTagKey): a broker is out of scope only when its value is
known and says so; an unknown value, or a map whose keys are not all known, is "cannot be judged
before deployment", never "out of scope".
"""

from __future__ import annotations

from typing import NamedTuple

from mq_network.core import RuleParameters, Unknown


class Tags(NamedTuple):
    """Tags whose values are known, and why the others are not (key -> reason; "" = any key)."""

    known: dict[str, str]
    unknown: dict[str, str]


def merged(under: Tags | Unknown, over: Tags | Unknown) -> Tags | Unknown:
    """`over` (a resource's own tags) wins over `under` (default tags) key by key."""
    if isinstance(over, Unknown):
        return over
    if isinstance(under, Unknown):
        # Keys the resource sets itself are known whatever the defaults hold; the others are not.
        return Tags(dict(over.known), {**over.unknown, "": under.how})
    known = {k: v for k, v in under.known.items() if k not in over.unknown}
    unknown = {k: v for k, v in under.unknown.items() if k not in over.known}
    known.update(over.known)
    unknown.update(over.unknown)
    return Tags(known, unknown)


def for_rule(tags: Tags | Unknown, params: RuleParameters) -> dict[str, str] | Unknown:
    """What judge_planned needs: the known tags, or Unknown when the scope tag's value is not known."""
    key = params.scope_tag_key
    if isinstance(tags, Unknown):
        return tags if key else {}
    if key and key not in tags.known:
        why = tags.unknown.get(key) or tags.unknown.get("")
        if why:
            return Unknown(f"{why} (tag {key})" if key in tags.unknown else why)
    return dict(tags.known)
