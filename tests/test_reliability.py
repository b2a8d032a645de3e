"""Throttling, server errors and refused evaluations: the rule rides them out or fails loudly."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

import faults
from faults import failing_answers
from helpers import RefusingConfig, by_id, run
from MQ_NETWORK_OF_BROKERS import EvaluationsNotRecordedError
from support import emulator
from support.emulator import BrokerSeed

THROTTLES = {
    "mq": (429, "TooManyRequestsException"),
    "config-service": (400, "ThrottlingException"),
    "sts": (400, "Throttling"),
}


@pytest.mark.parametrize(
    ("operation", "parameters", "trigger"),
    [
        ("mq.ListBrokers", {}, "scheduled"),
        ("mq.ListTags", {"ScopeTagKey": "env"}, "scheduled"),
        ("config-service.PutEvaluations", {}, "scheduled"),
        ("config-service.GetComplianceDetailsByConfigRule", {}, "scheduled"),
        ("sts.AssumeRole", {"ExecutionRoleName": "mq-audit"}, "scheduled"),
        ("config-service.GetResourceConfigHistory", {}, "oversized"),
        ("config-service.PutEvaluations", {}, "oversized"),
    ],
)
@pytest.mark.parametrize("failure", ["throttling", "server error"])
def test_five_consecutive_failures_on_any_call_are_ridden_out(
    mq: Any,
    session: Any,
    prior: Any,
    calls: Any,
    no_backoff: None,
    operation: str,
    parameters: dict[str, str],
    trigger: str,
    failure: str,
) -> None:
    ids = emulator.seed_brokers(mq, [BrokerSeed("solo-Broker-1", tags={"env": "prod"})])
    broker_id = ids["solo-Broker-1"]
    item = emulator.configuration_item(broker_id, "solo-Broker-1", tags={"env": "prod"})
    service = operation.split(".", maxsplit=1)[0]
    errors = [THROTTLES[service] if failure == "throttling" else (503, "ServiceUnavailable")] * 5
    calls.calls.clear()
    with faults.config_history(session, item), failing_answers(session, operation, errors) as used:
        event = (
            emulator.scheduled_event(parameters)
            if trigger == "scheduled"
            else emulator.oversized_event(broker_id, parameters)
        )
        result = run(event)
    assert used == [5]
    assert isinstance(result, list), result
    assert by_id(result)[broker_id]["ComplianceType"] == "COMPLIANT"
    op = operation.replace(".", ":")
    assert calls.attempts[op] == calls.calls[op] + 5


def test_a_persistent_throttle_fails_the_invocation_and_sends_nothing(
    mq: Any, session: Any, prior: Any, calls: Any, no_backoff: None
) -> None:
    """Lambda must see the failure (and retry it): rdklib would have returned success with nothing sent."""
    emulator.seed_brokers(mq, [BrokerSeed("solo-Broker-1")])
    calls.calls.clear()
    with (
        failing_answers(session, "mq.ListBrokers", [THROTTLES["mq"]] * 50) as used,
        pytest.raises(ClientError, match="TooManyRequestsException"),
    ):
        run(emulator.scheduled_event())
    assert used == [10]  # the configured attempts, then the invocation fails
    assert "config-service:PutEvaluations" not in calls.calls


def test_refused_evaluations_are_sent_again(mq: Any, session: Any, prior: Any) -> None:
    emulator.seed_brokers(mq, [BrokerSeed("a-Broker-1"), BrokerSeed("b-Broker-1")])
    with RefusingConfig(session, times=1) as config:
        result = run(emulator.scheduled_event())
    assert len(result) == 2
    assert len(config.sent) == 2
    assert len(config.sent[0]) == 2
    assert [e["ComplianceResourceId"] for e in config.sent[1]] == [config.sent[0][0]["ComplianceResourceId"]]
    assert config.sent[1][0]["ComplianceType"] == config.sent[0][0]["ComplianceType"]


def test_evaluations_refused_twice_fail_the_invocation_by_name(mq: Any, session: Any, prior: Any) -> None:
    ids = emulator.seed_brokers(mq, [BrokerSeed("a-Broker-1")])
    with RefusingConfig(session, times=2), pytest.raises(EvaluationsNotRecordedError) as caught:
        run(emulator.scheduled_event())
    assert ids["a-Broker-1"] in str(caught.value)
    assert "refused 1 evaluation(s) twice" in str(caught.value)


def test_refused_change_evaluation_is_sent_again(aws: None, session: Any) -> None:
    item = emulator.configuration_item("b-7", "solo")
    with RefusingConfig(session, times=1) as config:
        [evaluation] = run(emulator.change_event(item))
    assert evaluation["ComplianceResourceId"] == "b-7"
    assert [batch[0]["ComplianceResourceId"] for batch in config.sent] == ["b-7", "b-7"]
