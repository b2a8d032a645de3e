"""Helpers the tests share: invoking the handler and indexing its answer."""

from __future__ import annotations

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
