"""Peers beyond the region: whether a connector's far end is a broker that exists.

A connector to another region or account names a host; on the strength of that name alone the
broker may be long gone. With an AWS Config aggregator (rule parameter AggregatorName) the rule
asks, once per run for all of them, what the aggregator records of each peer: a broker it
records as current counts (named with its account and region), one it records as deleted does
not, and one it does not record counts only as "external, not verified" (ExternalPeers) unless the
aggregator covers the whole organization in the peer's region, where it does not exist.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:  # the connector reader stays off name mode's import path
    from mq_network.core.connectors import Peer

# Only IDs shaped like Amazon MQ's go into a query: a peer ID comes from configuration XML.
BROKER_ID = re.compile(r"[a-z0-9][a-z0-9-]{2,63}", re.ASCII)  # b-<uuid> on AWS; no quote can pass
_CURRENT = ("OK", "ResourceDiscovered")


class PeerStatus(NamedTuple):
    """What the rule could establish about one external peer."""

    exists: bool | None  # True: verified; False: verified gone; None: not verified
    detail: str  # where it is ("111122223333 us-west-2"), why it is gone, or why it is unknown
    failed: bool = False  # the check itself failed (AccessDenied...): the peer neither counts nor passes


NOT_VERIFIED = PeerStatus(None, "")
Resolver = Callable[[Iterable["Peer"]], Mapping[str, PeerStatus]]


def peer_key(peer: Peer) -> str:
    return peer.broker_id.lower()


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


# Error codes that mean the rule's role may not make the call: only these get the permission advice.
_DENIED = ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "NotAuthorized")
_NO_AGGREGATOR = "NoSuchConfigurationAggregatorException"


def _failure(aggregator: str, operation: str, code: str) -> PeerStatus:
    return PeerStatus(None, f"aggregator {aggregator}: {operation} failed ({code})", True)


def failure_advice(errors: Iterable[str]) -> tuple[str, ...]:
    """Fixes (longest first) for peers whose check failed, by the error codes the failures name:
    a permission fix only for an error about permissions."""
    text = " ".join(errors)
    if any(f"({code})" in text for code in _DENIED):
        return (
            " Fix: let the rule's role call config:SelectAggregateResourceConfig and "
            "config:DescribeConfigurationAggregators.",
            " Fix: grant config:SelectAggregateResourceConfig.",
        )
    if f"({_NO_AGGREGATOR})" in text:
        return (
            " Fix: set AggregatorName to an aggregator in the rule's own account and region.",
            " Fix: check AggregatorName.",
        )
    return (
        " Fix: run the rule again; if the same error persists, report it with its error code.",
        " Fix: run the rule again.",
    )


def listed_resolver(brokers: Mapping[str, tuple[str, str, str | None]], fallback: Resolver | None = None) -> Resolver:
    """Statuses from brokers the caller listed itself (the audit's other regions and accounts):
    broker ID -> (account, region, state); the rest from `fallback`, or not verified."""
    from mq_network.core.facts import IDLE_STATES

    def resolve(peers: Iterable[Peer]) -> Mapping[str, PeerStatus]:
        found: dict[str, PeerStatus] = {}
        rest = []
        for peer in peers:
            key = peer_key(peer)
            if key in brokers:
                account, region, state = brokers[key]
                found[key] = (
                    PeerStatus(False, f"{state} in {account} {region}")
                    if state in IDLE_STATES
                    else PeerStatus(True, f"{account} {region}")
                )
            else:
                rest.append(peer)
        if rest and fallback is not None:
            resolved = fallback(rest)
            found.update({peer_key(p): resolved.get(peer_key(p), NOT_VERIFIED) for p in rest})
        return found

    return resolve


def _status(row: Mapping[str, Any] | None, peer: Peer, aggregator: str, sources: Mapping[str, Any]) -> PeerStatus:
    if row is not None:
        where = f"{row.get('accountId', '?')} {row.get('awsRegion', '?')}"
        if row.get("configurationItemStatus") in _CURRENT:
            return PeerStatus(True, where)
        return PeerStatus(False, f"deleted ({row.get('configurationItemStatus')}) in {where}, per {aggregator}")
    organization = sources.get("OrganizationAggregationSource") or {}
    if organization and (organization.get("AllAwsRegions") or peer.region in (organization.get("AwsRegions") or [])):
        return PeerStatus(False, f"no such broker in the organization's {peer.region}, per {aggregator}")
    return PeerStatus(None, f"not recorded by {aggregator}")
