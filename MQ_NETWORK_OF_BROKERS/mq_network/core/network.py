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
    read = _Reading(names, idle or {}, external_status or {}, count_unverified, region)
    for broker_id, report in reports.items():
        if broker_id in read.ignored:
            read.connectors(broker_id, report)
    return {
        broker_id: read.membership(broker_id, reports.get(broker_id))
        for broker_id in read.known.values()
        if only is None or broker_id == only
    }


class _Reading:
    """The graph of every broker's connectors, and for each broker the links that do not count, with
    the reason (the annotation names them), and the external peers that could not be checked."""

    def __init__(
        self,
        names: Mapping[str, str],
        idle: Mapping[str, tuple[str, str]],
        statuses: Mapping[str, PeerStatus],
        count_unverified: bool,
        region: str | None,
    ) -> None:
        self.names = names
        self.known = {broker_id.lower(): broker_id for broker_id in names}
        self.idle = {broker_id.lower(): found for broker_id, found in idle.items()}
        self.statuses = statuses
        self.count_unverified = count_unverified
        self.region = region
        self.graph = _Graph()
        self.ignored: dict[str, dict[str, None]] = {broker_id: {} for broker_id in self.known.values()}  # ordered
        self.errors: dict[str, set[str]] = {broker_id: set() for broker_id in self.known.values()}
        self.shown: dict[str, tuple[str, str]] = {}  # node -> (kind, text): how an external node is named

    def connectors(self, broker_id: str, report: ConnectorReport) -> None:
        """One broker's connectors into the graph: each peer a link, or the reason it is not one."""
        for connector in report.connectors:
            for skipped in connector.ignored:
                self.ignored[broker_id][f"{connector.name} -> {skipped.host}: {skipped.reason}"] = None
            for peer in connector.peers:
                self._peer(broker_id, connector, peer)

    def _peer(self, broker_id: str, connector: Connector, peer: Peer) -> None:
        """A link to a broker of the run or to an external node; never to itself or to an idle broker."""
        key = peer.broker_id.lower()
        # Only an endpoint of this region (and partition) names one of its brokers.
        local = peer.region is not None and (self.region is None or peer.region == self.region)
        if local and key == broker_id.lower():
            self.ignored[broker_id][f"{connector.name} -> {peer.host}: the broker's own endpoint"] = None
            return
        if local and key in self.idle:
            name, why = self.idle[key]
            self.ignored[broker_id][f"{connector.name} -> {name} ({why})"] = None
            return
        node = self.known.get(key) if local else None
        if node is None:
            node = self._external_node(broker_id, connector, peer)
            if node is None:
                return
        label = self.names.get(node) or self.shown[node][1]
        self.graph.link(broker_id, node, connector, label, self.names[broker_id])

    def _external_node(self, broker_id: str, connector: Connector, peer: Peer) -> str | None:
        """A peer outside the run's brokers as a node, by what is known of it; None when it does not count."""
        key = peer.broker_id.lower()
        status = self.statuses.get(key, NOT_VERIFIED)
        kind, text = _external(status, peer, connector.name, self.count_unverified)
        if kind == "ignored":
            self.ignored[broker_id][text] = None
            return None
        if kind == "error":
            self.errors[broker_id].add(text)
            return None
        node = "external:" + key
        self.shown.setdefault(node, (kind, text))
        return node

    def membership(self, broker_id: str, report: ConnectorReport | None) -> Membership:
        """What the graph says about one broker: the nodes messages cross to or from it, within the TTLs."""
        graph = self.graph
        network = graph.reach(broker_id) | graph.reached_by(broker_id)
        linked = graph.neighbours(broker_id)
        self._note_out_of_reach(broker_id, network, linked)
        direct = linked & network
        return Membership(
            peers=tuple(sorted(self.names[node] for node in direct if node in self.names)),
            external_peers=self._shown(direct, "external"),
            network_size=len(network | {broker_id}),
            malformed=report.malformed if report is not None else (),
            ignored=tuple(self.ignored[broker_id]),
            verified_peers=self._shown(direct, "verified"),
            peer_errors=tuple(sorted(self.errors[broker_id])),
            links=tuple(self._link(broker_id, node) for node in sorted(linked)),
            one_way=tuple(
                graph.one_way(broker_id, node) for node in sorted(direct) if graph.direction(broker_id, node) != "both"
            ),
        )

    def _note_out_of_reach(self, broker_id: str, network: set[str], linked: set[str]) -> None:
        """Linked brokers that no message crosses to (a TTL of 0, or beyond networkTTL) do not count: say so."""
        for node in sorted(linked - network):
            self.ignored[broker_id][f"{self.graph.label(node)}: its TTL (0) lets no message cross"] = None
        beyond = self.graph.component(broker_id) - network - linked
        if beyond:
            self.ignored[broker_id][f"{len(beyond)} more linked broker(s) beyond networkTTL"] = None

    def _shown(self, nodes: set[str], kind: str) -> tuple[str, ...]:
        """How the external `nodes` of one kind (verified, external) are named, sorted."""
        return tuple(sorted(self.shown[n][1] for n in nodes if n in self.shown and self.shown[n][0] == kind))

    def _link(self, broker_id: str, node: str) -> Link:
        """One direct bridge of `broker_id`, as a picture shows it."""
        kind = "broker" if node in self.names else self.shown[node][0]
        return Link(node, self.names.get(node) or self.shown[node][1], self.graph.direction(broker_id, node), kind)


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
        """A connector's bridge to `target`, and back when duplex (not a failover: URI); else why not."""
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
        """One directed edge, keeping only the hop limits no other bridge beats; cached searches are stale after it."""
        message, consumer = ttl
        limits = self.edges.setdefault(source, {}).setdefault(target, [])
        if not any(m >= message and c >= consumer for m, c in limits):
            limits[:] = [(m, c) for m, c in limits if m > message or c > consumer] + [(message, consumer)]
        self.incoming.setdefault(target, set()).add(source)
        self._reach.clear()
        self._components.clear()

    def label(self, node: str) -> str:
        """How an annotation names a node: its broker name or host."""
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
        """The nodes a bridge links to `node`, either way."""
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
        """Which way bridges go between `broker` and `node` (both, out, in): for pictures and the one-way note."""
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
