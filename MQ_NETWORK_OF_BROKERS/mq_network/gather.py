"""Assembling what a run needs from AWS: the brokers, and for connector checks, their network.

Every read here is one the parameters require, and no more: DescribeBroker only where connectors
are checked, each configuration revision once per run, tags only for a scope.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from botocore.exceptions import ClientError

from . import mq_api
from .connectors import ConfigurationError, ConnectorReport, decode_revision, parse_connectors
from .facts import BrokerFacts, from_description, from_summary
from .network import Membership, Unverifiable, memberships
from .parameters import RuleParameters

Evidence = Membership | Unverifiable


def gather_brokers(mq_client: Any, params: RuleParameters) -> list[BrokerFacts]:
    """Facts for every broker in the region.

    Name checks need ListBrokers only (one call per 100 brokers). Connector checks add one
    DescribeBroker per ActiveMQ broker, which also carries the tags a scope needs.
    """
    brokers = []
    for summary in mq_api.list_broker_summaries(mq_client):
        facts = from_summary(summary)
        found: BrokerFacts | None = facts
        if params.checks_connectors and facts.can_be_networked:
            found = _described(mq_client, facts, params.needs_tags)
        elif params.needs_tags:
            found = _tagged(mq_client, facts)
        if found is not None:  # None: deleted since it was listed; the stale clean-up retires it
            brokers.append(found)
    return brokers


def _described(mq_client: Any, facts: BrokerFacts, needs_tags: bool) -> BrokerFacts | None:
    try:
        description = mq_api.describe_broker(mq_client, facts.broker_id)
    except ClientError as err:
        if not _denied(err):
            raise
        # Unreadable: keep what ListBrokers said, and why the network cannot be known.
        facts = facts._replace(configuration_error=f"access denied to DescribeBroker ({mq_api.error_code(err)})")
        return _tagged(mq_client, facts) if needs_tags else facts
    return None if description is None else from_description(description)


def _tagged(mq_client: Any, facts: BrokerFacts) -> BrokerFacts | None:
    if not facts.arn:
        raise ValueError(
            f"ListBrokers returned broker {facts.broker_id} without a BrokerArn; its tags cannot be "
            "read for ScopeTagKey"
        )
    tags = mq_api.broker_tags(mq_client, facts.arn)
    return None if tags is None else facts._replace(tags=tags)


def network_evidence(
    mq_client: Any,
    brokers: Iterable[BrokerFacts],
    focus: str | None = None,
    minimum_size: int = 2,
) -> dict[str, Evidence]:
    """What the network graph says of each broker (or, with `focus`, of that one broker).

    Reads each distinct configuration revision once. With `focus`, reads the focus broker first
    and stops as soon as its network is known to be large enough: the answer is then marked
    incomplete, a lower bound that more reading could only raise.
    """
    members = [b for b in brokers if b.can_be_networked]
    names = {b.broker_id: b.name for b in members}
    ordered = sorted(members, key=lambda b: b.broker_id != focus)
    reports: dict[str, ConnectorReport] = {}
    unreadable: dict[str, Unverifiable] = {}
    revisions: dict[tuple[str, str], ConnectorReport | Unverifiable] = {}
    for position, broker in enumerate(ordered, start=1):
        outcome = _connectors_of(mq_client, broker, revisions)
        if isinstance(outcome, Unverifiable):
            unreadable[broker.broker_id] = outcome
        else:
            reports[broker.broker_id] = outcome
        if focus is not None and focus in reports and position < len(ordered):
            found = memberships(reports, names)[focus]
            if found.network_size >= minimum_size:
                return {focus: found._replace(complete=False)}
    graph: dict[str, Evidence] = dict(memberships(reports, names))
    graph.update(unreadable)
    return {focus: graph[focus]} if focus is not None and focus in graph else graph


def _connectors_of(
    mq_client: Any,
    broker: BrokerFacts,
    revisions: dict[tuple[str, str], ConnectorReport | Unverifiable],
) -> ConnectorReport | Unverifiable:
    if broker.configuration is None and broker.configuration_error is None:
        # Known from ListBrokers only (a change event's neighbours): describe it now.
        broker = _described(mq_client, broker, needs_tags=False) or broker._replace(
            configuration_error="it was deleted while the rule ran"
        )
    if broker.configuration_error is not None:
        return Unverifiable(broker.configuration_error)
    configuration = broker.configuration
    assert configuration is not None
    if configuration not in revisions:
        revisions[configuration] = _read_revision(mq_client, *configuration)
    return revisions[configuration]


def _read_revision(mq_client: Any, configuration_id: str, revision: str) -> ConnectorReport | Unverifiable:
    where = f"configuration {configuration_id} revision {revision}"
    try:
        data = mq_api.configuration_revision_data(mq_client, configuration_id, revision)
    except ClientError as err:
        code = mq_api.error_code(err)
        if _denied(err):
            return Unverifiable(f"access denied reading {where} ({code})")
        if code in ("NotFoundException", "NotFound"):
            return Unverifiable(f"{where} was not found")
        raise
    try:
        return parse_connectors(decode_revision(data))
    except ConfigurationError as err:
        return Unverifiable(f"{where}: {err}")


def _denied(err: ClientError) -> bool:
    code = mq_api.error_code(err)
    return any(word in code for word in ("AccessDenied", "Forbidden", "Unauthorized"))
