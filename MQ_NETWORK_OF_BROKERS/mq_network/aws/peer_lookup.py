"""Peers beyond the region: whether a connector's far end is a broker that exists.

A connector to another region or account names a host; on the strength of that name alone the
broker may be long gone. With an AWS Config aggregator (rule parameter AggregatorName) the rule
asks, once per run for all of them, what the aggregator records of each peer: a broker it
records as current counts (named with its account and region), one it records as deleted does
not, and one it does not record counts only as "external, not verified" (ExternalPeers) unless the
aggregator covers the whole organization in the peer's region, where it does not exist.

The pure part (keys, fix advice, statuses from listed brokers) is core/external_peers.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from mq_network.core.external_peers import Resolver, peer_key
from mq_network.core.vocabulary import CURRENT_STATUSES, PeerStatus

if TYPE_CHECKING:  # the connector reader stays off name mode's import path
    from mq_network.core.connectors import Peer

# Only IDs shaped like Amazon MQ's go into a query: a peer ID comes from configuration XML.
BROKER_ID = re.compile(r"[a-z0-9][a-z0-9-]{2,63}", re.ASCII)  # b-<uuid> on AWS; no quote can pass


def aggregator_resolver(config_client: Any, aggregator: str) -> Resolver:
    """Statuses from the aggregator, asked once for every peer not yet known (cached for the run).

    The peers are asked in as many queries as their IDs need (aws_calls.aggregate_queries keeps each
    expression under AWS Config's 4,096 characters). A query that fails makes only its own peers
    "could not be verified", with the call and the error code; the other queries' peers are judged.
    """
    from botocore.exceptions import ClientError

    from mq_network.aws import aws_calls

    known: dict[str, PeerStatus] = {}
    sources: list[Mapping[str, Any] | PeerStatus] = []  # the aggregator's definition, once read (or its failure)

    def definition() -> Mapping[str, Any] | PeerStatus:
        if not sources:
            try:
                sources.append(aws_calls.aggregator_sources(config_client, aggregator))
            except ClientError as err:
                sources.append(_failure(aggregator, "DescribeConfigurationAggregators", aws_calls.error_code(err)))
        return sources[0]

    def resolve(peers: Iterable[Peer]) -> Mapping[str, PeerStatus]:
        wanted = {peer_key(p): p for p in peers if peer_key(p) not in known}
        queried = sorted(k for k, p in wanted.items() if p.region and BROKER_ID.fullmatch(k))
        for key in set(wanted) - set(queried):
            known[key] = PeerStatus(None, "not an Amazon MQ endpoint")
        for chunk, expression in aws_calls.aggregate_queries(queried):
            try:
                rows = aws_calls.aggregated_query(config_client, aggregator, expression)
            except ClientError as err:
                failure = _failure(aggregator, "SelectAggregateResourceConfig", aws_calls.error_code(err))
                known.update(dict.fromkeys(chunk, failure))
                continue
            by_id = {str(row.get("resourceId", "")).lower(): row for row in rows}
            for key in chunk:
                row = by_id.get(key)
                covers = definition() if row is None else {}
                known[key] = covers if isinstance(covers, PeerStatus) else _status(row, wanted[key], aggregator, covers)
        return known

    return resolve


def _failure(aggregator: str, operation: str, code: str) -> PeerStatus:
    return PeerStatus(None, f"aggregator {aggregator}: {operation} failed ({code})", True)


def _status(row: Mapping[str, Any] | None, peer: Peer, aggregator: str, sources: Mapping[str, Any]) -> PeerStatus:
    if row is not None:
        where = f"{row.get('accountId', '?')} {row.get('awsRegion', '?')}"
        if row.get("configurationItemStatus") in CURRENT_STATUSES:
            return PeerStatus(True, where)
        return PeerStatus(False, f"deleted ({row.get('configurationItemStatus')}) in {where}, per {aggregator}")
    organization = sources.get("OrganizationAggregationSource") or {}
    if organization and (organization.get("AllAwsRegions") or peer.region in (organization.get("AwsRegions") or [])):
        return PeerStatus(False, f"no such broker in the organization's {peer.region}, per {aggregator}")
    return PeerStatus(None, f"not recorded by {aggregator}")
