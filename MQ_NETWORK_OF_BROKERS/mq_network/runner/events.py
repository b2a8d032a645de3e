"""Checks that an invocation really is an AWS Config rule event, before any AWS call is made.

rdklib indexes into the event freely; a malformed event would surface as a bare KeyError or
TypeError. Checking the shape first turns that into one error that says what is wrong.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from mq_network.core.vocabulary import CURRENT_STATUSES

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
# Fields of an item's `configuration` the rule reads, each a string when present.
_CONFIGURATION_TEXT = ("BrokerName", "DeploymentMode", "EngineType", "BrokerState", "Arn", "ConfigurationId")
_MAX_EVENT_JSON = 1024 * 1024  # AWS Config's items are far smaller; oversized ones come as a summary


class InvalidEventError(ValueError):
    """The invocation is not an AWS Config rule event; nothing was evaluated or sent."""

    def __init__(self, problem: str) -> None:
        self.problem = problem
        super().__init__(
            f"Not an AWS Config rule event: {problem}. This function is invoked by AWS Config "
            "(or by rdklibtest's create_test_* events); nothing was evaluated or sent."
        )


def check_event(event: object) -> dict[str, Any]:
    """Return the parsed invokingEvent, or raise InvalidEventError naming the first problem.

    Every field the rule or rdklib reads later is checked here, for presence and type, so that a
    malformed event fails before any AWS call with a message that names the field.
    """
    if not isinstance(event, Mapping):
        raise InvalidEventError(f"the event is a {type(event).__name__}, not a JSON object")
    missing = [name for name in _EVENT_FIELDS if name not in event]
    if missing:
        raise InvalidEventError(f"the event lacks {', '.join(missing)}")
    for name in ("resultToken", "executionRoleArn", "configRuleName"):
        _text(event[name], name)
    invoking = _json_object(event["invokingEvent"], "invokingEvent")
    message_type = invoking.get("messageType")
    if message_type not in MESSAGE_TYPES:
        raise InvalidEventError(
            f"invokingEvent.messageType is {message_type!r:.60}; expected one of {', '.join(MESSAGE_TYPES)}"
        )
    _require(invoking, _INVOKING_FIELDS[message_type], "invokingEvent")
    if message_type in (SCHEDULED, OVERSIZED):
        _text(invoking["notificationCreationTime"], "invokingEvent.notificationCreationTime")
    if message_type in (CHANGE, OVERSIZED) and not isinstance(event.get("eventLeftScope"), bool):
        raise InvalidEventError(
            "a configuration change event lacks eventLeftScope"
            if "eventLeftScope" not in event
            else "eventLeftScope is not true or false"
        )
    if message_type == CHANGE:
        check_configuration_item(invoking["configurationItem"], "invokingEvent.configurationItem")
    elif message_type == OVERSIZED:
        where = "invokingEvent.configurationItemSummary"
        _require(invoking["configurationItemSummary"], _SUMMARY_FIELDS, where)
        for name in _SUMMARY_FIELDS:
            _text(invoking["configurationItemSummary"][name], f"{where}.{name}")
    rule_parameters(event)
    return invoking


def check_configuration_item(item: object, where: str) -> None:
    """The shapes the rule reads from a configuration item (an event's, or GetResourceConfigHistory's)."""
    _require(item, _ITEM_FIELDS, where)
    assert isinstance(item, Mapping)
    for name in _ITEM_FIELDS:
        _text(item[name], f"{where}.{name}")
    configuration = item.get("configuration")
    if configuration is None and item["configurationItemStatus"] not in CURRENT_STATUSES:
        return  # a deleted resource's item carries no configuration
    if not isinstance(configuration, Mapping):
        raise InvalidEventError(f"{where}.configuration is {_kind(configuration)}, not an object")
    for name in _CONFIGURATION_TEXT:
        if configuration.get(name) is not None:
            _text(configuration[name], f"{where}.configuration.{name}")
    nested = configuration.get("Configuration")
    if nested is not None and not isinstance(nested, Mapping):
        raise InvalidEventError(f"{where}.configuration.Configuration is {_kind(nested)}, not an object")
    tags = item.get("tags")
    if tags is not None and not isinstance(tags, Mapping):
        raise InvalidEventError(f"{where}.tags is {_kind(tags)}, not an object")
    for name in ("resourceName", "ARN"):
        if item.get(name) is not None and not isinstance(item[name], str):
            raise InvalidEventError(f"{where}.{name} is {_kind(item[name])}, not a string")


def rule_parameters(event: Mapping[str, Any]) -> dict[str, Any]:
    """The event's ruleParameters as a dict ({} when absent or empty)."""
    raw = event.get("ruleParameters")
    if raw in (None, ""):
        return {}
    return _json_object(raw, "ruleParameters")


def _json_object(raw: object, field: str) -> dict[str, Any]:
    if not isinstance(raw, str):
        raise InvalidEventError(f"{field} is a {type(raw).__name__}, not a JSON string")
    if len(raw) > _MAX_EVENT_JSON:
        raise InvalidEventError(f"{field} is larger than {_MAX_EVENT_JSON // 1024} KiB")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as err:
        raise InvalidEventError(f"{field} is not valid JSON ({err})") from None
    except RecursionError:
        raise InvalidEventError(f"{field} is JSON nested too deeply to read") from None
    if not isinstance(value, dict):
        raise InvalidEventError(f"{field} is JSON but not an object")
    return value


def _require(container: object, fields: tuple[str, ...], where: str) -> None:
    if not isinstance(container, Mapping):
        raise InvalidEventError(f"{where} is {_kind(container)}, not an object")
    missing = [name for name in fields if name not in container]
    if missing:
        raise InvalidEventError(f"{where} lacks {', '.join(missing)}")


def _text(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise InvalidEventError(f"{where} is {_kind(value)}, not a string")
    if not value.strip():
        raise InvalidEventError(f"{where} is empty")
    return value


def _kind(value: object) -> str:
    return "null" if value is None else f"a {type(value).__name__}"
