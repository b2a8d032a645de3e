"""Fuzzing the event and answer shapes: whatever arrives, the rule either refuses it before sending
anything (InvalidEventError, or an exception that fails the invocation) or sends exactly one
evaluation per broker. Never success with a silent gap."""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from helpers import run
from mq_network.aws import aws_calls
from MQ_NETWORK_OF_BROKERS import InvalidEventError
from support import emulator

JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=8),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)
FIELD_VALUES = {
    "BrokerId": st.one_of(JUNK, st.sampled_from(["b-1", "b-2", ""])),
    "BrokerArn": st.one_of(JUNK, st.just("arn:aws:mq:us-east-1:123456789012:broker:x:b-9")),
    "BrokerName": st.one_of(JUNK, st.sampled_from(["x-Broker-1", "solo", ""])),
    "DeploymentMode": st.one_of(JUNK, st.sampled_from(["SINGLE_INSTANCE", "CLUSTER_MULTI_AZ"])),
    "EngineType": st.one_of(JUNK, st.sampled_from(["ActiveMQ", "RABBITMQ", "KAFKA"])),
    "BrokerState": st.one_of(JUNK, st.sampled_from(["RUNNING", "CREATION_FAILED"])),
}
SUMMARY = st.fixed_dictionaries({}, optional=FIELD_VALUES)  # type: ignore[arg-type]


def _answer(parsed: dict[str, Any]) -> Any:
    def reply(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        return AWSResponse("https://emulated.invalid/", 200, {}, None), parsed

    return reply


def _invoke(
    event: Any, list_brokers: dict[str, Any] | None = None
) -> tuple[Any, list[list[Any]], BaseException | None]:
    session = aws_calls.rule_session()
    sent: list[list[Any]] = []

    def note(params: dict[str, Any], **_: Any) -> None:
        sent.append(params["Evaluations"])

    hooks = [
        ("before-parameter-build.config-service.PutEvaluations", note),
        ("before-call.config-service.GetComplianceDetailsByConfigRule", _answer({"EvaluationResults": []})),
        # moto refuses the empty batch that AWS takes (and that an empty region sends)
        ("before-call.config-service.PutEvaluations", _answer({"FailedEvaluations": []})),
    ]
    if list_brokers is not None:
        hooks.append(("before-call.mq.ListBrokers", _answer(list_brokers)))
    for name, hook in hooks:
        session.events.register_first(name, hook)
    try:
        with mock_aws():
            return run(event), sent, None
    except Exception as err:
        return None, sent, err
    finally:
        for name, hook in hooks:
            session.events.unregister(name, hook)


def _expected_id(summary: dict[str, Any]) -> str | None:
    """The ID a broker must be evaluated under: BrokerId if it is text, else the ARN's last field."""
    if isinstance(summary.get("BrokerId"), str) and summary["BrokerId"]:
        return str(summary["BrokerId"])
    arn = summary.get("BrokerArn")
    return arn.rsplit(":", 1)[-1] if isinstance(arn, str) and ":broker:" in arn else None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(summaries=st.lists(SUMMARY, max_size=4))
def test_any_list_brokers_answer_gives_one_evaluation_per_broker_or_fails_having_sent_nothing(
    summaries: list[dict[str, Any]],
) -> None:
    result, sent, error = _invoke(emulator.scheduled_event(), {"BrokerSummaries": summaries})
    if error is not None:
        assert sent == [], f"failed with {error!r} after sending {sent}"
        return
    identified = {_expected_id(s) for s in summaries}
    evaluated = [e["ComplianceResourceId"] for e in result]
    assert sorted(evaluated) == sorted(identified), (summaries, result)
    assert all(e["ComplianceType"] in ("COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE") for e in result)
    assert [e for batch in sent for e in batch] == result


ITEM_FIELDS = {
    "resourceId": st.one_of(JUNK, st.just("b-1")),
    "resourceType": st.one_of(JUNK, st.just("AWS::AmazonMQ::Broker")),
    "configurationItemStatus": st.one_of(JUNK, st.sampled_from(["OK", "ResourceDeleted"])),
    "configurationItemCaptureTime": st.one_of(JUNK, st.just(emulator.NOTIFICATION_TIME)),
    "tags": JUNK,
    "resourceName": JUNK,
    "configuration": st.one_of(JUNK, st.fixed_dictionaries({}, optional=FIELD_VALUES)),  # type: ignore[arg-type]
}
EVENT_FIELDS = {
    "resultToken": st.one_of(JUNK, st.just("TESTMODE")),
    "eventLeftScope": st.one_of(JUNK, st.booleans()),
    "ruleParameters": st.one_of(JUNK, st.just("{}"), st.just('{"CheckMode": "both"}')),
}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    item=st.fixed_dictionaries({}, optional=ITEM_FIELDS),  # type: ignore[arg-type]
    overrides=st.fixed_dictionaries({}, optional=EVENT_FIELDS),  # type: ignore[arg-type]
)
def test_any_change_event_is_refused_before_any_call_or_judged_once(
    item: dict[str, Any], overrides: dict[str, Any]
) -> None:
    event = {**emulator.change_event(emulator.configuration_item("b-1", "x-Broker-1")), **overrides}
    event["invokingEvent"] = json.dumps(
        {
            "messageType": "ConfigurationItemChangeNotification",
            "notificationCreationTime": "t",
            "configurationItem": item,
        }
    )
    with emulator.ApiCalls(aws_calls.rule_session()) as calls:
        result, sent, error = _invoke(event)
    if isinstance(error, InvalidEventError):
        assert calls.total == 0
        return
    assert error is None, repr(error)
    if isinstance(result, dict):  # invalid rule parameters: rdklib's error response, nothing sent
        assert result["customerErrorCode"] == "InvalidParameterValueException"
        assert sent == []
        return
    assert len(result) == 1
    assert result[0]["ComplianceResourceId"] == item["resourceId"]
    assert sent == [result]


def test_the_fuzzed_handler_still_sees_a_plain_account() -> None:
    """The hooks above are removed after each example: a real run afterwards is untouched."""
    with mock_aws(), emulator.PriorResults():
        emulator.seed_brokers(boto3.client("mq", region_name=emulator.REGION), [emulator.BrokerSeed("a-Broker-1")])
        [evaluation] = run(emulator.scheduled_event())
    assert evaluation["ComplianceType"] == "COMPLIANT"
