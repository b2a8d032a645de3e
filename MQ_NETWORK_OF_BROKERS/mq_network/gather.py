"""Assembling what a run needs from AWS: the brokers, and for connector checks, their network.

Every read here is one the parameters require, and no more: DescribeBroker only where connectors
are checked, each configuration revision once per run, tags only for a scope.

Failure has one rule. A read that concerns one broker (its description, its tags, its
configuration) and fails after botocore's retries makes that broker `Unreadable`: the decision
says "could not be verified" for it alone, and the others are still judged. A read that concerns
the whole region (ListBrokers), or a failure to reach AWS at all, raises: the invocation fails and
Lambda retries it, rather than judge a region it could not see.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from botocore.exceptions import ClientError

from . import mq_api
from .connectors import ConfigurationError, ConnectorReport, decode_revision, parse_connectors
from .facts import IDLE_STATES, BrokerFacts, ConfigurationRef, NotRead, Unreadable, from_description, from_summary
from .network import Membership, memberships
from .parameters import RuleParameters

Evidence = Membership | Unreadable


def gather_brokers(mq_client: Any, params: RuleParameters) -> list[BrokerFacts]:
    """Facts for every broker in the region.

    Name checks need ListBrokers only (one call per 100 brokers). Connector checks add one
    DescribeBroker per ActiveMQ broker, which also carries the tags a scope needs.
    """
    brokers = []
    for summary in mq_api.list_broker_summaries(mq_client):
        listed = from_summary(summary)
        found: BrokerFacts | None = listed
        if params.checks_connectors and listed.can_be_networked:
            found = _described(mq_client, listed)
            if found is not None and params.needs_tags and isinstance(found.tags, Unreadable):
                found = _tagged(mq_client, found)  # DescribeBroker failed: the scope may still be known
        elif params.needs_tags:
            found = _tagged(mq_client, listed)
        if found is not None:  # None: deleted since it was listed; the stale clean-up retires it
            brokers.append(found)
    return brokers


def _described(mq_client: Any, facts: BrokerFacts) -> BrokerFacts | None:
    """The broker as DescribeBroker tells it; None when it vanished since it was listed."""
    try:
        description = mq_api.describe_broker(mq_client, facts.broker_id)
    except ClientError as err:
        reason = Unreadable(f"DescribeBroker failed ({mq_api.error_code(err) or 'no error code'})")
        # What ListBrokers said stands; the configuration and the tags cannot be known.
        return facts._replace(configuration=reason, tags=reason)
    return None if description is None else from_description(description, facts)


def _tagged(mq_client: Any, facts: BrokerFacts) -> BrokerFacts | None:
    if not facts.arn:
        return facts._replace(tags=Unreadable("ListBrokers gave no BrokerArn, so its tags cannot be read"))
    try:
        tags = mq_api.broker_tags(mq_client, facts.arn)
    except ClientError as err:
        return facts._replace(tags=Unreadable(f"ListTags failed ({mq_api.error_code(err) or 'no error code'})"))
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
    everyone = list(brokers)
    members = [b for b in everyone if b.can_be_networked]
    names = {b.broker_id: b.label for b in members}
    idle = {b.broker_id: (b.label, _why_idle(b)) for b in everyone if not b.can_be_networked}
    ordered = sorted(members, key=lambda b: b.broker_id != focus)
    reports: dict[str, ConnectorReport] = {}
    unreadable: dict[str, Unreadable] = {}
    revisions: dict[ConfigurationRef, ConnectorReport | Unreadable] = {}
    for position, broker in enumerate(ordered, start=1):
        outcome = _connectors_of(mq_client, broker, revisions)
        if isinstance(outcome, Unreadable):
            unreadable[broker.broker_id] = outcome
        else:
            reports[broker.broker_id] = outcome
        if focus is not None and focus in reports and position < len(ordered):
            found = memberships(reports, names, idle)[focus]
            if found.network_size >= minimum_size:
                return {focus: found._replace(complete=False)}
    graph: dict[str, Evidence] = dict(memberships(reports, names, idle))
    graph.update(unreadable)
    return {focus: graph[focus]} if focus is not None and focus in graph else graph


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
    where = f"configuration {configuration.configuration_id} revision {configuration.revision}"
    try:
        data = mq_api.configuration_revision_data(mq_client, *configuration)
    except ClientError as err:
        code = mq_api.error_code(err) or "no error code"
        if code in ("NotFoundException", "NotFound"):
            return Unreadable(f"{where} was not found")
        return Unreadable(f"reading {where} failed ({code})")
    try:
        return parse_connectors(decode_revision(data))
    except ConfigurationError as err:
        return Unreadable(f"{where}: {err}")
