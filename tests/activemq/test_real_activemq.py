"""The rule and the remediation against real ActiveMQ 5.17: does the network they describe carry messages?

For each topology, the same Amazon MQ-style configurations go to the rule (CheckMode connectors,
on moto) and to real brokers on loopback (harness.py). A broker's network in reality is itself and
the brokers it sends messages to or receives messages from (either direction), through demand
forwarding: a consumer on one broker, a producer on another, one queue per ordered pair. The
rule's network size (from its annotation) must equal reality's, broker by broker.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import boto3
import pytest
from moto import mock_aws

from helpers import by_id, run
from mq_network_tools.demo import emulator
from mq_network_tools.remediate import mesh_plan

from .conftest import FIGURES
from .harness import CORE, Cluster
from .stomp import Stomp

REGION = emulator.REGION
DEMAND_WAIT = 2.5  # seconds for bridges to form and consumers' demand to cross them
DELIVERY_WAIT = 3.0
_AMAZON_MQ_DEFAULT_COMMENT = (
    '<!-- <networkConnectors> <networkConnector name="myNetworkConnector" userName="commonUser" '
    'uri="masterslave:(ssl://b-1234a5b6-78cd-901e-2fgh-3i45j6k178l9-1.mq.us-east-2.amazonaws.com:61617,'
    'ssl://b-1234a5b6-78cd-901e-2fgh-3i45j6k178l9-2.mq.us-east-2.amazonaws.com:61617)"/> '
    "</networkConnectors> -->"
)


# --- describing topologies -------------------------------------------------------------------------


class Link:
    def __init__(
        self,
        peer: str,
        duplex: bool = True,
        ttl: int | None = None,
        form: str = "static",
        message_ttl: int | None = None,
        consumer_ttl: int | None = None,
    ) -> None:
        self.peer, self.duplex, self.ttl, self.form = peer, duplex, ttl, form
        self.message_ttl, self.consumer_ttl = message_ttl, consumer_ttl

    def renamed(self, peer: str) -> Link:
        return Link(peer, self.duplex, self.ttl, self.form, self.message_ttl, self.consumer_ttl)

    def uri(self, ids: Mapping[str, str], standby: set[str]) -> str:
        peer = ids[self.peer]
        hosts = [emulator.endpoint(peer, instance=n) for n in ((1, 2) if self.peer in standby else (1,))]
        transports = ",".join(f"ssl://{host}:61617" for host in hosts)
        if self.form == "masterslave":
            return f"masterslave:({transports})"
        if self.form == "failover":
            return f"static:(failover:({transports}))"
        if self.form == "failover-documented":
            return f"static:(failover:({transports})?randomize=false&amp;maxReconnectAttempts=0)"
        return f"static:({transports})"

    def xml(self, ids: Mapping[str, str], standby: set[str]) -> str:
        ttl = f' networkTTL="{self.ttl}"' if self.ttl is not None else ""
        ttl += f' messageTTL="{self.message_ttl}"' if self.message_ttl is not None else ""
        ttl += f' consumerTTL="{self.consumer_ttl}"' if self.consumer_ttl is not None else ""
        return (
            f'<networkConnector name="to-{self.peer}" uri="{self.uri(ids, standby)}" '
            f'duplex="{str(self.duplex).lower()}" userName="nob"{ttl}/>'
        )


def broker_xml(links: Sequence[Link], ids: Mapping[str, str], standby: set[str], extra: str = "") -> str:
    block = f"<networkConnectors>{''.join(link.xml(ids, standby) for link in links)}</networkConnectors>"
    return (
        f'<broker xmlns="{CORE}" schedulePeriodForDestinationPurge="10000">{_AMAZON_MQ_DEFAULT_COMMENT}'
        f"{block if links else ''}{extra}</broker>"
    )


@pytest.fixture
def account() -> Iterator[Any]:
    with mock_aws(), emulator.PagedListBrokers(), emulator.PriorResults():
        yield boto3.client("mq", region_name=REGION)


def seed(
    mq: Any, topology: Mapping[str, Sequence[Link]], standby: frozenset[str] | set[str] = frozenset()
) -> tuple[dict[str, str], dict[str, str]]:
    """Brokers on moto with the topology's configurations; returns name -> ID and ID -> XML."""
    seeds = [emulator.BrokerSeed(n, "ACTIVE_STANDBY_MULTI_AZ" if n in standby else "SINGLE_INSTANCE") for n in topology]
    ids = emulator.seed_brokers(mq, seeds)
    configurations = {}
    for name, links in topology.items():
        xml = broker_xml(links, ids, standby)
        emulator.apply_configuration(mq, ids[name], xml)
        configurations[ids[name]] = xml
    return ids, configurations


