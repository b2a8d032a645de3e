"""Assembling what a run needs from AWS: the brokers, and for connector checks, their network.

Every read here is one the parameters require, and no more: DescribeBroker only where connectors
are checked, each configuration revision once per run, tags only for a scope.

AWS Config's record of a broker stands in for DescribeBroker only once ListConfigurations confirms
it: with periodic recording the record can be a day old, and a broker moved to a newer revision
would be judged on the old one. A broker whose configuration has a revision newer than the one
recorded (or whose configuration is not listed) is described; if ListConfigurations fails, every
broker is (fail closed: DescribeBroker tells what the broker runs now).

Failure has one rule. A read that concerns one broker (its description, its tags, its
configuration) and fails after botocore's retries makes that broker `Unreadable`: the decision
says "could not be verified" for it alone, and the others are still judged. A read that concerns
the whole region (ListBrokers), or a failure to reach AWS at all, raises: the invocation fails and
Lambda retries it, rather than judge a region it could not see.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from mq_network.aws import aws_calls
from mq_network.core.facts import (
    IDLE_STATES,
    BrokerFacts,
    ConfigurationRef,
    from_description,
    from_inventory,
    from_summary,
)
from mq_network.core.parameters import RuleParameters
from mq_network.core.vocabulary import NotRead, PeerStatus, Unreadable

if TYPE_CHECKING:  # the connector reader and graph load with the first network read, never in name mode
    from mq_network.core.connectors import ConnectorReport
    from mq_network.core.external_peers import Resolver
    from mq_network.core.network import Evidence


# States in which a broker's configuration may be changing under AWS Config's record of it.
_CHANGING = ("CREATION_IN_PROGRESS", "REBOOT_IN_PROGRESS", "CRITICAL_ACTION_REQUIRED")


def gather_brokers(
    mq_client: Any,
    params: RuleParameters,
    config_client: Any = None,
    notes: list[str] | None = None,
    summaries: list[dict[str, Any]] | None = None,
    counts: Counter[str] | None = None,
) -> list[BrokerFacts]:
    """Facts for every broker in the region.

    Name checks need ListBrokers only (one call per 100 brokers). Connector checks need each
    ActiveMQ broker's current configuration and tags: from AWS Config's inventory (one advanced
    query per 100 brokers, checked against ListConfigurations, one call per 100 configurations)
    when `config_client` is given and Config's record is current, else from DescribeBroker, one
    call per broker. `summaries`: ListBrokers' answer, when the caller has it. `counts` (the run
    record's) gets `record_behind`: brokers described because their configuration has a newer
    revision than AWS Config recorded, or because that could not be checked.
    """
    notes = notes if notes is not None else []
    listed = [from_summary(summary) for summary in (summaries or aws_calls.list_broker_summaries(mq_client))]
    recorded = _inventory(config_client, listed, notes) if params.checks_connectors else {}
    from_record: dict[str, BrokerFacts] = {}
    for facts in listed:
        row = recorded.get(facts.broker_id)
        if row is not None and facts.can_be_networked and facts.state not in _CHANGING:
            found_in_record = from_inventory(row, facts)
            if found_in_record is not None:
                from_record[facts.broker_id] = found_in_record
    behind = _behind(mq_client, from_record, notes)
    if counts is not None and behind:
        counts["record_behind"] += len(behind)
    brokers = []
    for facts in listed:
        found: BrokerFacts | None = facts
        if params.checks_connectors and facts.can_be_networked:
            found = from_record.get(facts.broker_id) if facts.broker_id not in behind else None
            if found is None:
                found = _described(mq_client, facts)  # not recorded, recorded oddly, or changing
            if found is not None and params.needs_tags and isinstance(found.tags, Unreadable):
                found = _tagged(mq_client, found)  # DescribeBroker failed: the scope may still be known
        elif params.needs_tags:
            found = _tagged(mq_client, facts)
        if found is not None:  # None: deleted since it was listed; the stale clean-up retires it
            brokers.append(found)
    return brokers


def _inventory(config_client: Any, listed: list[BrokerFacts], notes: list[str]) -> dict[str, dict[str, Any]]:
    """AWS Config's records of the region's brokers, by ID; {} (and a note) when there are none."""
    if config_client is None or not any(b.can_be_networked for b in listed):
        return {}
    try:
        rows = aws_calls.config_inventory(config_client)
    except ClientError as err:
        notes.append(
            f"AWS Config's inventory could not be read ({aws_calls.error_code(err)}): "
            "every broker was read with DescribeBroker"
        )
        return {}
    by_id = {row["resourceId"]: row for row in rows if isinstance(row.get("resourceId"), str)}
    if not by_id:
        notes.append("AWS Config records no Amazon MQ broker in this region: every broker was read with DescribeBroker")
    return by_id


def _behind(mq_client: Any, from_record: Mapping[str, BrokerFacts], notes: list[str]) -> set[str]:
    """The brokers whose record ListConfigurations does not confirm: their configuration has a newer
    revision than AWS Config recorded, or is not listed, or ListConfigurations failed (all of them)."""
    if not from_record:
        return set()
    try:
        latest = aws_calls.latest_revisions(mq_client)
    except ClientError as err:
        notes.append(
            f"ListConfigurations failed ({aws_calls.error_code(err)}), so AWS Config's record could not be checked "
            "against the latest revisions: every broker was read with DescribeBroker"
        )
        return set(from_record)
    behind = set()
    for broker_id, facts in from_record.items():
        configuration = facts.configuration
        if not isinstance(configuration, ConfigurationRef) or latest.get(configuration.configuration_id) != (
            configuration.revision
        ):
            behind.add(broker_id)
    if behind:
        notes.append(
            f"{len(behind)} broker(s) have a configuration with a newer revision than AWS Config recorded "
            "(or one ListConfigurations does not list): read with DescribeBroker"
        )
    return behind


def _described(mq_client: Any, facts: BrokerFacts) -> BrokerFacts | None:
    """The broker as DescribeBroker tells it; None when it vanished since it was listed."""
    try:
        description = aws_calls.describe_broker(mq_client, facts.broker_id)
    except ClientError as err:
        reason = Unreadable(f"DescribeBroker failed ({aws_calls.error_code(err)})")
        # What ListBrokers said stands; the configuration and the tags cannot be known.
        return facts._replace(configuration=reason, tags=reason)
    return None if description is None else from_description(description, facts)


def _tagged(mq_client: Any, facts: BrokerFacts) -> BrokerFacts | None:
    if not facts.arn:
        return facts._replace(tags=Unreadable("ListBrokers gave no BrokerArn, so its tags cannot be read"))
    try:
        tags = aws_calls.broker_tags(mq_client, facts.arn)
    except ClientError as err:
        return facts._replace(tags=Unreadable(f"ListTags failed ({aws_calls.error_code(err)})"))
    return None if tags is None else facts._replace(tags=tags)


def network_evidence(
    mq_client: Any,
    brokers: Iterable[BrokerFacts],
    focus: str | None = None,
    minimum_size: int = 2,
    resolver: Resolver | None = None,
    count_unverified: bool = True,
) -> dict[str, Evidence]:
    """What the network graph says of each broker (or, with `focus`, of that one broker).

    Reads each distinct configuration revision once. With `focus`, reads the focus broker first
    and stops once its network is known to be large enough (looked at after 1, 2, 4, 8... reads):
    the answer is then marked incomplete, a lower bound that more reading could only raise. `resolver` (peers.py) says
    which peers outside the region exist; without it none is verified.
    """
    from mq_network.core.network import memberships

    everyone = list(brokers)
    region = mq_client.meta.region_name  # a peer is one of these brokers only at an endpoint of this region
    members = [b for b in everyone if b.can_be_networked]
    names = {b.broker_id: b.label for b in members}
    idle = {b.broker_id: (b.label, _why_idle(b)) for b in everyone if not b.can_be_networked}
    ordered = sorted(members, key=lambda b: b.broker_id != focus)
    reports: dict[str, ConnectorReport] = {}
    unreadable: dict[str, Unreadable] = {}
    revisions: dict[ConfigurationRef, ConnectorReport | Unreadable] = {}
    look = 1  # with a focus, its network is looked at after 1, 2, 4, 8... reads: a few searches, not one per read
    for position, broker in enumerate(ordered, start=1):
        outcome = _connectors_of(mq_client, broker, revisions)
        if isinstance(outcome, Unreadable):
            unreadable[broker.broker_id] = outcome
        else:
            reports[broker.broker_id] = outcome
        if focus is not None and focus in reports and position == look and position < len(ordered):
            look *= 2
            statuses = _statuses(reports, names, idle, resolver)
            found = memberships(reports, names, idle, statuses, count_unverified, region, only=focus)[focus]
            if found.network_size >= minimum_size:
                return {focus: found._replace(complete=False)}
    statuses = _statuses(reports, names, idle, resolver)
    graph: dict[str, Evidence] = dict(memberships(reports, names, idle, statuses, count_unverified, region))
    graph.update(unreadable)
    return {focus: graph[focus]} if focus is not None and focus in graph else graph


def _statuses(
    reports: Mapping[str, ConnectorReport],
    names: Mapping[str, str],
    idle: Mapping[str, Any],
    resolver: Resolver | None,
) -> Mapping[str, PeerStatus]:
    """The resolver's word on every peer outside the region's brokers (one batch for all of them)."""
    if resolver is None:
        return {}
    from mq_network.core.external_peers import peer_key

    local = {broker_id.lower() for broker_id in [*names, *idle]}
    outside = [
        peer
        for report in reports.values()
        for connector in report.connectors
        for peer in connector.peers
        if peer_key(peer) not in local
    ]
    return resolver(outside) if outside else {}


def _why_idle(broker: BrokerFacts) -> str:
    if broker.state in IDLE_STATES:
        return f"{broker.state}, serves no client"
    return f"{broker.engine_type}, no network of brokers"


def _connectors_of(
    mq_client: Any,
    broker: BrokerFacts,
    revisions: dict[ConfigurationRef, ConnectorReport | Unreadable],
) -> ConnectorReport | Unreadable:
    if isinstance(broker.configuration, NotRead):
        # Known from ListBrokers or a configuration item without one: describe it now.
        broker = _described(mq_client, broker) or broker._replace(
            configuration=Unreadable("it was deleted while the rule ran")
        )
    configuration = broker.configuration
    if isinstance(configuration, Unreadable):
        return configuration
    if isinstance(configuration, NotRead):
        return Unreadable("its configuration was not read")
    if configuration not in revisions:
        revisions[configuration] = _read_revision(mq_client, configuration)
    return revisions[configuration]


def _read_revision(mq_client: Any, configuration: ConfigurationRef) -> ConnectorReport | Unreadable:
    from mq_network.core.connectors import ConfigurationError, decode_revision, parse_connectors

    where = f"configuration {configuration.configuration_id} revision {configuration.revision}"
    try:
        data = aws_calls.configuration_revision_data(mq_client, *configuration)
    except ClientError as err:
        code = aws_calls.error_code(err)
        if code in ("NotFoundException", "NotFound"):
            return Unreadable(f"{where} was not found")
        return Unreadable(f"reading {where} failed ({code})")
    try:
        return parse_connectors(decode_revision(data))
    except ConfigurationError as err:
        return Unreadable(f"{where}: {err}")
