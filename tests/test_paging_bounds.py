"""Issue 18, finding 8: a NextToken that an answer repeats stops the paging and fails the run.

Every paged loop of the rule (ListBrokers, both advanced queries, the stale-result read,
ListConfigurations) and of the remediation (ListBrokers, ListConfigurations) is fed answers whose
token comes round again. Before, each asked forever (here: until the fake gives up at 50 calls).
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from mq_network.aws import aws_calls
from mq_network.aws.aws_calls import RepeatedTokenError
from mq_network_tools.remediate import mesh, mesh_plan

GIVE_UP = 50


class Endless:
    """Answers a paged call with tokens A, B, A, B...: an answer that repeats an earlier token."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body
        self.calls = 0

    def __call__(self, **request: Any) -> dict[str, Any]:
        self.calls += 1
        if self.calls > GIVE_UP:
            raise AssertionError(f"still paging after {GIVE_UP} calls")
        return {**self.body, "NextToken": "AB"[(self.calls - 1) % 2]}


def client(**methods: Callable[..., Any]) -> Any:
    return SimpleNamespace(**methods, meta=SimpleNamespace(events=SimpleNamespace(register=lambda *a, **k: None)))


def test_the_inventory_query_stops_on_a_repeated_token() -> None:
    endless = Endless({"Results": []})
    with pytest.raises(RepeatedTokenError, match="SelectResourceConfig"):
        aws_calls.config_inventory(client(select_resource_config=endless))
    assert endless.calls == 3  # A, B, then A again


def test_the_aggregator_query_stops_on_a_repeated_token() -> None:
    endless = Endless({"Results": []})
    with pytest.raises(RepeatedTokenError, match="SelectAggregateResourceConfig"):
        aws_calls.aggregated_brokers(client(select_aggregate_resource_config=endless), "org", ["b-1"])
    assert endless.calls == 3


def test_earlier_results_stop_on_a_repeated_token() -> None:
    endless = Endless({"EvaluationResults": []})
    fake = client(get_compliance_details_by_config_rule=endless)
    access = aws_calls.AwsAccess("us-east-1", session=SimpleNamespace(client=lambda *a, **k: fake))  # type: ignore[arg-type]
    with pytest.raises(RepeatedTokenError, match="GetComplianceDetailsByConfigRule"):
        access.earlier_results("MQ_NETWORK_OF_BROKERS")
    assert endless.calls == 3


def test_list_brokers_stops_on_a_token_that_comes_round_again() -> None:
    """botocore's paginator (used before) catches a token repeated at once (A, A), not one that comes
    round (A, B, A): with a real client and Stubber, it kept asking until the answers ran out."""
    import boto3
    from botocore.stub import Stubber

    mq = boto3.client("mq", region_name="us-east-1")
    stub = Stubber(mq)
    for n in range(GIVE_UP):
        stub.add_response("list_brokers", {"BrokerSummaries": [], "NextToken": "AB"[n % 2]})
    with stub, pytest.raises(RepeatedTokenError, match="ListBrokers"):
        aws_calls.list_broker_summaries(mq)
    assert len(stub._queue) == GIVE_UP - 3  # A, B, then A again


def test_list_configurations_stops_on_a_repeated_token() -> None:
    endless = Endless({"Configurations": []})
    with pytest.raises(RepeatedTokenError, match="ListConfigurations"):
        aws_calls.latest_revisions(client(list_configurations=endless))
    assert endless.calls == 3


def test_the_remediation_stops_on_a_repeated_token() -> None:
    plan = SimpleNamespace(members=[SimpleNamespace(name="orders-Broker-1")], source_id="b-source")
    brokers = Endless({"BrokerSummaries": []})
    with pytest.raises(mesh_plan.MeshError, match="ListBrokers"):
        mesh.find_members(client(list_brokers=brokers), plan)  # type: ignore[arg-type]
    configurations = Endless({"Configurations": []})
    with pytest.raises(mesh_plan.MeshError, match="ListConfigurations"):
        mesh._mesh_configurations(client(list_configurations=configurations), plan)  # type: ignore[arg-type]
    assert (brokers.calls, configurations.calls) == (3, 3)


def test_a_repeated_token_fails_the_invocation_so_lambda_retries(aws: None, prior: Any) -> None:
    """End to end: not a returned error dict, not a verdict; the handler raises."""
    from helpers import run
    from mq_network_tools.demo import emulator

    endless = Endless({"BrokerSummaries": []})
    original = aws_calls.list_broker_summaries

    def listed(mq_client: Any) -> list[dict[str, Any]]:
        return original(client(list_brokers=endless))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(aws_calls, "list_broker_summaries", listed)
        with pytest.raises(RepeatedTokenError, match="ListBrokers"):
            run(emulator.scheduled_event({}))