def rule_sizes(ids: Mapping[str, str]) -> dict[str, int]:
    """The network size the rule's annotation states for each broker (1: no network)."""
    result = by_id(run(emulator.scheduled_event({"CheckMode": "connectors"})))
    sizes = {}
    for name, broker_id in ids.items():
        text = result[broker_id]["Annotation"]
        found = re.search(r"in a network of (?:at least )?(\d+) brokers|its network has (\d+) of", text)
        sizes[name] = int(next(g for g in found.groups() if g)) if found else 1
    return sizes


def deliveries(
    cluster: Cluster, ids: Mapping[str, str], groups: Sequence[Sequence[str]] | None = None
) -> set[tuple[str, str]]:
    """(source, destination) pairs whose message arrived: one queue and one consumer per ordered
    pair of brokers within each group (all groups at once: one wait for demand, one for delivery)."""
    pairs = [(a, b) for group in (groups or [list(ids)]) for a in group for b in group if a != b]
    receivers: dict[tuple[str, str], Stomp] = {}
    for source, target in pairs:
        receiver = Stomp(cluster.active(ids[target]).stomp)
        receiver.subscribe(f"q.{source}.{target}")
        receivers[(source, target)] = receiver
    time.sleep(DEMAND_WAIT)
    senders: dict[str, Stomp] = {}
    for source, target in pairs:
        if source not in senders:
            senders[source] = Stomp(cluster.active(ids[source]).stomp)
        senders[source].send(f"q.{source}.{target}", f"{source}>{target}")
    FIGURES["messages"] += len(pairs)
    deadline = time.monotonic() + DELIVERY_WAIT
    arrived = set()
    for (source, target), receiver in receivers.items():
        if receiver.receive(max(0.05, deadline - time.monotonic())) == f"{source}>{target}":
            arrived.add((source, target))
        receiver.close()
    for sender in senders.values():
        sender.close()
    return arrived


def real_sizes(arrived: set[tuple[str, str]], names: Sequence[str]) -> dict[str, int]:
    """1 + the brokers each broker's messages reached, or whose messages reached it."""
    return {n: 1 + sum((n, m) in arrived or (m, n) in arrived for m in names if m != n) for n in names}


def started(cluster: Cluster, labels: Sequence[str] | None = None) -> None:
    cluster.start(labels)
    chosen = labels or list(cluster.instances)
    FIGURES["brokers_started"] += len(chosen)
    FIGURES["startup_seconds"] += [cluster.instances[label].started_in for label in chosen]


def judge(name: str, rule: Mapping[str, int], real: Mapping[str, int], note: str = "") -> None:
    verdict = "rule = reality" if rule == real else f"DIFFERENT: rule {dict(rule)}, reality {dict(real)}"
    FIGURES["topologies"].append((name, verdict + (f" ({note})" if note else "")))
    assert rule == real, verdict


# --- the rule against reality ----------------------------------------------------------------------

