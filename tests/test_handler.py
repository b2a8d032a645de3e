"""lambda_handler end to end on an emulated account: both triggers, every parameter, stale results."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse

import faults
from helpers import by_id, run
from support import emulator
from support.emulator import BrokerSeed

RESOURCE_TYPE = "AWS::AmazonMQ::Broker"


@pytest.fixture
def demo(mq: Any) -> dict[str, str]:
    return emulator.seed_brokers(mq)


def verdicts(result: list[dict[str, Any]], names: dict[str, str]) -> dict[str, str]:
    ids = {broker_id: name for name, broker_id in names.items()}
    return {ids[e["ComplianceResourceId"]]: e["ComplianceType"] for e in result if e["ComplianceResourceId"] in ids}


# --- periodic --------------------------------------------------------------------------------------


def test_periodic_evaluates_every_broker_once_with_defaults(demo: dict[str, str], prior: Any, calls: Any) -> None:
    result = run(emulator.scheduled_event())
    assert verdicts(result, demo) == {
        "cc-project5-broker": "NON_COMPLIANT",
        "cc-multi-az-broker": "NON_COMPLIANT",
        "cc-production-broker": "NON_COMPLIANT",
        "orders-Broker-1": "COMPLIANT",
        "orders-Broker-2": "COMPLIANT",
        "orders-Broker-3": "COMPLIANT",
        "events-rabbit": "NOT_APPLICABLE",
        "lonely-Broker-1": "COMPLIANT",  # named as a member: name mode cannot see it is alone
    }
    evaluations = by_id(result)
    assert set(evaluations) == set(demo.values())
    for evaluation in result:
        assert evaluation["ComplianceResourceType"] == RESOURCE_TYPE
        assert evaluation["OrderingTimestamp"] == emulator.NOTIFICATION_TIME
        assert 0 < len(evaluation["Annotation"]) <= 256
    project5 = evaluations[demo["cc-project5-broker"]]["Annotation"]
    assert "'cc-project5-broker'" in project5
    assert "cc-project5-broker-Broker-1..n" in project5
    assert dict(calls.calls) == {
        "mq:ListBrokers": 1,
        "config-service:GetComplianceDetailsByConfigRule": 1,
        "config-service:PutEvaluations": 1,
    }


def test_periodic_with_no_brokers_sends_an_empty_batch(aws: None, session: Any, prior: Any, calls: Any) -> None:
    """rdklib reports an empty run so Config records it; moto refuses an empty batch, AWS takes it."""
    sent: list[Any] = []

    def note(params: dict[str, Any], **_: Any) -> None:
        sent.append(params["Evaluations"])

    def accept(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        return AWSResponse("https://emulated.invalid/", 200, {}, None), {"FailedEvaluations": []}

    session.events.register("before-parameter-build.config-service.PutEvaluations", note)
    session.events.register("before-call.config-service.PutEvaluations", accept)
    try:
        assert run(emulator.scheduled_event()) == []
    finally:
        session.events.unregister("before-parameter-build.config-service.PutEvaluations", note)
        session.events.unregister("before-call.config-service.PutEvaluations", accept)
    assert sent == [[]]
    assert calls.calls["mq:ListBrokers"] == 1


def test_broker_name_pattern_parameter(mq: Any, prior: Any) -> None:
    names = emulator.seed_brokers(mq, [BrokerSeed("NoB1"), BrokerSeed("orders-Broker-1")])
    result = run(emulator.scheduled_event({"BrokerNamePattern": "NoB[0-9]+"}))
    assert verdicts(result, names) == {"NoB1": "COMPLIANT", "orders-Broker-1": "NON_COMPLIANT"}


def test_allowed_deployment_modes_parameter(mq: Any, prior: Any) -> None:
    names = emulator.seed_brokers(
        mq, [BrokerSeed("a-Broker-1", "SINGLE_INSTANCE"), BrokerSeed("a-Broker-2", "ACTIVE_STANDBY_MULTI_AZ")]
    )
    result = run(emulator.scheduled_event({"AllowedDeploymentModes": "ACTIVE_STANDBY_MULTI_AZ"}))
    assert verdicts(result, names) == {"a-Broker-1": "NON_COMPLIANT", "a-Broker-2": "COMPLIANT"}


def test_scope_tag_parameters_read_tags_once_per_broker(mq: Any, prior: Any, calls: Any) -> None:
    names = emulator.seed_brokers(
        mq,
        [
            BrokerSeed("prod-solo", tags={"env": "prod"}),
            BrokerSeed("dev-solo", tags={"env": "dev"}),
            BrokerSeed("untagged"),
        ],
    )
    result = run(emulator.scheduled_event({"ScopeTagKey": "env"}))
    assert verdicts(result, names) == {
        "prod-solo": "NON_COMPLIANT",
        "dev-solo": "NON_COMPLIANT",
        "untagged": "NOT_APPLICABLE",
    }
    assert calls.calls["mq:ListTags"] == 3
    result = run(emulator.scheduled_event({"ScopeTagKey": "env", "ScopeTagValue": "prod"}))
    assert verdicts(result, names) == {
        "prod-solo": "NON_COMPLIANT",
        "dev-solo": "NOT_APPLICABLE",
        "untagged": "NOT_APPLICABLE",
    }


def test_no_tag_calls_without_a_scope(demo: dict[str, str], prior: Any, calls: Any) -> None:
    run(emulator.scheduled_event())
    assert "mq:ListTags" not in calls.calls
    assert "mq:DescribeBroker" not in calls.calls


def test_execution_role_name_reads_the_member_account(aws: None, prior: Any, calls: Any) -> None:
    member = "111122223333"
    credentials = boto3.client("sts").assume_role(RoleArn=f"arn:aws:iam::{member}:role/setup", RoleSessionName="seed")[
        "Credentials"
    ]
    member_mq = boto3.client(
        "mq",
        region_name=emulator.REGION,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )
    member_ids = emulator.seed_brokers(member_mq, [BrokerSeed("member-Broker-1")])
    emulator.seed_brokers(boto3.client("mq", region_name=emulator.REGION), [BrokerSeed("home-only")])
    event = emulator.scheduled_event({"ExecutionRoleName": "mq-network-audit"})
    event["accountId"] = member
    event["executionRoleArn"] = f"arn:aws:iam::{member}:role/config-role"
    calls.calls.clear()  # count the rule's calls only, not the seeding above
    result = run(event)
    assert [e["ComplianceResourceId"] for e in result] == [member_ids["member-Broker-1"]]
    assert calls.calls["sts:AssumeRole"] == 1


def test_assume_role_mode_true_assumes_the_event_role(demo: dict[str, str], prior: Any, calls: Any) -> None:
    result = run(emulator.scheduled_event({"AssumeRoleMode": "true"}))
    assert len(result) == len(demo)
    assert calls.calls["sts:AssumeRole"] == 1


def test_default_uses_the_function_role_without_sts(demo: dict[str, str], prior: Any, calls: Any) -> None:
    run(emulator.scheduled_event())
    assert "sts:AssumeRole" not in calls.calls


def test_stale_results_become_not_applicable(mq: Any, session: Any, calls: Any) -> None:
    names = emulator.seed_brokers(mq, [BrokerSeed("live-Broker-1")])
    deleted = [f"b-gone-{n:04d}" for n in range(250)]
    with emulator.PriorResults([names["live-Broker-1"], *deleted]):
        result = run(emulator.scheduled_event())
    evaluations = by_id(result)
    assert evaluations[names["live-Broker-1"]]["ComplianceType"] == "COMPLIANT"
    assert {evaluations[i]["ComplianceType"] for i in deleted} == {"NOT_APPLICABLE"}
    assert {evaluations[i]["ComplianceResourceType"] for i in deleted} == {RESOURCE_TYPE}
    assert len(result) == 251
    assert calls.calls["config-service:GetComplianceDetailsByConfigRule"] == 3  # 251 prior results, pages of 100
    assert calls.calls["config-service:PutEvaluations"] == 3  # 251 evaluations, batches of 100


def test_invalid_parameters_send_nothing(demo: dict[str, str], prior: Any, calls: Any) -> None:
    result = run(emulator.scheduled_event({"BrokerNamePattern": "(", "AllowedDeploymentModes": "MESH"}))
    assert result["customerErrorCode"] == "InvalidParameterValueException"
    assert "BrokerNamePattern '('" in result["customerErrorMessage"]
    assert "AllowedDeploymentModes 'MESH'" in result["customerErrorMessage"]
    assert calls.total == 0


def test_invalid_parameters_in_a_change_event_send_nothing(aws: None, calls: Any) -> None:
    item = emulator.configuration_item("b-1", "solo")
    result = run(emulator.change_event(item, {"ScopeTagValue": "prod"}))
    assert "ScopeTagKey is empty" in result["customerErrorMessage"]
    assert calls.total == 0


# --- configuration change ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "mode", "engine", "expected"),
    [
        ("orders-Broker-1", "SINGLE_INSTANCE", "ACTIVEMQ", "COMPLIANT"),
        ("orders-Broker-2", "ACTIVE_STANDBY_MULTI_AZ", "ActiveMQ", "COMPLIANT"),
        ("cc-production-broker", "ACTIVE_STANDBY_MULTI_AZ", "ACTIVEMQ", "NON_COMPLIANT"),
        ("orders-Broker-3", "CLUSTER_MULTI_AZ", "ACTIVEMQ", "NON_COMPLIANT"),
        ("events-rabbit", "CLUSTER_MULTI_AZ", "RabbitMQ", "NOT_APPLICABLE"),
    ],
)
def test_change_event_evaluates_the_item(
    aws: None, calls: Any, name: str, mode: str, engine: str, expected: str
) -> None:
    broker_id = "b-1234abcd-56ef-78ab-90cd-1234567890ab"
    result = run(emulator.change_event(emulator.configuration_item(broker_id, name, mode, engine)))
    assert len(result) == 1
    assert result[0]["ComplianceResourceId"] == broker_id
    assert result[0]["ComplianceResourceType"] == RESOURCE_TYPE
    assert result[0]["ComplianceType"] == expected
    assert f"'{name}'" in result[0]["Annotation"]
    assert [op for op in calls.calls if op.startswith("mq:")] == []


def test_change_event_scope_uses_the_item_tags(aws: None, calls: Any) -> None:
    params = {"ScopeTagKey": "env", "ScopeTagValue": "prod"}
    dev = emulator.configuration_item("b-1", "solo", tags={"env": "dev"})
    prod = emulator.configuration_item("b-2", "solo2", tags={"env": "prod"})
    assert run(emulator.change_event(dev, params))[0]["ComplianceType"] == "NOT_APPLICABLE"
    assert run(emulator.change_event(prod, params))[0]["ComplianceType"] == "NON_COMPLIANT"
    assert "mq:ListTags" not in calls.calls


@pytest.mark.parametrize("status", ["ResourceDeleted", "ResourceDeletedNotRecorded", "ResourceNotRecorded"])
def test_deleted_broker_is_not_applicable(aws: None, status: str) -> None:
    item = emulator.configuration_item("b-9", "old-Broker-1", status=status)
    [evaluation] = run(emulator.change_event(item))
    assert evaluation["ComplianceType"] == "NOT_APPLICABLE"
    assert evaluation["ComplianceResourceId"] == "b-9"
    assert status in evaluation["Annotation"]


def test_broker_that_left_scope_is_not_applicable(aws: None) -> None:
    item = emulator.configuration_item("b-9", "solo")
    [evaluation] = run(emulator.change_event(item, left_scope=True))
    assert evaluation["ComplianceType"] == "NOT_APPLICABLE"
    assert "left the rule's scope" in evaluation["Annotation"]


def test_other_resource_types_are_not_applicable(aws: None) -> None:
    item = emulator.configuration_item("sg-1", "not-a-broker")
    item["resourceType"] = "AWS::EC2::SecurityGroup"
    [evaluation] = run(emulator.change_event(item))
    assert evaluation["ComplianceType"] == "NOT_APPLICABLE"


def test_oversized_change_event_is_inflated_from_config_history(aws: None, session: Any, calls: Any) -> None:
    item = emulator.configuration_item("b-big", "big-broker", "SINGLE_INSTANCE")
    with faults.config_history(session, item):
        [evaluation] = run(emulator.oversized_event("b-big"))
    assert evaluation["ComplianceResourceId"] == "b-big"
    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert "'big-broker'" in evaluation["Annotation"]
    assert calls.calls["config-service:GetResourceConfigHistory"] == 1
