"""Shared fixtures: an emulated account (moto) and the rule's own boto3 session, watched."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.retries.standard import ExponentialBackoff
from moto import mock_aws

from mq_network.aws import aws_calls
from support import emulator


@pytest.fixture(autouse=True)
def fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in emulator.FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", emulator.REGION)
    monkeypatch.setenv("AWS_REGION", emulator.REGION)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws(), emulator.PagedListBrokers():
        yield


@pytest.fixture
def mq(aws: None) -> Any:
    return boto3.client("mq", region_name=emulator.REGION)


@pytest.fixture
def session() -> Any:
    return aws_calls.rule_session()


@pytest.fixture
def calls(session: Any) -> Iterator[emulator.ApiCalls]:
    with emulator.ApiCalls(session) as counter:
        yield counter


@pytest.fixture
def prior() -> Iterator[emulator.PriorResults]:
    """AWS Config holds no earlier result for this rule (moto cannot answer that read)."""
    with emulator.PriorResults() as results:
        yield results


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries keep their count but not their sleep, so throttling tests run in milliseconds."""
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0)


@pytest.fixture
def moto_server() -> Iterator[str]:
    """A moto server on loopback, for the audit's --endpoint-url."""
    with emulator.moto_server() as url:
        yield url