TOPOLOGIES: dict[str, dict[str, list[Link]]] = {
    "a lonely broker": {"solo": []},
    "a linked pair": {"a": [Link("b")], "b": []},
    "Amazon MQ's default configuration (commented example)": {"a": [], "b": []},
    "hub and spoke, networkTTL 1": {"hub": [Link("s1"), Link("s2")], "s1": [], "s2": []},
    "hub and spoke, networkTTL 2": {"hub": [Link("s1", ttl=2), Link("s2", ttl=2)], "s1": [], "s2": []},
    "a chain of three": {"a": [Link("b")], "b": [Link("c")], "c": []},
    "two separate meshes": {"a": [Link("b")], "b": [], "c": [Link("d")], "d": []},
    "a one-way connector (duplex=false)": {"a": [Link("b", duplex=False)], "b": []},
    "two opposed one-way connectors": {"a": [Link("b", duplex=False)], "b": [Link("a", duplex=False)]},
    "a mesh with messageTTL -1, consumerTTL 1 (the workshop's)": {
        "a": [Link("b", message_ttl=-1, consumer_ttl=1), Link("c", message_ttl=-1, consumer_ttl=1)],
        "b": [Link("c", message_ttl=-1, consumer_ttl=1)],
        "c": [],
    },
    "a chain of three, networkTTL -1": {"a": [Link("b", ttl=-1)], "b": [Link("c", ttl=-1)], "c": []},
    # Spring sets networkTTL after messageTTL and consumerTTL (alphabetical order): it wins over both.
    "a chain of three, networkTTL 1 over messageTTL and consumerTTL -1": {
        "a": [Link("b", ttl=1, message_ttl=-1, consumer_ttl=-1)],
        "b": [Link("c", ttl=1, message_ttl=-1, consumer_ttl=-1)],
        "c": [],
    },
    "a chain of three, networkTTL 3 over messageTTL 1": {
        "a": [Link("b", ttl=3, message_ttl=1)],
        "b": [Link("c", ttl=3, message_ttl=1)],
        "c": [],
    },
}
ONE_WAY = "a one-way connector (duplex=false)"


def prefixed(topologies: Mapping[str, Mapping[str, Sequence[Link]]]) -> tuple[dict[str, list[Link]], list[list[str]]]:
    """Every topology in one account, its broker names prefixed t<n>-: one cluster for all of them."""
    combined: dict[str, list[Link]] = {}
    groups = []
    for index, topology in enumerate(topologies.values()):
        rename = {name: f"t{index}-{name}" for name in topology}
        for name, links in topology.items():
            combined[rename[name]] = [k.renamed(rename[k.peer]) for k in links]
        groups.append(list(rename.values()))
    return combined, groups


def test_the_rules_network_is_the_one_activemq_builds(account: Any) -> None:
    combined, groups = prefixed(TOPOLOGIES)
    ids, configurations = seed(account, combined)
    rule = rule_sizes(ids)
    with Cluster(configurations) as cluster:
        started(cluster)
        arrived = deliveries(cluster, ids, groups)
    real = real_sizes(arrived, list(ids))
    # A one-way bridge carries messages one way, and the rule counts both ends (as members).
    one_way = groups[list(TOPOLOGIES).index(ONE_WAY)]
    assert (one_way[0], one_way[1]) in arrived and (one_way[1], one_way[0]) not in arrived
    assert rule[one_way[0]] == rule[one_way[1]] == 2
    differences = []
    for title, group in zip(TOPOLOGIES, groups, strict=True):
        mine = {name: rule[name] for name in group}
        theirs = {name: real[name] for name in group}
        try:
            judge(title, mine, theirs)
        except AssertionError as err:
            differences.append(f"{title}: {err}")
    assert not differences


def test_the_workshops_masterslave_mesh_of_active_standby_brokers(account: Any) -> None:
    """Three active/standby brokers (six instances), each linked to the others by masterslave:."""
    names = ["Broker1", "Broker2", "Broker3"]
    topology = {
        "Broker1": [],
        "Broker2": [Link("Broker1", form="masterslave")],
        "Broker3": [Link("Broker1", form="masterslave"), Link("Broker2", form="masterslave")],
    }
    ids, configurations = seed(account, topology, standby=set(names))
    rule = rule_sizes(ids)
    with Cluster(configurations, instances=dict.fromkeys(configurations, 2)) as cluster:
        started(cluster)
        real = real_sizes(deliveries(cluster, ids), names)
    judge("the workshop's masterslave: mesh (3 active/standby)", rule, real)


