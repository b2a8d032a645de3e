"""One region's verdicts, or one changed broker's: gathering wired to the decision.

The Lambda and the command-line tools both call these, so a broker is judged the same way
whoever asks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from mq_network.aws import aws_calls
from mq_network.aws.broker_reads import gather_brokers, network_evidence
from mq_network.core.decision import Verdict, decide, needs_network, not_evaluated
from mq_network.core.facts import BrokerFacts, from_configuration_item, from_summary
from mq_network.core.parameters import RuleParameters

if TYPE_CHECKING:
    from mq_network.core.external_peers import Resolver
    from mq_network.core.network import Evidence


def evaluate_region(
    mq_client: Any,
    params: RuleParameters,
    config_client: Any = None,
    notes: list[str] | None = None,
    summaries: list[dict[str, Any]] | None = None,
    resolver: Resolver | None = None,
    counts: Counter[str] | None = None,
) -> list[tuple[BrokerFacts, Verdict, Evidence | None]]:
    """Every broker the client's region holds, with its verdict and its network evidence (pictures).

    `config_client`: AWS Config in the same account and region, whose inventory spares one
    DescribeBroker per broker in connectors modes. `resolver`: who says whether peers beyond the
    region exist (an aggregator, or the audit's own reading of other regions). `counts`: the run
    record's tallies (gather.gather_brokers).
    """
    brokers = gather_brokers(mq_client, params, config_client, notes, summaries, counts)
    evidence = (
        network_evidence(mq_client, brokers, resolver=resolver, count_unverified=params.count_unverified_peers)
        if params.checks_connectors
        else {}
    )
    return [(b, decide(b, params, evidence.get(b.broker_id)), evidence.get(b.broker_id)) for b in brokers]


def evaluate_item(
    item: Mapping[str, Any],
    params: RuleParameters,
    mq_client: Callable[[], Any],
    resolver: Resolver | None = None,
    left_scope: bool = False,
) -> Verdict:
    """The verdict on the broker a configuration item describes.

    An item that is gone, left the scope (`left_scope`: the event's eventLeftScope) or is no broker
    is settled by its status and type alone. Name checks need nothing beyond the item. Connector
    checks need the neighbours: the region's broker list, then only as many configurations as it
    takes to settle the verdict.
    """
    label = item.get("resourceName") or item["resourceId"]
    settled = not_evaluated(item.get("configurationItemStatus"), item.get("resourceType"), left_scope, label)
    if settled is not None:
        return settled
    broker = from_configuration_item(item)
    if not needs_network(broker, params):
        return decide(broker, params)
    client = mq_client()
    listed = (from_summary(summary) for summary in aws_calls.list_broker_summaries(client))
    others = [other for other in listed if other.broker_id != broker.broker_id]
    evidence = network_evidence(
        client,
        [broker, *others],
        focus=broker.broker_id,
        minimum_size=params.minimum_network_size,
        resolver=resolver,
        count_unverified=params.count_unverified_peers,
    )
    return decide(broker, params, evidence[broker.broker_id])
