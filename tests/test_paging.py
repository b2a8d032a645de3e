"""ListBrokers paging (moto does not page: botocore's Stubber plays AWS) and batch sizes."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from helpers import by_id, run
from mq_network.aws import aws_calls, broker_reads
from mq_network.core.facts import BrokerFactsError
from mq_network.core.parameters import parse_parameters
from mq_network.core.vocabulary import Unreadable
from mq_network_tools.demo import emulator


def summary(n: int, mode: str = "SINGLE_INSTANCE") -> dict[str, Any]:
    return {
        "BrokerArn": f"arn:aws:mq:us-east-1:123456789012:broker:m-Broker-{n}:b-{n:08d}-0000-0000-0000-000000000000",
        "BrokerId": f"b-{n:08d}-0000-0000-0000-000000000000",
        "BrokerName": f"m-Broker-{n}",
        "BrokerState": "RUNNING",
        "DeploymentMode": mode,
        "EngineType": "ActiveMQ",
        "HostInstanceType": "mq.m5.large",
    }


@pytest.fixture
def stubbed() -> Any:
    client = boto3.session.Session().client("mq", region_name="us-east-1")
    with Stubber(client) as stubber:
        yield client, stubber


def test_list_brokers_follows_next_token_in_pages_of_100(stubbed: Any) -> None:
    client, stubber = stubbed
    stubber.add_response(
        "list_brokers",
        {"BrokerSummaries": [summary(n) for n in range(100)], "NextToken": "t1"},
        {"MaxResults": 100},
    )
    stubber.add_response(
        "list_brokers",
        {"BrokerSummaries": [summary(n) for n in range(100, 200)], "NextToken": "t2"},
        {"MaxResults": 100, "NextToken": "t1"},
    )
    stubber.add_response(
        "list_brokers",
        {"BrokerSummaries": [summary(n) for n in range(200, 250)]},
        {"MaxResults": 100, "NextToken": "t2"},
    )
    brokers = broker_reads.gather_brokers(client, parse_parameters({}))
    stubber.assert_no_pending_responses()
    assert [b.name for b in brokers] == [f"m-Broker-{n}" for n in range(250)]
    assert brokers[0].engine_type == "ActiveMQ"
    assert brokers[0].broker_id == "b-00000000-0000-0000-0000-000000000000"


def test_a_broker_listed_on_two_pages_is_evaluated_once(stubbed: Any) -> None:
    client, stubber = stubbed
    stubber.add_response("list_brokers", {"BrokerSummaries": [summary(1), summary(2)], "NextToken": "t"})
    stubber.add_response("list_brokers", {"BrokerSummaries": [summary(2), summary(3)]})
    assert [b.name for b in broker_reads.gather_brokers(client, parse_parameters({}))] == [
        "m-Broker-1",
        "m-Broker-2",
        "m-Broker-3",
    ]


def test_tags_are_read_only_with_a_scope_and_a_vanished_broker_is_skipped(stubbed: Any) -> None:
    client, stubber = stubbed
    stubber.add_response("list_brokers", {"BrokerSummaries": [summary(1), summary(2)]})
    stubber.add_response("list_tags", {"Tags": {"env": "prod"}}, {"ResourceArn": summary(1)["BrokerArn"]})
    stubber.add_client_error("list_tags", "NotFoundException", http_status_code=404)
    brokers = broker_reads.gather_brokers(client, parse_parameters({"ScopeTagKey": "env"}))
    stubber.assert_no_pending_responses()
    assert [(b.name, b.tags) for b in brokers] == [("m-Broker-1", {"env": "prod"})]


def test_tag_read_denied_makes_that_broker_unreadable_not_the_run(stubbed: Any) -> None:
    client, stubber = stubbed
    stubber.add_response("list_brokers", {"BrokerSummaries": [summary(1), summary(2)]})
    stubber.add_client_error("list_tags", "AccessDeniedException", http_status_code=403)
    stubber.add_response("list_tags", {"Tags": {"env": "prod"}})
    denied, tagged = broker_reads.gather_brokers(client, parse_parameters({"ScopeTagKey": "env"}))
    assert denied.tags == Unreadable("ListTags failed (AccessDeniedException)")
    assert tagged.tags == {"env": "prod"}


def test_a_summary_without_an_id_takes_it_from_the_arn(stubbed: Any) -> None:
    client, stubber = stubbed
    broken = summary(1)
    expected = broken.pop("BrokerId")
    stubber.add_response("list_brokers", {"BrokerSummaries": [broken]})
    [found] = broker_reads.gather_brokers(client, parse_parameters({}))
    assert found.broker_id == expected


def test_a_summary_without_id_or_arn_stops_the_run(stubbed: Any) -> None:
    """Leaving it out would let the stale clean-up retire its earlier result unseen."""
    client, stubber = stubbed
    broken = summary(1)
    del broken["BrokerId"], broken["BrokerArn"]
    stubber.add_response("list_brokers", {"BrokerSummaries": [broken]})
    with pytest.raises(BrokerFactsError, match="without BrokerId or BrokerArn"):
        broker_reads.gather_brokers(client, parse_parameters({}))


def test_put_evaluations_batches_of_100_report_what_is_still_refused() -> None:
    client = boto3.session.Session().client("config", region_name="us-east-1")
    evaluations = [
        {
            "ComplianceResourceType": "AWS::AmazonMQ::Broker",
            "ComplianceResourceId": f"b-{n}",
            "ComplianceType": "COMPLIANT",
            "OrderingTimestamp": "2026-11-28T12:00:00Z",
        }
        for n in range(230)
    ]
    with Stubber(client) as stubber:
        stubber.add_response("put_evaluations", {"FailedEvaluations": []})
        stubber.add_response("put_evaluations", {"FailedEvaluations": [evaluations[150]]})
        stubber.add_response("put_evaluations", {})
        refused = aws_calls.put_evaluations(client, evaluations, "token", test_mode=False)
        stubber.assert_no_pending_responses()
    assert [e["ComplianceResourceId"] for e in refused] == ["b-150"]


@pytest.mark.parametrize("count", [1, 100, 101, 250])
def test_periodic_run_costs_grow_by_the_hundred_not_by_the_broker(
    mq: Any, prior: Any, calls: Any, session: Any, count: int
) -> None:
    ids = emulator.seed_brokers(mq, [emulator.BrokerSeed(f"load-Broker-{n}") for n in range(count)])
    calls.calls.clear()
    result = run(emulator.scheduled_event())
    assert set(by_id(result)) == set(ids.values())
    batches = -(-count // 100)
    assert calls.calls["config-service:PutEvaluations"] == batches
    assert calls.calls["mq:ListBrokers"] == batches  # the emulator pages as Amazon MQ does
    assert calls.calls["config-service:GetComplianceDetailsByConfigRule"] == 1
    assert calls.total == 2 * batches + 1
