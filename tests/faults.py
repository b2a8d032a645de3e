"""Fault injection for the tests: AWS answers replaced at the HTTP level, before moto sees them.

Kept out of the installed package (mq_network_tools holds only what a user runs): these hooks exist
so that botocore's real parsing and retry code meets throttling, server errors and odd answers.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from botocore.awsrequest import AWSResponse


class _Body(io.BytesIO):
    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.getvalue()


def http_answer(status: int, body: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> AWSResponse:
    """An HTTP answer with a JSON body, as a before-send hook returns it in place of AWS's."""
    data = json.dumps(body, default=str).encode()
    return AWSResponse("https://emulated.invalid/", status, dict(headers or {}), _Body(data))


def error_answer(service: str, status: int, code: str) -> AWSResponse:
    """An AWS error answer in the service's own wire format (STS speaks XML, the others JSON)."""
    if service == "sts":
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>"
            f"<Message>injected {code}</Message></Error><RequestId>r</RequestId></ErrorResponse>"
        ).encode()
        return AWSResponse("https://emulated.invalid/", status, {}, _Body(body))
    return http_answer(status, {"__type": code, "message": f"injected {code}"}, {"x-amzn-ErrorType": code})


@contextmanager
def config_history(session: Any, item: Mapping[str, Any]) -> Iterator[None]:
    """AWS Config's history of one resource, for oversized change notifications.

    moto's Config records no Amazon MQ broker, so GetResourceConfigHistory is answered here (at the
    HTTP level, so parsing and retries run) with `item` (a configuration item, as in events).
    """
    recorded = {
        "accountId": item["awsAccountId"],
        "arn": item["ARN"],
        "awsRegion": item["awsRegion"],
        "configurationItemCaptureTime": item["configurationItemCaptureTime"],
        "configurationItemStatus": item["configurationItemStatus"],
        "configurationStateId": "1",
        "resourceType": item["resourceType"],
        "resourceId": item["resourceId"],
        "resourceName": item["resourceName"],
        "tags": item["tags"],
        "relationships": [],
        "configuration": json.dumps(item["configuration"]),
        "supplementaryConfiguration": {},
    }

    def answer(**_: Any) -> AWSResponse:
        return http_answer(200, {"configurationItems": [recorded]})

    event = "before-send.config-service.GetResourceConfigHistory"
    session.events.register(event, answer)
    try:
        yield
    finally:
        session.events.unregister(event, answer)


@contextmanager
def failing_answers(session: Any, operation: str, answers: Sequence[tuple[int, str]]) -> Iterator[list[int]]:
    """Answer the next attempts at `operation` ('mq.ListBrokers') with HTTP errors, before moto.

    Each (status, code) is one HTTP attempt, so botocore's retry policy is what gets tested.
    Yields a one-item list holding how many injected answers were used.
    """
    remaining = list(answers)
    used = [0]

    service = operation.split(".", maxsplit=1)[0]

    def answer(**_: Any) -> AWSResponse | None:
        if not remaining:
            return None
        status, code = remaining.pop(0)
        used[0] += 1
        return error_answer(service, status, code)

    event = f"before-send.{operation}"
    session.events.register_first(event, answer)
    try:
        yield used
    finally:
        session.events.unregister(event, answer)
