"""Checks that an invocation really is an AWS Config rule event, before any AWS call is made.

rdklib indexes into the event freely; a malformed event would surface as a bare KeyError or
TypeError. Checking the shape first turns that into one error that says what is wrong.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

SCHEDULED = "ScheduledNotification"
CHANGE = "ConfigurationItemChangeNotification"
OVERSIZED = "OversizedConfigurationItemChangeNotification"
MESSAGE_TYPES = (SCHEDULED, CHANGE, OVERSIZED)

_EVENT_FIELDS = ("invokingEvent", "resultToken", "executionRoleArn", "configRuleName")
_INVOKING_FIELDS = {
    SCHEDULED: ("notificationCreationTime",),
    CHANGE: ("configurationItem",),
    OVERSIZED: ("configurationItemSummary", "notificationCreationTime", "recordVersion"),
}
_ITEM_FIELDS = ("resourceType", "resourceId", "configurationItemStatus", "configurationItemCaptureTime")
_SUMMARY_FIELDS = ("resourceType", "resourceId")


class InvalidEventError(ValueError):
    """The invocation is not an AWS Config rule event; nothing was evaluated or sent."""

    def __init__(self, problem: str) -> None:
        super().__init__(
            f"Not an AWS Config rule event: {problem}. This function is invoked by AWS Config "
            "(or by rdklibtest's create_test_* events); nothing was evaluated or sent."
        )


def check_event(event: object) -> dict[str, Any]:
    """Return the parsed invokingEvent, or raise InvalidEventError naming the first problem."""
    if not isinstance(event, Mapping):
        raise InvalidEventError(f"the event is a {type(event).__name__}, not a JSON object")
    missing = [name for name in _EVENT_FIELDS if name not in event]
    if missing:
        raise InvalidEventError(f"the event lacks {', '.join(missing)}")
    invoking = _json_object(event["invokingEvent"], "invokingEvent")
    message_type = invoking.get("messageType")
    if message_type not in MESSAGE_TYPES:
        raise InvalidEventError(
            f"invokingEvent.messageType is {message_type!r}; expected one of {', '.join(MESSAGE_TYPES)}"
        )
    _require(invoking, _INVOKING_FIELDS[message_type], "invokingEvent")
    if message_type == CHANGE:
        if "eventLeftScope" not in event:
            raise InvalidEventError("a configuration change event lacks eventLeftScope")
        _require(invoking["configurationItem"], _ITEM_FIELDS, "invokingEvent.configurationItem")
    elif message_type == OVERSIZED:
        if "eventLeftScope" not in event:
            raise InvalidEventError("a configuration change event lacks eventLeftScope")
        _require(invoking["configurationItemSummary"], _SUMMARY_FIELDS, "invokingEvent.configurationItemSummary")
    rule_parameters(event)
    return invoking


def rule_parameters(event: Mapping[str, Any]) -> dict[str, Any]:
    """The event's ruleParameters as a dict ({} when absent or empty)."""
    raw = event.get("ruleParameters")
    if raw in (None, ""):
        return {}
    return _json_object(raw, "ruleParameters")


def _json_object(raw: object, field: str) -> dict[str, Any]:
    if not isinstance(raw, str):
        raise InvalidEventError(f"{field} is a {type(raw).__name__}, not a JSON string")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as err:
        raise InvalidEventError(f"{field} is not valid JSON ({err})") from None
    if not isinstance(value, dict):
        raise InvalidEventError(f"{field} is JSON but not an object")
    return value


def _require(container: object, fields: tuple[str, ...], where: str) -> None:
    if not isinstance(container, Mapping):
        raise InvalidEventError(f"{where} is not an object")
    missing = [name for name in fields if name not in container]
    if missing:
        raise InvalidEventError(f"{where} lacks {', '.join(missing)}")
