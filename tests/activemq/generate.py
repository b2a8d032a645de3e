"""Topologies generated from a seed, for the differential test against real ActiveMQ.

A seed gives one topology of 2 to 6 brokers: a mesh, a hub and spoke (networkTTL 1 to 3 on the
hub's connectors), a chain, a ring or a random graph; each link duplex, one way (either side
declares it) or a pair of opposed one-way connectors; a peer named by `static:`, `masterslave:`
or `static:(failover:(...))` (with or without Amazon MQ's documented options), one connector
sometimes naming several peers; networkTTL, messageTTL and consumerTTL sometimes set (-1
included), in any attribute order; some brokers active/standby. The same seed always gives the
same topology, so a disagreement is reproduced with `make activemq-diff SEED=<seed> N=1`.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from mq_network_tools.demo import emulator

CORE = "http://activemq.apache.org/schema/core"
KINDS = ("mesh", "hub", "chain", "ring", "random")


@dataclass
class Connector:
    """One <networkConnector> as written: its peers (broker names) and attributes in order."""

    name: str
    peers: list[str]
    form: str  # static | masterslave | failover | failover-documented
    attributes: list[tuple[str, str]] = field(default_factory=list)

    def uri(self, ids: Mapping[str, str], standby: set[str]) -> str:
        def transports(peer: str) -> list[str]:
            instances = (1, 2) if peer in standby else (1,)
            return [f"ssl://{emulator.endpoint(ids[peer], instance=n)}:61617" for n in instances]

        if self.form == "masterslave":  # one peer: its instances
            return f"masterslave:({','.join(transports(self.peers[0]))})"
        if self.form in ("failover", "failover-documented"):
            options = "?randomize=false&maxReconnectAttempts=0" if self.form == "failover-documented" else ""
            return f"static:(failover:({','.join(transports(self.peers[0]))}){options})"
        return "static:(" + ",".join(t for peer in self.peers for t in transports(peer)[:1]) + ")"

    def xml(self, ids: Mapping[str, str], standby: set[str]) -> str:
        from xml.sax.saxutils import quoteattr

        attributes = [("name", self.name), *self.attributes, ("uri", self.uri(ids, standby))]
        return "<networkConnector " + " ".join(f"{k}={quoteattr(v)}" for k, v in attributes) + "/>"


@dataclass
class Topology:
    seed: int
    kind: str
    brokers: list[str]
    standby: set[str]
    connectors: dict[str, list[Connector]]
    notes: list[str] = field(default_factory=list)

    def configuration(self, broker: str, ids: Mapping[str, str]) -> str:
        """The broker's Amazon MQ configuration (a <broker> element, as Amazon MQ stores it)."""
        declared = self.connectors[broker]
        block = "".join(c.xml(ids, self.standby) for c in declared)
        return (
            f'<broker xmlns="{CORE}" schedulePeriodForDestinationPurge="10000">'
            + (f"<networkConnectors>{block}</networkConnectors>" if declared else "")
            + "</broker>"
        )

    def after_failover(self) -> Topology | None:
        """The same topology as it stands once each duplex plain `failover:` connector's peer has
        failed over: that bridge keeps only its forward way (tests/activemq/test_real_activemq.py
        fails over real brokers to show it), so the connector is written duplex="false". None when
        the topology has no such connector (nothing changes on a failover)."""
        fragile = any(
            c.form == "failover" and ("duplex", "true") in c.attributes for cs in self.connectors.values() for c in cs
        )
        if not fragile:
            return None
        connectors = {
            broker: [
                Connector(
                    c.name,
                    c.peers,
                    c.form,
                    [(k, "false" if k == "duplex" and c.form == "failover" else v) for k, v in c.attributes],
                )
                for c in cs
            ]
            for broker, cs in self.connectors.items()
        }
        return Topology(self.seed, self.kind, self.brokers, self.standby, connectors, self.notes)

    def describe(self) -> str:
        """One line a person can rebuild the topology from."""
        parts = []
        for broker in self.brokers:
            for c in self.connectors[broker]:
                attrs = " ".join(f"{k}={v}" for k, v in c.attributes)
                parts.append(f"{broker}->{'+'.join(c.peers)} [{c.form} {attrs}]")
        standby = f" active/standby: {','.join(sorted(self.standby))};" if self.standby else ""
        return f"seed {self.seed}: {self.kind} of {len(self.brokers)};{standby} " + ("; ".join(parts) or "no links")


def generate(seed: int, prefix: str = "") -> Topology:
    rng = random.Random(seed)
    kind = rng.choice(KINDS)
    size = rng.randint(2, 6)
    names = [f"{prefix}g{seed}-b{n}" for n in range(1, size + 1)]
    standby = {name for name in names if rng.random() < 0.3}
    pairs = _pairs(kind, names, rng)
    connectors: dict[str, list[Connector]] = {name: [] for name in names}
    hub_ttl = str(rng.randint(1, 3)) if kind == "hub" else None
    count = 0

    def add(declarer: str, peers: list[str], duplex: bool) -> None:
        nonlocal count
        count += 1
        peer = peers[0]
        if len(peers) > 1:
            form = "static"
        elif peer in standby:
            form = rng.choice(("masterslave", "masterslave", "failover", "failover-documented", "static"))
        else:
            form = rng.choice(("static", "static", "static", "failover"))
        attributes = [("duplex", "true" if duplex else "false"), ("userName", "nob")]
        if hub_ttl is not None and declarer == names[0]:
            attributes.append(("networkTTL", hub_ttl))
        elif rng.random() < 0.35:
            attributes.append(("networkTTL", rng.choice(("1", "2", "3", "-1"))))
        if rng.random() < 0.35:
            attributes.append(("messageTTL", rng.choice(("-1", "1", "2"))))
        if rng.random() < 0.35:
            attributes.append(("consumerTTL", rng.choice(("-1", "1", "2"))))
        rng.shuffle(attributes)
        connectors[declarer].append(Connector(f"{declarer}-c{count}", peers, form, attributes))

    for a, b in pairs:
        style = rng.choice(("duplex", "duplex", "one-way", "one-way back", "opposed one-way"))
        if style == "duplex":
            add(a, [b], True)
        elif style == "one-way":
            add(a, [b], False)
        elif style == "one-way back":
            add(b, [a], False)
        else:
            add(a, [b], False)
            add(b, [a], False)
    # Sometimes one connector names several single-instance peers: static:(ssl://p1,ssl://p2).
    for name in names:
        mine = [c for c in connectors[name] if c.form == "static" and c.peers[0] not in standby]
        if len(mine) >= 2 and rng.random() < 0.3:
            first, second = mine[0], mine[1]
            if dict(first.attributes) == dict(second.attributes):
                first.peers += second.peers
                connectors[name].remove(second)
    return Topology(seed, kind, names, standby, connectors)


def _pairs(kind: str, names: Sequence[str], rng: random.Random) -> list[tuple[str, str]]:
    """Which brokers are linked (declaring side first, before each link picks its direction)."""
    if kind == "mesh":
        return [(a, b) for i, a in enumerate(names) for b in names[i + 1 :]]
    if kind == "hub":
        return [(names[0], spoke) for spoke in names[1:]]
    if kind == "chain":
        return list(itertools.pairwise(names))
    if kind == "ring":
        return list(zip(names, [*names[1:], names[0]], strict=True)) if len(names) > 2 else [(names[0], names[1])]
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1 :] if rng.random() < 0.45]
    return pairs or [(names[0], names[-1])]
