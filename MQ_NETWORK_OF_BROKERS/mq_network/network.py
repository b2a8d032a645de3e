"""The network-of-brokers graph: who is linked to whom, whichever side declared the connector.

Connectors are often one-sided (a hub's duplex connectors reach spokes that declare none), so
membership is a property of the graph, never of one broker's file. Every link counts in both
directions: a duplex connector carries messages both ways, and a one-way connector still means
the two brokers were set up as one network (the README says how to read that).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from .connectors import ConnectorReport


class Unverifiable(NamedTuple):
    """The broker's own configuration could not be read, so its links cannot be known."""

    reason: str


class Membership(NamedTuple):
    """What the graph says about one broker of the run."""

    peers: tuple[str, ...]  # names of the run's brokers linked directly (either side's connector)
    external_peers: tuple[str, ...]  # hosts outside the run's brokers, linked directly
    network_size: int  # brokers in its connected component, external peers included
    malformed: tuple[str, ...]  # its own connectors that name no host
    complete: bool = True  # False: reading stopped once the size was enough (a lower bound)


def memberships(reports: Mapping[str, ConnectorReport], names: Mapping[str, str]) -> dict[str, Membership]:
    """Membership of every broker in `names` (broker ID -> name), from the reports that were read.

    A peer whose broker ID is not among the run's brokers (another region, account, or a host
    outside Amazon MQ) is an external node: it counts towards the size of its network.
    """
    known = {broker_id.lower(): broker_id for broker_id in names}
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
    for broker_id in known.values():
        find(broker_id)
    for broker_id, report in reports.items():
        for connector in report.connectors:
            for peer in connector.peers:
                peer_id = known.get(peer.broker_id.lower())
                if peer_id == broker_id:
                    continue  # a connector to its own standby instance is no network
                if peer_id is None:
                    external[broker_id].add(peer.host)
                    union(broker_id, "external:" + peer.broker_id.lower())
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
        )
        for broker_id in known.values()
    }
