"""The network-of-brokers graph: who is linked to whom, whichever side declared the connector.

Connectors are often one-sided (a hub's duplex connectors reach spokes that declare none), so
membership is a property of the graph, never of one broker's file. Every link counts in both
directions: a duplex connector carries messages both ways, and a one-way connector still means
the two brokers were set up as one network (the README says how to read that).

Links that no real network carries never count, and the annotation says why: a connector to the
broker's own endpoints, to loopback or in-process transports (connectors.py), or to a broker of
the region that serves no client (being deleted, or failed to be created).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from .connectors import ConnectorReport, Peer
from .peers import NOT_VERIFIED, PeerStatus


class Membership(NamedTuple):
    """What the graph says about one broker of the run."""

    peers: tuple[str, ...]  # names of the run's brokers linked directly (either side's connector)
    external_peers: tuple[str, ...]  # hosts outside the run's brokers, linked directly
    network_size: int  # brokers in its connected component, external peers included
    malformed: tuple[str, ...]  # its own connectors that name no host
    complete: bool = True  # False: reading stopped once the size was enough (a lower bound)
    ignored: tuple[str, ...] = ()  # its own links that do not count, each with the reason
    verified_peers: tuple[str, ...] = ()  # external peers confirmed to exist: "b-... (account region)"
    peer_errors: tuple[str, ...] = ()  # why some external peers could not be checked at all


def memberships(
    reports: Mapping[str, ConnectorReport],
    names: Mapping[str, str],
    idle: Mapping[str, tuple[str, str]] | None = None,
    external_status: Mapping[str, PeerStatus] | None = None,
    count_unverified: bool = True,
) -> dict[str, Membership]:
    """Membership of every broker in `names` (broker ID -> name), from the reports that were read.

    `idle` maps the region's brokers that can hold no network (ID -> (name, why): being deleted,
    failed, RabbitMQ): links to them do not count. A peer whose broker ID is neither (another
    region, account, or a host outside Amazon MQ) is an external node. `external_status`
    (peers.py) says which of those were verified to exist (they count, named with their account
    and region), verified gone (they do not), or not verified (they count only when
    `count_unverified`, ExternalPeers=count).
    """
    known = {broker_id.lower(): broker_id for broker_id in names}
    idle_by_id = {broker_id.lower(): found for broker_id, found in (idle or {}).items()}
    parent: dict[str, str] = {}

    def find(node: str) -> str:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    def union(a: str, b: str) -> None:
        parent[find(a)] = find(b)

    neighbours: dict[str, set[str]] = {broker_id: set() for broker_id in known.values()}
    external: dict[str, set[str]] = {broker_id: set() for broker_id in known.values()}
    ignored: dict[str, dict[str, None]] = {broker_id: {} for broker_id in known.values()}
    verified: dict[str, set[str]] = {broker_id: set() for broker_id in known.values()}
    errors: dict[str, set[str]] = {broker_id: set() for broker_id in known.values()}
    statuses = external_status or {}
    for broker_id in known.values():
        find(broker_id)
    for broker_id, report in reports.items():
        if broker_id not in neighbours:
            continue
        for connector in report.connectors:
            for skipped in connector.ignored:
                ignored[broker_id][f"{connector.name} -> {skipped.host}: {skipped.reason}"] = None  # ordered set
            for peer in connector.peers:
                key = peer.broker_id.lower()
                peer_id = known.get(key)
                if key == broker_id.lower():
                    ignored[broker_id][f"{connector.name} -> {peer.host}: the broker's own endpoint"] = None
                elif key in idle_by_id:
                    name, why = idle_by_id[key]
                    ignored[broker_id][f"{connector.name} -> {name} ({why})"] = None
                elif peer_id is None:
                    kind, text = _external(statuses.get(key, NOT_VERIFIED), peer, connector.name, count_unverified)
                    if kind == "ignored":
                        ignored[broker_id][text] = None
                    else:
                        {"verified": verified, "external": external, "error": errors}[kind][broker_id].add(text)
                    if kind in ("verified", "external"):
                        union(broker_id, "external:" + key)
                else:
                    neighbours[broker_id].add(peer_id)
                    neighbours[peer_id].add(broker_id)
                    union(broker_id, peer_id)
    sizes: dict[str, int] = {}
    for node in list(parent):
        root = find(node)
        sizes[root] = sizes.get(root, 0) + 1
    return {
        broker_id: Membership(
            peers=tuple(sorted(names[peer] for peer in neighbours[broker_id])),
            external_peers=tuple(sorted(external[broker_id])),
            network_size=sizes[find(broker_id)],
            malformed=reports[broker_id].malformed if broker_id in reports else (),
            ignored=tuple(ignored[broker_id]),
            verified_peers=tuple(sorted(verified[broker_id])),
            peer_errors=tuple(sorted(errors[broker_id])),
        )
        for broker_id in known.values()
    }


def _external(status: PeerStatus, peer: Peer, connector: str, count_unverified: bool) -> tuple[str, str]:
    """How one peer outside the region's brokers counts: (verified|external|ignored|error, text)."""
    if status.exists:
        return "verified", f"{peer.broker_id} ({status.detail})"
    if status.exists is False:
        return "ignored", f"{connector} -> {peer.broker_id}: {status.detail}"
    if status.failed:
        return "error", status.detail
    if count_unverified:
        return "external", peer.host
    why = f" ({status.detail})" if status.detail else ""
    return "ignored", f"{connector} -> {peer.broker_id}: not verified, ExternalPeers=ignore{why}"
