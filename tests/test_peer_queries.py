"""Issue 18, finding 7: aggregator peer checks are asked in queries AWS Config accepts, and a query
that fails makes only its own peers unverified, with the error it got (not a permission guess)."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.exceptions import ClientError

from helpers import by_id, run
from mq_network.aws import aws_calls
from mq_network.aws.peer_lookup import aggregator_resolver
from mq_network.core.connectors import Peer
from support import emulator
from support.emulator import BrokerSeed, ConfigInventory, activemq_xml, apply_configuration, endpoint

FAR = "us-west-2"
CONNECTORS = {"CheckMode": "connectors", "AggregatorName": "org"}


def long_id(n: int, width: int = 64) -> str:
    return f"b-{n:04d}-" + "a" * (width - 7)


def far_peer(broker_id: str) -> Peer:
    return Peer(endpoint(broker_id, region=FAR), broker_id, FAR)


def test_eighty_long_ids_are_asked_in_queries_under_the_limit() -> None:
    ids = [long_id(n) for n in range(80)]  # 64 characters each: one IN (...) list made 5,556 characters
    queries = aws_calls.aggregate_queries(ids)
    assert all(len(expression.encode()) <= aws_calls.EXPRESSION_BUDGET < 4096 for _chunk, expression in queries)
    assert [broker_id for chunk, _expression in queries for broker_id in chunk] == ids
    assert all(all(f"'{i}'" in expression for i in chunk) for chunk, expression in queries)
    assert len(queries) == 2


class Aggregator:
    """SelectAggregateResourceConfig that refuses every query holding `refused` with `code`."""

    def __init__(self, records: dict[str, dict[str, str]], refused: str, code: str) -> None:
        self.records, self.refused, self.code = records, refused, code
        self.expressions: list[str] = []

    def select_aggregate_resource_config(self, **request: Any) -> dict[str, Any]:
        import json

        expression = request["Expression"]
        self.expressions.append(expression)
        if f"'{self.refused}'" in expression:
            raise ClientError({"Error": {"Code": self.code, "Message": "injected"}}, "SelectAggregateResourceConfig")
        return {
            "Results": [json.dumps({"resourceId": k, **v}) for k, v in self.records.items() if f"'{k}'" in expression]
        }

    def describe_configuration_aggregators(self, **_: Any) -> dict[str, Any]:
        return {"ConfigurationAggregators": [{"AccountAggregationSources": [{"AccountIds": ["1"]}]}]}


def test_a_failing_query_fails_only_its_own_peers_and_names_its_error() -> None:
    ids = [long_id(n) for n in range(80)]
    alive = {"accountId": "111122223333", "awsRegion": FAR, "configurationItemStatus": "OK"}
    aggregator = Aggregator({i: alive for i in ids}, refused=ids[0], code="InvalidExpressionException")
    statuses = aggregator_resolver(aggregator, "org")([far_peer(i) for i in ids])
    [first, _second] = aws_calls.aggregate_queries(ids)
    failed = {key for key, status in statuses.items() if status.failed}
    assert failed == set(first[0])
    assert all(statuses[i].exists for i in ids if i not in failed)
    assert (
        statuses[ids[0]].detail == "aggregator org: SelectAggregateResourceConfig failed (InvalidExpressionException)"
    )


def test_the_annotation_names_the_error_and_blames_permissions_only_when_denied() -> None:
    from mq_network.core.decision import decide
    from mq_network.core.facts import BrokerFacts
    from mq_network.core.network import Membership
    from mq_network.core.parameters import parse_parameters

    params = parse_parameters({"CheckMode": "connectors"})
    broker = BrokerFacts("b-1", "dr", "SINGLE_INSTANCE", "ACTIVEMQ", "RUNNING")

    def annotation(code: str) -> str:
        error = f"aggregator org: SelectAggregateResourceConfig failed ({code})"
        membership = Membership(peers=(), external_peers=(), network_size=1, malformed=(), peer_errors=(error,))
        return decide(broker, params, membership).annotation

    throttled = annotation("ThrottlingException")
    assert "SelectAggregateResourceConfig failed (ThrottlingException)" in throttled
    assert "config:SelectAggregateResourceConfig" not in throttled  # no permission fix for a throttle
    assert "Fix: run the rule again" in throttled
    assert "config:SelectAggregateResourceConfig" in annotation("AccessDeniedException").split("Fix:")[1]


def test_one_long_configuration_no_longer_breaks_the_region(mq: Any, prior: Any) -> None:
    """End to end under moto: before, the one query (5,000+ characters) was refused and every
    external peer of the run, dr2's too, became "could not be verified"."""
    ids = emulator.seed_brokers(mq, [BrokerSeed("dr"), BrokerSeed("dr2")])
    many = [long_id(n, width=60) for n in range(80)]  # 60 characters: the endpoint's label stays under 64
    apply_configuration(mq, ids["dr"], activemq_xml([("far", emulator.static_uri(*(endpoint(i, FAR) for i in many)))]))
    partner = long_id(99, width=60)
    apply_configuration(mq, ids["dr2"], activemq_xml([("far", emulator.static_uri(endpoint(partner, FAR)))]))
    boto3.client("config", region_name=emulator.REGION).put_configuration_aggregator(
        ConfigurationAggregatorName="org",
        AccountAggregationSources=[{"AccountIds": [emulator.ACCOUNT_ID], "AllAwsRegions": True}],
    )
    alive = {"accountId": "111122223333", "awsRegion": FAR, "configurationItemStatus": "OK"}
    with ConfigInventory(aggregate={i: alive for i in [*many, partner]}) as inventory:
        found = by_id(run(emulator.scheduled_event(CONNECTORS)))
    aggregate_queries = [q for q in inventory.queries if "resourceId IN" in q]
    assert len(aggregate_queries) >= 2
    assert all(len(q.encode()) <= 4096 for q in aggregate_queries)
    assert found[ids["dr2"]]["ComplianceType"] == "COMPLIANT", found[ids["dr2"]]["Annotation"]
    assert found[ids["dr"]]["ComplianceType"] == "COMPLIANT", found[ids["dr"]]["Annotation"]
