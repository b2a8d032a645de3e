"""AWS access: every call the rule makes, the retry policy they share, and PutEvaluations' answers.

All Amazon MQ APIs share one per-account throttling budget, so the rule makes as few calls as the
parameters allow (gather.py decides which): ListBrokers in pages of 100, PutEvaluations in
batches of 100, and the per-broker reads only when a parameter needs them.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError

# Standard mode retries throttling, 5xx and connection errors with jittered exponential backoff;
# 10 attempts ride out a burst of at least 9 consecutive throttling answers.
RETRY_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 10},
    connect_timeout=10,
    read_timeout=30,
)
PAGE_SIZE = 100  # ListBrokers' maximum page.
EVALUATIONS_PER_CALL = 100  # PutEvaluations' maximum batch.

_failed_evaluations: list[dict[str, Any]] = []


def rule_session() -> boto3.Session:
    """The process-wide session, made boto3's default so that rdklib's own clients use it too.

    rdklib builds clients with `boto3.client(...)`, which takes neither a retry policy nor a hook;
    configuring the default session gives them both. Made once per process (warm Lambda starts
    reuse it and its loaded service models).
    """
    session = _configured_session()
    boto3.DEFAULT_SESSION = session
    return session


@functools.cache
def _configured_session() -> boto3.Session:
    core = botocore.session.get_session()
    core.set_default_client_config(RETRY_CONFIG)
    session = boto3.Session(botocore_session=core)
    session.events.register("after-call.config-service.PutEvaluations", _record_failed_evaluations)
    return session


def _record_failed_evaluations(parsed: dict[str, Any], **_: Any) -> None:
    _failed_evaluations.extend(parsed.get("FailedEvaluations") or [])


def take_failed_evaluations() -> list[dict[str, Any]]:
    """Evaluations PutEvaluations refused since the last call (rdklib never looks at them)."""
    taken = list(_failed_evaluations)
    _failed_evaluations.clear()
    return taken


def put_evaluations(
    config_client: Any, evaluations: Sequence[dict[str, Any]], result_token: str, test_mode: bool
) -> list[dict[str, Any]]:
    """Send evaluations in batches of 100; return those AWS Config still refused."""
    refused: list[dict[str, Any]] = []
    for batch in _batches(evaluations, EVALUATIONS_PER_CALL):
        answer = config_client.put_evaluations(Evaluations=batch, ResultToken=result_token, TestMode=test_mode)
        refused.extend(answer.get("FailedEvaluations") or [])
    take_failed_evaluations()  # already handled here, not to be re-sent again
    return refused


def list_broker_summaries(mq_client: Any) -> list[dict[str, Any]]:
    """Every broker in the client's region, once each even if pages overlap while brokers change."""
    pages = mq_client.get_paginator("list_brokers").paginate(PaginationConfig={"PageSize": PAGE_SIZE})
    by_id: dict[Any, dict[str, Any]] = {}
    for page in pages:
        for summary in page.get("BrokerSummaries") or []:
            by_id.setdefault(summary.get("BrokerId"), summary)
    return list(by_id.values())


def broker_tags(mq_client: Any, broker_arn: str) -> dict[str, str] | None:
    """The broker's tags, or None when the broker vanished since it was listed."""
    try:
        return dict(mq_client.list_tags(ResourceArn=broker_arn).get("Tags") or {})
    except ClientError as err:
        if error_code(err) in ("NotFoundException", "NotFound"):
            return None
        raise


def describe_broker(mq_client: Any, broker_id: str) -> dict[str, Any] | None:
    """DescribeBroker's answer, or None when the broker vanished since it was listed."""
    try:
        answer: dict[str, Any] = mq_client.describe_broker(BrokerId=broker_id)
        return answer
    except ClientError as err:
        if error_code(err) in ("NotFoundException", "NotFound"):
            return None
        raise


def configuration_revision_data(mq_client: Any, configuration_id: str, revision: str) -> str:
    """The revision's Data field: base64 of the ActiveMQ XML."""
    answer = mq_client.describe_configuration_revision(ConfigurationId=configuration_id, ConfigurationRevision=revision)
    return str(answer.get("Data") or "")


def error_code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def _batches(items: Sequence[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
