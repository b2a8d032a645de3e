"""The network-of-brokers graph: who is linked to whom, whichever side declared the connector.

Connectors are often one-sided (a hub's duplex connectors reach spokes that declare none), so
membership is a property of the graph, never of one broker's file. A bridge carries messages from
the broker that declares it to its peer, and back when it is duplex; a broker's network is itself
and every broker messages can cross to or from it, within the bridges' hop limits (networkTTL,
messageTTL, consumerTTL). A one-way link (duplex="false", or a duplex failover: URI that loses the
way back once its peer fails over) still makes both brokers members, as real ActiveMQ carries
messages along it (the developer guide's concentrator topology is built that way); the annotation
names it, so that an owner who wants both directions sees which link gives only one.

Links that no real network carries never count, and the annotation says why: a connector to the
broker's own endpoints, to loopback or in-process transports (connectors.py), or to a broker of
the region that serves no client (being deleted, or failed to be created).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import TYPE_CHECKING, NamedTuple

from mq_network.core.vocabulary import NOT_VERIFIED, PeerStatus, Unreadable

if TYPE_CHECKING:  # the graph takes the reader's results; reading connectors is the caller's import
    from mq_network.core.connectors import Connector, ConnectorReport, Peer

_UNLIMITED = 1 << 30  # a negative TTL: ActiveMQ sets no hop limit


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
    links: tuple[Link, ...] = ()  # every direct bridge, for pictures of the network (audit --output html)
    one_way: tuple[str, ...] = ()  # its direct links that carry messages one way only, each with the reason


class Link(NamedTuple):
    """One direct bridge of a broker, as a picture shows it."""

    node: str  # the peer's broker ID, or "external:<id or host>"
    label: str  # its name, host, or "b-... (account region)"
    direction: str  # "both", "out" (this broker forwards to it only) or "in"
    kind: str = "broker"  # "broker" (of the run), "verified" (outside it, known to exist) or "external"


# What the rule knows of a broker's network after deployment: the graph's word on it, or why the
# broker's connectors could not be read.
Evidence = Membership | Unreadable


def memberships(
    reports: Mapping[str, ConnectorReport],
    names: Mapping[str, str],
    idle: Mapping[str, tuple[str, str]] | None = None,
    external_status: Mapping[str, PeerStatus] | None = None,
    count_unverified: bool = True,
    region: str | None = None,
    only: str | None = None,
) -> dict[str, Membership]:
    """Membership of every broker in `names` (broker ID -> name), from the reports that were read
    (with `only`, of that one broker: a change event's early look costs one broker's search).

    A broker's network is itself and the brokers messages can cross to or from it, as real
    ActiveMQ forwards them (tests/activemq checks this against the engine): each connector is a
    bridge from its broker to each peer, and back only when duplex (and not a failover: URI that
    loses the way back after a failover); a message crosses at most the bridge's TTL hops
    (networkTTL, 1 by default, so two spokes of a hub are not each other's network unless the
    hub's connectors say networkTTL="2"; -1 is no limit).

    `idle` maps the region's brokers that can hold no network (ID -> (name, why): being deleted,
    failed, RabbitMQ): links to them do not count. A peer whose broker ID is neither (another
    region, account, or a host outside Amazon MQ) is an external node. `external_status`
    (peers.py) says which of those were verified to exist (they count, named with their account
    and region), verified gone (they do not), or not verified (they count only when
    `count_unverified`, ExternalPeers=count).

    A peer is one of `names` only when its host is that broker's endpoint in `region` (the run's
    region; None: any region, for readers that have none) and its partition: another region's
    endpoint with the same ID, or any other host, is external.
    """
    known = {broker_id.lower(): broker_id for broker_id in names}
    idle_by_id = {broker_id.lower(): found for broker_id, found in (idle or {}).items()}
    statuses = external_status or {}
    graph = _Graph()
    ignored: dict[str, dict[str, None]] = {broker_id: {} for broker_id in known.values()}
    errors: dict[str, set[str]] = {broker_id: set() for broker_id in known.values()}
    shown: dict[str, tuple[str, str]] = {}  # node -> (kind, text): how an external node is named
    for broker_id, report in reports.items():
        if broker_id not in ignored:
            continue
        for connector in report.connectors:
            for skipped in connector.ignored:
                ignored[broker_id][f"{connector.name} -> {skipped.host}: {skipped.reason}"] = None  # ordered set
            for peer in connector.peers:
                key = peer.broker_id.lower()
                # Only an endpoint of this region (and partition) names one of its brokers.
                local = peer.region is not None and (region is None or peer.region == region)
                if local and key == broker_id.lower():
                    ignored[broker_id][f"{connector.name} -> {peer.host}: the broker's own endpoint"] = None
                    continue
                if local and key in idle_by_id:
                    name, why = idle_by_id[key]
                    ignored[broker_id][f"{connector.name} -> {name} ({why})"] = None
                    continue
                node = known.get(key) if local else None
                if node is None:
                    kind, text = _external(statuses.get(key, NOT_VERIFIED), peer, connector.name, count_unverified)
                    if kind == "ignored":
                        ignored[broker_id][text] = None
                        continue
                    if kind == "error":
                        errors[broker_id].add(text)
                        continue
                    node = "external:" + key
                    shown.setdefault(node, (kind, text))
                label = names.get(node) or shown[node][1]
                graph.link(broker_id, node, connector, label, names[broker_id])
    members: dict[str, Membership] = {}
    for broker_id in known.values():
        if only is not None and broker_id != only:
            continue
        network = graph.reach(broker_id) | graph.reached_by(broker_id)
        linked = graph.neighbours(broker_id)
        for node in sorted(linked - network):
            ignored[broker_id][f"{graph.label(node)}: its TTL (0) lets no message cross"] = None
        beyond = graph.component(broker_id) - network - linked
        if beyond:
            ignored[broker_id][f"{len(beyond)} more linked broker(s) beyond networkTTL"] = None
        direct = linked & network
        links = tuple(
            Link(
                node,
                names.get(node) or shown[node][1],
                graph.direction(broker_id, node),
                "broker" if node in names else shown[node][0],
            )
            for node in sorted(linked)
        )
        members[broker_id] = Membership(
            peers=tuple(sorted(names[node] for node in direct if node in names)),
            external_peers=tuple(sorted(shown[n][1] for n in direct if n in shown and shown[n][0] == "external")),
            network_size=len(network | {broker_id}),
            malformed=reports[broker_id].malformed if broker_id in reports else (),
            ignored=tuple(ignored[broker_id]),
            verified_peers=tuple(sorted(shown[n][1] for n in direct if n in shown and shown[n][0] == "verified")),
            peer_errors=tuple(sorted(errors[broker_id])),
            links=links,
            one_way=tuple(
                graph.one_way(broker_id, node) for node in sorted(direct) if graph.direction(broker_id, node) != "both"
            ),
        )
    return members


class _Graph:
    """Bridges as directed edges with hop limits, and which brokers messages reach either way."""

    def __init__(self) -> None:
        # source -> destination -> the (messageTTL, consumerTTL) pairs of its bridges that no other beats
        self.edges: dict[str, dict[str, list[tuple[int, int]]]] = {}
        self.notes: dict[tuple[str, str], str] = {}  # (declaring, peer) -> why the way back is missing
        self.labels: dict[str, str] = {}
        self.incoming: dict[str, set[str]] = {}  # destination -> sources: neighbours in O(degree)
        self._reach: dict[str, set[str]] = {}
        self._components: dict[str, frozenset[str]] = {}  # each node -> its whole component, found once

    def link(self, source: str, target: str, connector: Connector, label: str, source_label: str) -> None:
        ttl = tuple(
            _UNLIMITED if limit is None else max(0, limit) for limit in (connector.message_ttl, connector.consumer_ttl)
        )
        self.labels[target], self.labels[source] = label, source_label
        self._add(source, target, ttl)
        if connector.duplex and not connector.fragile_failover:
            self._add(target, source, ttl)
        elif connector.fragile_failover and connector.duplex:
            self.notes[(source, target)] = f"{connector.name} -> {label}: one way after a failover (use masterslave:)"
        else:
            self.notes[(source, target)] = f"{connector.name} -> {label}: duplex=false"
        self.edges.setdefault(target, {})

    def _add(self, source: str, target: str, ttl: tuple[int, ...]) -> None:
        message, consumer = ttl
        limits = self.edges.setdefault(source, {}).setdefault(target, [])
        if not any(m >= message and c >= consumer for m, c in limits):
            limits[:] = [(m, c) for m, c in limits if m > message or c > consumer] + [(message, consumer)]
        self.incoming.setdefault(target, set()).add(source)
        self._reach.clear()
        self._components.clear()

    def label(self, node: str) -> str:
        return self.labels.get(node, node)

    def reach(self, start: str) -> set[str]:
        """Nodes a message from `start` can arrive at, as ActiveMQ forwards it.

        On a path of k bridges, bridge i (0-based) carries the message when i < its messageTTL (the
        hops the message has made) and k-1-i < its consumerTTL (the bridges between it and the
        consumer, whose demand must have reached it). A search over (node, hops made, bridges still
        allowed by the consumerTTLs crossed), keeping only states no other state at the node beats:
        a walk with a loop is never needed (cutting the loop only relaxes both limits), so this is
        exact for ActiveMQ's loop-free broker paths. Matches real ActiveMQ on the generated
        topologies of tests/activemq/test_differential.py.
        """
        if start not in self._reach:
            states: dict[str, list[tuple[int, int]]] = {start: [(0, _UNLIMITED)]}
            queue = deque([(start, 0, _UNLIMITED)])
            reached: set[str] = set()
            while queue:
                node, hops, allowed = queue.popleft()
                if allowed < 1 or (hops, allowed) not in states[node]:
                    continue
                for target, limits in self.edges.get(node, {}).items():
                    for message, consumer in limits:
                        if hops >= message or consumer < 1:
                            continue
                        reached.add(target)
                        state = (hops + 1, min(allowed - 1, consumer - 1))
                        known = states.setdefault(target, [])
                        if any(h <= state[0] and a >= state[1] for h, a in known):
                            continue
                        known[:] = [(h, a) for h, a in known if h < state[0] or a > state[1]] + [state]
                        queue.append((target, *state))
            self._reach[start] = reached - {start}
        return self._reach[start]

    def reached_by(self, node: str) -> set[str]:
        """Nodes whose messages can arrive at `node` (only nodes of its component can)."""
        return {other for other in self.component(node) if node in self.reach(other)}

    def neighbours(self, node: str) -> set[str]:
        return set(self.edges.get(node, {})) | self.incoming.get(node, set())

    def component(self, node: str) -> set[str]:
        """Every node linked to `node` through any chain of links (each component is walked once)."""
        if node not in self._components:
            seen, stack = {node}, [node]
            while stack:
                for other in self.neighbours(stack.pop()):
                    if other not in seen:
                        seen.add(other)
                        stack.append(other)
            whole = frozenset(seen)
            for member in whole:
                self._components[member] = whole
        return set(self._components[node]) - {node}

    def direction(self, broker: str, node: str) -> str:
        out = node in self.edges.get(broker, {})
        back = broker in self.edges.get(node, {})
        return "both" if out and back else "out" if out else "in"

    def one_way(self, broker: str, node: str) -> str:
        """Why messages cross between `broker` and its neighbour `node` in one direction only."""
        if self.direction(broker, node) == "out":
            return f"{self.notes.get((broker, node)) or self.label(node)} (out only)"
        note = self.notes.get((node, broker))
        return f"{self.label(node)}'s {note} (in only)" if note else f"{self.label(node)} (in only)"


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
