"""Peers beyond the region, the pure part: how a peer is keyed, the fixes for a failed check, and
statuses from brokers a caller listed itself.

The aggregator's query (AWS calls) stays in aws/peer_lookup.py; the decision and the graph need
only what is here, so the core never imports aws/. A peer's status is vocabulary's `PeerStatus`
(`NOT_VERIFIED` when nothing could be established).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from mq_network.core.vocabulary import NOT_VERIFIED, PeerStatus

if TYPE_CHECKING:  # the connector reader stays off name mode's import path
    from mq_network.core.connectors import Peer

Resolver = Callable[[Iterable["Peer"]], Mapping[str, PeerStatus]]

# Error codes that mean the rule's role may not make the call: only these get the permission advice.
_DENIED = ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "NotAuthorized")
_NO_AGGREGATOR = "NoSuchConfigurationAggregatorException"


def peer_key(peer: Peer) -> str:
    return peer.broker_id.lower()


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
