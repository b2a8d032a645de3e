"""Helpers the tests share: invoking the handler and indexing its answer."""

from __future__ import annotations

from typing import Any


def run(event: dict[str, Any]) -> Any:
    from MQ_NETWORK_OF_BROKERS import lambda_handler

    return lambda_handler(event, None)


def by_id(result: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    ids = [evaluation["ComplianceResourceId"] for evaluation in result]
    assert len(ids) == len(set(ids)), f"more than one evaluation for a broker: {ids}"
    return {evaluation["ComplianceResourceId"]: evaluation for evaluation in result}
