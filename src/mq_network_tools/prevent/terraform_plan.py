"""Terraform plans in JSON (`terraform show -json plan.out`): the brokers a plan creates or updates.

A plan is the exact path for Terraform: every variable, local, module input and provider default is
resolved there, and what is left is marked in `after_unknown` (known only after apply). Read from
each `aws_mq_broker` change: broker_name, deployment_mode, engine_type, and its tags as `tags_all`
(which holds the provider's `default_tags`) merged with `tags`. A value in `after_unknown` is
UNKNOWN; a plan whose shape is not Terraform's (a change that is not an object, resource_changes
that is not a list) is refused as a whole (PlanError), never half-read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from mq_network.core import Planned, RuleParameters, Unknown, judge_planned
from mq_network_tools.prevent.template_network import terraform_networks
from mq_network_tools.prevent.terraform_tags import Tags, for_rule, merged

BROKER = "aws_mq_broker"
_AFTER_APPLY = "known after apply"


class PlanError(ValueError):
    """The file says it is a Terraform plan but is not shaped as one (the message says where)."""


class Change(NamedTuple):
    address: str
    after: Mapping[str, Any]
    unknown: Mapping[str, Any] | bool  # after_unknown: True when the whole value is known only after apply


def is_plan(document: object) -> bool:
    """A JSON plan: Terraform's format_version with resource_changes or planned_values."""
    return (
        isinstance(document, Mapping)
        and "format_version" in document
        and ("resource_changes" in document or "planned_values" in document)
    )


def changes(plan: Mapping[str, Any]) -> list[Change]:
    """The aws_mq_broker changes that create or update a broker, checked for Terraform's shape."""
    listed = plan.get("resource_changes")
    if listed is None:
        return []
    if not isinstance(listed, list):
        raise PlanError(f"resource_changes is {_kind(listed)}, not a list")
    found = []
    for index, entry in enumerate(listed):
        if not isinstance(entry, Mapping):
            raise PlanError(f"resource_changes[{index}] is {_kind(entry)}, not an object")
        if entry.get("type") != BROKER or entry.get("mode", "managed") != "managed":
            continue  # another type, or a data source reading an existing broker
        address = entry.get("address")
        where = f"resource_changes[{index}] ({address})" if isinstance(address, str) else f"resource_changes[{index}]"
        change = entry.get("change")
        if not isinstance(change, Mapping):
            raise PlanError(f"{where}: change is {_kind(change)}, not an object")
        actions = change.get("actions")
        if not isinstance(actions, list) or not all(isinstance(a, str) for a in actions):
            raise PlanError(f"{where}: change.actions is {_kind(actions)}, not a list of actions")
        if actions in (["delete"], ["forget"]):
            continue  # the broker leaves (an unchanged broker, "no-op", stays deployed: it is judged)
        after = change.get("after")
        unknown = change.get("after_unknown", {})
        if unknown is None:
            unknown = {}
        if not isinstance(unknown, (Mapping, bool)):
            raise PlanError(f"{where}: change.after_unknown is {_kind(unknown)}, not an object")
        if after is None and unknown is not True:
            raise PlanError(f"{where}: change.after is null for actions {actions}")
        if after is not None and not isinstance(after, Mapping):
            raise PlanError(f"{where}: change.after is {_kind(after)}, not an object")
        found.append(Change(address if isinstance(address, str) else BROKER, after or {}, unknown))
    return found


def judge(plan: Mapping[str, Any], params: RuleParameters) -> list[tuple[str, Planned]]:
    """Each broker the plan creates or updates (address, verdict), in the plan's order."""
    brokers = changes(plan)  # raises PlanError before anything is judged
    networks = terraform_networks(plan, params) if params.checks_connectors else {}
    judged = []
    for change in brokers:
        tags = for_rule(_tags(change), params)
        verdict = judge_planned(
            change.address,
            _value(change, "broker_name"),
            _value(change, "deployment_mode"),
            _value(change, "engine_type"),
            tags,
            params,
            networks.get(change.address),
        )
        judged.append((change.address, verdict))
    return judged


def _value(change: Change, key: str) -> str | Unknown | None:
    if change.unknown is True or (isinstance(change.unknown, Mapping) and change.unknown.get(key) is True):
        return Unknown(_AFTER_APPLY)
    value = change.after.get(key)
    if value is None or isinstance(value, str):
        return value or None
    return Unknown(f"{_kind(value)} in the plan, not a string")


def _tags(change: Change) -> Tags | Unknown:
    """tags_all (with the provider's default_tags) merged with tags, value by value."""
    if change.unknown is True:
        return Unknown(_AFTER_APPLY)
    every = _tag_map(change, "tags_all")
    own = _tag_map(change, "tags")
    own = Tags({}, {}) if own is None else own
    return own if every is None else merged(every, own)


def _tag_map(change: Change, key: str) -> Tags | Unknown | None:
    """One tag attribute of the plan (None when the plan does not have it)."""
    unknown = change.unknown.get(key) if isinstance(change.unknown, Mapping) else None
    if unknown is True:
        return Unknown(_AFTER_APPLY)
    value = change.after.get(key)
    if value is None:
        return None if key not in change.after and not unknown else Tags({}, {})
    if not isinstance(value, Mapping):
        return Unknown(f"{_kind(value)} in the plan, not a map")
    marks = unknown if isinstance(unknown, Mapping) else {}
    known: dict[str, str] = {}
    pending: dict[str, str] = {}
    for tag, tag_value in value.items():
        if marks.get(tag) is True:
            pending[str(tag)] = _AFTER_APPLY
        elif isinstance(tag_value, str):
            known[str(tag)] = tag_value
        else:
            pending[str(tag)] = f"{_kind(tag_value)} in the plan"
    for tag, mark in marks.items():
        if mark is True and tag not in value:
            pending[str(tag)] = _AFTER_APPLY
    return Tags(known, pending)


def _kind(value: object) -> str:
    if value is None:
        return "null"
    names = {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list"}
    return names.get(type(value), "an object" if isinstance(value, Mapping) else type(value).__name__)
