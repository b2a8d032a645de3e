"""Helpers the tests share: invoking the handler and indexing its answer."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from faults import http_answer


def run(event: dict[str, Any]) -> Any:
    from MQ_NETWORK_OF_BROKERS import lambda_handler

    return lambda_handler(event, None)


def by_id(result: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    ids = [evaluation["ComplianceResourceId"] for evaluation in result]
    assert len(ids) == len(set(ids)), f"more than one evaluation for a broker: {ids}"
    return {evaluation["ComplianceResourceId"]: evaluation for evaluation in result}


class RefusingConfig:
    """PutEvaluations answers that refuse the first evaluation of each of the next `times` calls."""

    def __init__(self, session: Any, times: int) -> None:
        self.session = session
        self.times = times
        self.sent: list[list[dict[str, Any]]] = []

    def note(self, params: dict[str, Any], **_: Any) -> None:
        self.sent.append(params["Evaluations"])

    def answer(self, **_: Any) -> Any:
        if self.times == 0:
            return None
        self.times -= 1
        return http_answer(200, {"FailedEvaluations": self.sent[-1][:1]})

    def __enter__(self) -> RefusingConfig:
        self.session.events.register("before-parameter-build.config-service.PutEvaluations", self.note)
        self.session.events.register_first("before-send.config-service.PutEvaluations", self.answer)
        return self

    def __exit__(self, *exc: object) -> None:
        self.session.events.unregister("before-parameter-build.config-service.PutEvaluations", self.note)
        self.session.events.unregister("before-send.config-service.PutEvaluations", self.answer)


def hook_request(
    properties: Any, point: str = "CREATE_PRE_PROVISION", previous: Any = None, target: str = "AWS::AmazonMQ::Broker"
) -> dict[str, Any]:
    """A CloudFormation Lambda hook resource-operation request, in the shape the hooks user guide
    documents (previous properties empty on CREATE)."""
    return {
        "clientRequestToken": "4b90a7e4-b790-456b-a937-0cfdfa211dfe",
        "awsAccountId": "123456789012",
        "stackId": "arn:aws:cloudformation:us-west-2:123456789012:stack/MyStack/1a2345b6-0000-00a0-a123-00abc0abc000",
        "changeSetId": None,
        "hookTypeName": "MQNetwork::Broker::NetworkOfBrokers",
        "hookTypeVersion": "00000001",
        "hookModel": {"LambdaFunction": "arn:aws:lambda:us-west-2:123456789012:function:hook"},
        "actionInvocationPoint": point,
        "requestData": {
            "targetName": target,
            "targetType": target,
            "targetLogicalId": "OrdersBroker1",
            "targetModel": {"resourceProperties": properties, "previousResourceProperties": previous or {}},
        },
        "requestContext": {"invocation": 1, "callbackContext": None},
    }


def rendered_json(template: Any, expression: Any, values: Mapping[str, str]) -> dict[str, str]:
    """A JSON object the template builds (Fn::Join, Fn::Split, Fn::Sub, Fn::If on Has<Name>), as
    CloudFormation renders it for `values`: the one renderer of test_template and test_generated."""
    no_value = object()

    def render(node: Any) -> Any:
        if isinstance(node, str):
            return node
        if isinstance(node, list):
            return [item for item in (render(n) for n in node) if item is not no_value]
        (function, argument), *_ = node.items()
        if function == "Ref":
            return no_value if argument == "AWS::NoValue" else values[argument]
        if function == "Fn::If":
            condition = template["Conditions"][argument[0]]
            assert condition == {"Fn::Not": [{"Fn::Equals": [{"Ref": argument[0][3:]}, ""]}]}
            return render(argument[1] if values.get(argument[0][3:]) else argument[2])
        if function == "Fn::Sub":
            return re.sub(r"\$\{(\w+)\}", lambda m: values[m.group(1)], argument)
        if function == "Fn::Split":
            return render(argument[1]).split(argument[0])
        if function == "Fn::Join":
            return argument[0].join(render(argument[1]))
        raise AssertionError(f"unexpected {function}")

    return dict(json.loads(render(expression)))