def test_a_connector_to_a_broker_that_is_not_running_builds_no_bridge_until_it_starts(account: Any) -> None:
    ids, configurations = seed(account, {"a": [Link("b")], "b": []})
    rule = rule_sizes(ids)
    with Cluster(configurations) as cluster:
        started(cluster, [f"{ids['a']}-1"])  # b is RUNNING for AWS, but its broker is down
        time.sleep(2)  # a retries its bridge to b in vain
        started(cluster, [f"{ids['b']}-1"])  # the bridge forms within seconds once b starts
        real = real_sizes(deliveries(cluster, ids), list(ids))
    judge(
        "a connector to a broker not running (then started)",
        rule,
        real,
        "while b was down no bridge existed: the rule, reading configurations, cannot see that (docs/network-model.md)",
    )


# label -> (connector form, duplex, which directions between m1 and m2 still deliver after m1 fails over)
FAILOVER_FORMS: dict[str, tuple[str, bool, set[str]]] = {
    "masterslave:": ("masterslave", True, {"m1>m2", "m2>m1"}),
    "failover: (documented options)": ("failover-documented", True, {"m1>m2", "m2>m1"}),
    "failover:": ("failover", True, {"m2>m1"}),  # the way back is lost for good
    "failover:, duplex=false": ("failover", False, {"m2>m1"}),
}


def test_links_to_an_active_standby_peer_after_it_fails_over(account: Any) -> None:
    """Members 2 and 3 link to member 1 (active/standby); then member 1's active instance dies.
    One group per connector form, all in one cluster."""
    topologies = {
        label: {"m1": [], "m2": [Link("m1", duplex, form=form)], "m3": [Link("m1", duplex, form=form)]}
        for label, (form, duplex, _) in FAILOVER_FORMS.items()
    }
    combined, groups = prefixed(topologies)
    pairs = {group[0] for group in groups}  # each group's m1
    ids, configurations = seed(account, combined, standby=pairs)
    rule = rule_sizes(ids)
    with Cluster(configurations, instances={ids[m1]: 2 for m1 in pairs}) as cluster:
        started(cluster)
        before = deliveries(cluster, ids, groups)
        for m1 in pairs:
            cluster.stop(f"{cluster.active(ids[m1]).label}")
        for m1 in pairs:
            cluster.wait_active(ids[m1])
        time.sleep(3)  # the bridges reconnect to the standby
        after: set[tuple[str, str]] = set()
        for _ in range(4):  # on a loaded machine a bridge may take a few rounds to reconnect
            after |= deliveries(cluster, ids, groups)
            expected = zip(FAILOVER_FORMS.values(), groups, strict=True)
            if all(_survived(after, group) >= wanted for (*_, wanted), group in expected):
                break
    real = real_sizes(after, list(ids))
    for (label, (_, duplex, surviving)), group in zip(FAILOVER_FORMS.items(), groups, strict=True):
        m1, m2 = group[0], group[1]
        assert (m2, m1) in before and ((m1, m2) in before) is duplex, label
        assert _survived(after, group) == surviving, (label, _survived(after, group))
        # The rule judges the link as it behaves when it matters: after a failover.
        judge(
            f"active/standby peer through {label}, after failover",
            {name: rule[name] for name in group},
            {name: real[name] for name in group},
        )


def _survived(arrived: set[tuple[str, str]], group: Sequence[str]) -> set[str]:
    m1, m2 = group[0], group[1]
    return {f"{a[-2:]}>{b[-2:]}" for a, b in ((m1, m2), (m2, m1)) if (a, b) in arrived}


# --- the remediation's meshes on real ActiveMQ ------------------------------------------------------

SOURCE_SETTINGS = (
    "<destinationPolicy><policyMap><policyEntries>"
    '<policyEntry topic="&gt;" gcInactiveDestinations="true" inactiveTimoutBeforeGC="600000"/>'
    "</policyEntries></policyMap></destinationPolicy>"
)


def remediation_mesh(
    size: int, standby: bool, prefix: str = "0"
) -> tuple[dict[str, str], dict[str, str], dict[str, int]]:
    """What mesh_plan.py writes for `size` members from a source with settings of its own."""
    source = (
        f'<broker xmlns="{CORE}" schedulePeriodForDestinationPurge="10000">'
        f"{_AMAZON_MQ_DEFAULT_COMMENT}{SOURCE_SETTINGS}</broker>"
    )
    mode = "ACTIVE_STANDBY_MULTI_AZ" if standby else "SINGLE_INSTANCE"
    ids = {f"mesh{prefix}-member{n}": f"b-{prefix}{n:03x}aaaa" for n in range(1, size + 1)}
    configurations = {}
    for n in range(1, size + 1):
        members = list(ids.values())
        peers = [mesh_plan.openwire_uri(mesh_plan.instance_hosts(members[p - 1], REGION, mode)) for p in range(1, n)]
        configurations[members[n - 1]] = mesh_plan.mesh_xml(source, peers, "admin").split("?>", 1)[1]
    return ids, configurations, dict.fromkeys(configurations, 2 if standby else 1)


