"""CloudFormation Lambda Hook: judge an AWS::AmazonMQ::Broker before CloudFormation creates or updates it.

Amazon MQ cannot rename a broker or change its deployment mode, so a broker created outside a
network costs a migration; this hook stops (FailureMode FAIL) or warns about (WARN) it first, with
the rule's own parameters (environment variable MQ_NETWORK_RULE_PARAMETERS, the JSON AWS Config
passes as InputParameters) and decision (core/predeploy.py). Other resource types, RabbitMQ brokers and
brokers outside the tag scope pass; so does a deletion (it creates nothing outside a network).
An UPDATE that leaves what the rule judges as it was (the request's previousResourceProperties:
the same name, mode, engine, scope tag and, when connectors are checked, configuration) passes
with a message naming the standing finding: refusing it could not make the broker compliant, and
under FailureMode FAIL it would stop every patch of an existing broker. A CREATE, or an update
that changes what is judged, is judged as it stands. A malformed request is answered
FAILED/InternalFailure with the reason, never with a traceback.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any, NamedTuple

from mq_network.core.parameters import ParameterError, RuleParameters, parse_parameters
from mq_network.core.predeploy import Planned, cloudformation_broker, judged_properties
from mq_network.core.rule_metadata import rule_metadata
from mq_network.core.vocabulary import NON_COMPLIANT, NOT_APPLICABLE, RESOURCE_TYPE, UNKNOWN

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
    except RecursionError:
        message = "MQ_NETWORK_OF_BROKERS hook: the request is nested too deeply to be read"
        return _answer(token, "FAILED", message, "InternalFailure")
    if isinstance(judged, str):
        return _answer(token, "SUCCESS", judged)
    if isinstance(judged, Standing):
        message = (
            f"Update allowed: it leaves what MQ_NETWORK_OF_BROKERS judges unchanged (name, deployment mode, engine, "
            f"scope tag{', configuration' if params.checks_connectors else ''}), and refusing it would not bring the "
            f"broker into a network. Standing finding: {judged.finding.message}"
        )
        return _answer(token, "SUCCESS", message, None, judged.finding, standing=True)
    if judged.status in (NON_COMPLIANT, UNKNOWN):
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
    except RecursionError:
        raise ParameterError(
            "MQ_NETWORK_RULE_PARAMETERS is nested too deeply to be the rule's parameters: give one JSON object "
            'of strings, such as {"CheckMode": "name"}'
        ) from None
    if not isinstance(raw, dict):
        raise ParameterError("MQ_NETWORK_RULE_PARAMETERS is JSON but not an object")
    raw.pop("ExecutionRoleName", None)  # the hook reads nothing from other accounts
    raw.pop("AssumeRoleMode", None)
    return parse_parameters(raw)


class Standing(NamedTuple):
    """An update that leaves what the rule judges unchanged, on a broker that does not comply."""

    finding: Planned


def judge_request(event: Any, params: RuleParameters) -> Planned | Standing | str:
    """The verdict on the request's broker; Standing for an update that changes nothing judged; or,
    for a request that concerns no broker to judge, the message that says why it passes."""
    if not isinstance(event, Mapping):
        raise HookRequestError(f"the request is a {type(event).__name__}, not an object")
    point = event.get("actionInvocationPoint")
    if point not in _POINTS:
        raise HookRequestError(f"actionInvocationPoint is {point!r:.60}; expected one of {', '.join(_POINTS)}")
    data = event.get("requestData")
    if not isinstance(data, Mapping) or not isinstance(data.get("targetName"), str):
        raise HookRequestError("requestData.targetName is missing: this hook handles resource operations")
    if data["targetName"] != RESOURCE_TYPE:
        return f"Not an Amazon MQ broker ({data['targetName'][:80]}): nothing to check."
    if point == "DELETE_PRE_PROVISION":
        return "Deleting an Amazon MQ broker is allowed: this hook judges brokers being created or updated."
    model = data.get("targetModel")
    properties = model.get("resourceProperties") if isinstance(model, Mapping) else None
    if not isinstance(properties, Mapping):
        raise HookRequestError("requestData.targetModel.resourceProperties is not an object")
    logical = data.get("targetLogicalId")
    label = logical if isinstance(logical, str) and logical else "(no logical ID)"
    try:
        judged = cloudformation_broker(label, properties, params)
    except ValueError as err:
        raise HookRequestError(str(err)) from None
    if point == "UPDATE_PRE_PROVISION" and judged.status in (NON_COMPLIANT, UNKNOWN):
        previous = model.get("previousResourceProperties") if isinstance(model, Mapping) else None
        if (
            isinstance(previous, Mapping)
            and previous
            and _judged_view(previous, params) == _judged_view(properties, params)
        ):
            return Standing(judged)
    return judged


def _judged_view(properties: Mapping[str, Any], params: RuleParameters) -> tuple[Any, ...]:
    """What the rule's verdict depends on, as the registry schema compares it (enums in any case)."""
    name, mode, engine, tags = judged_properties(properties)
    key = params.scope_tag_key
    scope: Any = None
    if key is not None:
        scope = tags.get(key, "(absent)") if isinstance(tags, Mapping) else tags
    configuration = None
    if params.checks_connectors:  # in name mode the configuration changes nothing the rule judges
        configuration = json.dumps(properties.get("Configuration"), sort_keys=True, default=str)
    return (
        name,
        mode.upper() if isinstance(mode, str) else mode,
        engine.upper() if isinstance(engine, str) else engine,
        scope,
        configuration,
    )


def _answer(
    token: object,
    status: str,
    message: str,
    error: str | None = None,
    judged: Planned | None = None,
    standing: bool = False,
) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "hookStatus": status,
        "message": message[:_MESSAGE_LIMIT],
        "clientRequestToken": token if isinstance(token, str) else "",
    }
    if error:
        answer["errorCode"] = error
    if judged is not None:
        rule = rule_metadata()  # the rule as every surface states it (rule_metadata.json)
        annotation = {
            "annotationName": rule.rule_name,
            # a standing finding on an allowed update is still a failed check, shown as such
            "status": "FAILED"
            if status == "FAILED" or standing
            else "SKIPPED"
            if judged.status == NOT_APPLICABLE
            else "PASSED",
            "statusMessage": judged.message[:1024],
            "severityLevel": rule.severity,
        }
        if judged.fix:
            annotation["remediationMessage"] = judged.fix
            annotation["remediationLink"] = rule.fix_url
        answer["annotations"] = [annotation]
    return answer
