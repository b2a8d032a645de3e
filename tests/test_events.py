"""Invocations that are not AWS Config rule events fail on purpose, with a reason, and send nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from helpers import run
from mq_network.runner.events import InvalidEventError
from support import emulator


def scheduled() -> dict[str, Any]:
    return emulator.scheduled_event()


def with_invoking(invoking: object) -> dict[str, Any]:
    event = scheduled()
    event["invokingEvent"] = invoking if isinstance(invoking, str) else json.dumps(invoking)
    return event


def without(field: str) -> dict[str, Any]:
    event = scheduled()
    del event[field]
    return event


def change_without_item_field(field: str) -> dict[str, Any]:
    item = emulator.configuration_item("b-1", "x")
    del item[field]
    return emulator.change_event(item)


def change_without_left_scope() -> dict[str, Any]:
    event = emulator.change_event(emulator.configuration_item("b-1", "x"))
    del event["eventLeftScope"]
    return event


BAD_EVENTS = {
    "not an object": ([1, 2], "the event is a list, not a JSON object"),
    "no invokingEvent": (without("invokingEvent"), "the event lacks invokingEvent"),
    "no resultToken": (without("resultToken"), "the event lacks resultToken"),
    "no executionRoleArn": (without("executionRoleArn"), "the event lacks executionRoleArn"),
    "invokingEvent not JSON": (with_invoking("{oops"), "invokingEvent is not valid JSON"),
    "invokingEvent a list": (with_invoking([]), "invokingEvent is JSON but not an object"),
    "invokingEvent not a string": (
        {**scheduled(), "invokingEvent": {"a": 1}},
        "invokingEvent is a dict, not a JSON string",
    ),
    "unknown messageType": (with_invoking({"messageType": "Hello"}), "invokingEvent.messageType is 'Hello'"),
    "no messageType": (with_invoking({}), "invokingEvent.messageType is None"),
    "scheduled without time": (
        with_invoking({"messageType": "ScheduledNotification"}),
        "invokingEvent lacks notificationCreationTime",
    ),
    "change without item": (
        with_invoking({"messageType": "ConfigurationItemChangeNotification"}),
        "invokingEvent lacks configurationItem",
    ),
    "item without resourceId": (
        change_without_item_field("resourceId"),
        "configurationItem lacks resourceId",
    ),
    "item without status": (
        change_without_item_field("configurationItemStatus"),
        "configurationItem lacks configurationItemStatus",
    ),
    "change without eventLeftScope": (change_without_left_scope(), "lacks eventLeftScope"),
    "oversized without summary": (
        with_invoking(
            {
                "messageType": "OversizedConfigurationItemChangeNotification",
                "notificationCreationTime": "t",
                "recordVersion": "1.0",
            }
        ),
        "invokingEvent lacks configurationItemSummary",
    ),
    "ruleParameters not JSON": (
        {**scheduled(), "ruleParameters": "ScopeTagKey=env"},
        "ruleParameters is not valid JSON",
    ),
    "ruleParameters a list": (
        {**scheduled(), "ruleParameters": "[]"},
        "ruleParameters is JSON but not an object",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_EVENTS))
def test_malformed_event_is_refused_with_its_reason(aws: None, calls: Any, case: str) -> None:
    event, reason = BAD_EVENTS[case]
    with pytest.raises(InvalidEventError) as caught:
        run(event)
    assert str(caught.value).startswith("Not an AWS Config rule event: ")
    assert reason in str(caught.value)
    assert "nothing was evaluated or sent" in str(caught.value)
    assert calls.total == 0


def test_absent_or_empty_rule_parameters_mean_defaults(mq: Any, prior: Any) -> None:
    emulator.seed_brokers(mq, [emulator.BrokerSeed("solo")])
    for raw in (None, "", "{}"):
        event = scheduled()
        if raw is None:
            del event["ruleParameters"]
        else:
            event["ruleParameters"] = raw
        [evaluation] = run(event)
        assert evaluation["ComplianceType"] == "NON_COMPLIANT"