MESHES = [(2, True), (3, False), (5, False)]


def test_every_generated_mesh_carries_messages_between_all_members_and_survives_one_loss() -> None:
    ids: dict[str, str] = {}
    configurations: dict[str, str] = {}
    instances: dict[str, int] = {}
    groups = []
    for index, (size, standby) in enumerate(MESHES):
        mine, xml, counts = remediation_mesh(size, standby, prefix=f"{index:x}")
        ids |= mine
        configurations |= xml
        instances |= counts
        groups.append(list(mine))
    for xml in configurations.values():
        assert "gcInactiveDestinations" in xml and 'schedulePeriodForDestinationPurge="10000"' in xml
    with Cluster(configurations, instances) as cluster:
        started(cluster)
        arrived = deliveries(cluster, ids, groups)
        full = {(a, b) for group in groups for a in group for b in group if a != b}
        assert arrived == full, sorted(full - arrived)
        for group in groups:  # each mesh loses member 1's serving instance
            cluster.stop(cluster.active(ids[group[0]]).label)
        survivors = []
        for (_, standby), group in zip(MESHES, groups, strict=True):
            if standby:  # the standby takes over: every member still reaches every other
                cluster.wait_active(ids[group[0]])
                survivors.append(group)
            else:
                survivors.append(group[1:])
        time.sleep(3)
        after = deliveries(cluster, ids, survivors)
    expected = {(a, b) for group in survivors for a in group for b in group if a != b}
    assert after == expected, sorted(expected - after)
    for size, standby in MESHES:
        label = f"remediation mesh of {size} ({'active/standby' if standby else 'single-instance'})"
        FIGURES["topologies"].append((label, "every direction delivered, and still after member 1's instance stopped"))


# --- Amazon MQ's stricter rules ----------------------------------------------------------------------

# The networkConnector attributes Amazon MQ accepts, from its developer guide ("Elements and Their
# Attributes Permitted in Amazon MQ Configurations", and "Amazon MQ Child Element Attributes" for
# conduitSubscriptions, consumerTTL, duplex, messageTTL and networkTTL).
AMAZON_MQ_NETWORK_CONNECTOR_ATTRIBUTES = {
    "conduitSubscriptions",
    "consumerTTL",
    "decreaseNetworkConsumerPriority",
    "duplex",
    "dynamicOnly",
    "messageTTL",
    "name",
    "networkTTL",
    "uri",
    "userName",
}
# The transports Amazon MQ documents for network connectors between brokers.
AMAZON_MQ_CONNECTOR_URIS = re.compile(r"^(static:\(ssl://[^,()]+:61617\)|masterslave:\((ssl://[^,()]+:61617,?)+\))$")


@pytest.mark.parametrize(("size", "standby"), [(2, True), (3, False), (5, True), (21, False)])
def test_generated_configurations_stay_inside_what_amazon_mq_accepts(size: int, standby: bool) -> None:
    import xml.etree.ElementTree as ET

    _, configurations, _ = remediation_mesh(size, standby)
    for xml in configurations.values():
        root = ET.fromstring(xml)
        connectors = list(root.iter(f"{{{CORE}}}networkConnector"))
        assert len(connectors) <= 20  # Amazon MQ's quota per broker
        for connector in connectors:
            assert set(connector.attrib) <= AMAZON_MQ_NETWORK_CONNECTOR_ATTRIBUTES
            assert AMAZON_MQ_CONNECTOR_URIS.match(connector.get("uri", "")), connector.get("uri")
        assert not [c for c in root if c.tag == f"{{{CORE}}}transportConnectors"]  # Amazon MQ manages those
