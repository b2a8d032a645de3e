"""CloudFormation Lambda Hook: judge an AWS::AmazonMQ::Broker before CloudFormation creates or updates it.

Amazon MQ cannot rename a broker or change its deployment mode, so a broker created outside a
network costs a migration; this hook stops (FailureMode FAIL) or warns about (WARN) it first, with
the rule's own parameters (environment variable MQ_NETWORK_RULE_PARAMETERS, the JSON AWS Config
passes as InputParameters) and decision (planned.py). Other resource types, RabbitMQ brokers and
brokers outside the tag scope pass. A malformed request is answered FAILED/InternalFailure with
the reason, never with a traceback.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from .parameters import ParameterError, RuleParameters, parse_parameters
from .planned import UNKNOWN, Planned, cloudformation_broker

TARGET = "AWS::AmazonMQ::Broker"
_JUDGED = ("CREATE_PRE_PROVISION", "UPDATE_PRE_PROVISION")
_POINTS = (*_JUDGED, "DELETE_PRE_PROVISION")
_MESSAGE_LIMIT = 4096  # CloudFormation cuts the message there


class HookRequestError(ValueError):
    """The request is not a Lambda Hook resource request the hook can read."""


def lambda_handler(event: Any, context: Any = None) -> dict[str, Any]:
    token = event.get("clientRequestToken") if isinstance(event, Mapping) else None
    try:
        params = rule_parameters(os.environ.get("MQ_NETWORK_RULE_PARAMETERS", ""))
        judged = judge_request(event, params)
    except (HookRequestError, ParameterError) as err:
        return _answer(token, "FAILED", f"MQ_NETWORK_OF_BROKERS hook: {err}", "InternalFailure")
    if judged is None:
        return _answer(token, "SUCCESS", "Not an Amazon MQ broker being created or updated: nothing to check.")
    if judged.status in ("NON_COMPLIANT", UNKNOWN):
        return _answer(token, "FAILED", judged.message, "NonCompliant", judged)
    return _answer(token, "SUCCESS", judged.message, None, judged)


def rule_parameters(text: str) -> RuleParameters:
    """The rule's parameters from the JSON the template passes (empty: the defaults)."""
    if not text.strip():
        return parse_parameters({})
    try:
        raw = json.loads(text)
    except ValueError as err:
        raise ParameterError(f"MQ_NETWORK_RULE_PARAMETERS is not JSON ({err})") from None
    if not isinstance(raw, dict):
        raise ParameterError("MQ_NETWORK_RULE_PARAMETERS is JSON but not an object")
    raw.pop("ExecutionRoleName", None)  # the hook reads nothing from other accounts
    raw.pop("AssumeRoleMode", None)
    return parse_parameters(raw)


def judge_request(event: Any, params: RuleParameters) -> Planned | None:
    """The verdict on the request's broker, or None when the request concerns no broker to judge."""
    if not isinstance(event, Mapping):
        raise HookRequestError(f"the request is a {type(event).__name__}, not an object")
    point = event.get("actionInvocationPoint")
    if point not in _POINTS:
        raise HookRequestError(f"actionInvocationPoint is {point!r:.60}; expected one of {', '.join(_POINTS)}")
    data = event.get("requestData")
    if not isinstance(data, Mapping) or not isinstance(data.get("targetName"), str):
        raise HookRequestError("requestData.targetName is missing: this hook handles resource operations")
    if data["targetName"] != TARGET or point not in _JUDGED:
        return None
    model = data.get("targetModel")
    properties = model.get("resourceProperties") if isinstance(model, Mapping) else None
    if not isinstance(properties, Mapping):
        raise HookRequestError("requestData.targetModel.resourceProperties is not an object")
    logical = data.get("targetLogicalId")
    label = logical if isinstance(logical, str) and logical else "(no logical ID)"
    try:
        return cloudformation_broker(label, properties, params)
    except ValueError as err:
        raise HookRequestError(str(err)) from None


def _answer(
    token: object, status: str, message: str, error: str | None = None, judged: Planned | None = None
) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "hookStatus": status,
        "message": message[:_MESSAGE_LIMIT],
        "clientRequestToken": token if isinstance(token, str) else "",
    }
    if error:
        answer["errorCode"] = error
    if judged is not None:
        annotation = {
            "annotationName": "MQ_NETWORK_OF_BROKERS",
            "status": "FAILED" if status == "FAILED" else "SKIPPED" if judged.status == "NOT_APPLICABLE" else "PASSED",
            "statusMessage": judged.message[:1024],
            "severityLevel": "HIGH",
        }
        if judged.fix:
            annotation["remediationMessage"] = judged.fix
        answer["annotations"] = [annotation]
    return answer
