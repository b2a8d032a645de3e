"""Real ActiveMQ as the oracle of connectors mode, on generated and on published topologies.

For each topology the same Amazon MQ configurations go to the rule (CheckMode connectors, on
moto) and to real ActiveMQ 5.17 brokers on loopback (harness.py). Reality: a consumer on every
broker for a queue of every other broker of its topology, then one message from each broker to
each other; a broker's network is itself and every broker it delivered to or received from. The
rule must say, broker by broker, that network size, and COMPLIANT exactly when it meets
MinimumNetworkSize (asked at 2, 3 and 4).

`make test` runs a fixed set of seeds; `make activemq-diff SEED=<first> N=<count>` runs more
(environment ACTIVEMQ_DIFF_SEED and ACTIVEMQ_DIFF_N). Every seed is printed with its topology.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from helpers import by_id, run
from mq_network_tools import emulator

from .conftest import FIGURES
from .generate import Topology, generate
from .harness import Cluster
from .stomp import Stomp

REGION = emulator.REGION
MINIMUMS = (2, 3, 4)
FIRST_SEED = int(os.environ.get("ACTIVEMQ_DIFF_SEED", "1"))
SEED_COUNT = int(os.environ.get("ACTIVEMQ_DIFF_N", "24"))
JVMS = int(os.environ.get("ACTIVEMQ_DIFF_JVMS", "2"))  # processes for the serving brokers (+1 for standbys)
BATCH = int(os.environ.get("ACTIVEMQ_DIFF_BATCH", "40"))  # topologies booted at once
DEMAND_WAIT = 2.5  # seconds for consumers' demand to cross the bridges before the sends
QUIET = 3.0  # delivery ends once no message arrived for this long (after at least QUIET)...
PATIENCE = 20.0  # ...or after this long
PUBLISHED = Path(__file__).resolve().parents[1] / "data" / "published"


@dataclass
class Case:
    """One topology as both sides see it: broker names, their configurations, instances."""

    title: str
    names: list[str]
    configurations: dict[str, str]  # name -> <broker> XML with Amazon MQ endpoints
    standby: set[str]


# --- the rule's side -------------------------------------------------------------------------------


@pytest.fixture
def account() -> Iterator[Any]:
    with mock_aws(), emulator.PagedListBrokers(), emulator.PriorResults():
        yield boto3.client("mq", region_name=REGION)


_SIZE = re.compile(r"in a network of (?:at least )?(\d+) brokers|its network has (\d+) of")
_NO_NETWORK = ("none of its links counts", "it has no network connector and no broker in its region connects to it")


def rule_says(ids: Mapping[str, str], minimum: int) -> dict[str, tuple[int, str]]:
    """(network size, compliance) the rule gives each broker, read from its annotation."""
    result = by_id(run(emulator.scheduled_event({"CheckMode": "connectors", "MinimumNetworkSize": str(minimum)})))
    said = {}
    for name, broker_id in ids.items():
        evaluation = result[broker_id]
        text = evaluation["Annotation"]
        found = _SIZE.search(text)
        if found:
            size = int(next(g for g in found.groups() if g))
        elif any(phrase in text for phrase in _NO_NETWORK):
            size = 1
        else:
            raise AssertionError(f"{name}: no network size in the rule's annotation {text!r}")
        said[name] = (size, evaluation["ComplianceType"])
    return said


def seed_account(mq: Any, cases: Sequence[Case], render: Any) -> dict[str, str]:
    """Every case's brokers in one moto account; returns name -> broker ID. `render(case, name,
    ids)` writes a broker's configuration once every ID is known."""
    seeds = [
        emulator.BrokerSeed(name, "ACTIVE_STANDBY_MULTI_AZ" if name in case.standby else "SINGLE_INSTANCE")
        for case in cases
        for name in case.names
    ]
    ids = emulator.seed_brokers(mq, seeds)
    assert len(set(ids.values())) == len(ids), "moto gave two brokers one ID"
    for case in cases:
        for name in case.names:
            case.configurations[name] = render(case, name, ids)
            emulator.apply_configuration(mq, ids[name], case.configurations[name])
    return ids


# --- reality's side --------------------------------------------------------------------------------


def boot(cases: Sequence[Case], ids: Mapping[str, str]) -> Cluster:
    """Every broker of every case, in a few shared JVMs; waits until each serves and every bridge
    its configuration declares is up (a test that sent earlier would measure start-up, not the
    network)."""
    configurations = {ids[name]: case.configurations[name] for case in cases for name in case.names}
    standby = {ids[name]: 2 for case in cases for name in case.standby}
    cluster = Cluster(configurations, standby, shared=JVMS)
    began = time.monotonic()
    try:
        cluster.start(timeout=180)
        missing = cluster.wait_bridges(timeout=90)
        assert not missing, f"bridges declared but never established: {sorted(missing)}"
    except BaseException:
        cluster.close()
        raise
    FIGURES["brokers_started"] += len(cluster.instances)
    FIGURES["startup_seconds"] += [instance.started_in for instance in cluster.instances.values()]
    FIGURES.setdefault("boot_seconds", []).append(time.monotonic() - began)
    return cluster


def deliveries(cluster: Cluster, ids: Mapping[str, str], groups: Sequence[Sequence[str]]) -> set[tuple[str, str]]:
    """(source, destination) pairs whose message arrived: one consumer connection per broker
    subscribed to a queue per other broker of its group, then one message per ordered pair."""
    pairs = [(a, b) for group in groups for a in group for b in group if a != b]
    receivers: dict[str, Stomp] = {}
    for source, target in pairs:
        if target not in receivers:
            receivers[target] = Stomp(cluster.active(ids[target]).stomp)
        receivers[target].subscribe(f"diff.{source}.{target}")
    time.sleep(DEMAND_WAIT)
    for source in {a for a, _ in pairs}:
        with Stomp(cluster.active(ids[source]).stomp) as sender:
            for a, target in pairs:
                if a == source:
                    sender.send(f"diff.{source}.{target}", f"{source}>{target}")
    FIGURES["messages"] += len(pairs)
    arrived: set[tuple[str, str]] = set()
    last = [time.monotonic()]
    lock = threading.Lock()
    start = time.monotonic()

    def drain(target: str, receiver: Stomp) -> None:
        while time.monotonic() - start < PATIENCE and len(arrived) < len(pairs):
            body = receiver.receive(0.25)
            if body and ">" in body:
                source, _, to = body.partition(">")
                with lock:
                    if to == target and (source, target) not in arrived:
                        arrived.add((source, target))
                        last[0] = time.monotonic()
            elif time.monotonic() - max(last[0], start) > QUIET:
                return

    threads = [threading.Thread(target=drain, args=item) for item in receivers.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for receiver in receivers.values():
        receiver.close()
    return arrived


def real_sizes(arrived: set[tuple[str, str]], group: Sequence[str]) -> dict[str, int]:
    """1 + the brokers of its group each broker delivered to or received from."""
    return {n: 1 + sum((n, m) in arrived or (m, n) in arrived for m in group if m != n) for n in group}


# --- the comparison --------------------------------------------------------------------------------


def compare(case: Case, said: Mapping[int, Mapping[str, tuple[int, str]]], arrived: set[tuple[str, str]]) -> list[str]:
    """Every way the rule and reality differ on one case, broker by broker (empty: they agree)."""
    real = real_sizes(arrived, case.names)
    problems = []
    for name in case.names:
        for minimum, verdicts in said.items():
            size, compliance = verdicts[name]
            expected = "COMPLIANT" if real[name] >= minimum else "NON_COMPLIANT"
            if size != real[name] or compliance != expected:
                problems.append(
                    f"{name}: rule says network of {size}, {compliance} at MinimumNetworkSize {minimum}; "
                    f"ActiveMQ: network of {real[name]} ({expected})"
                )
                break
    if problems:
        delivered = sorted(f"{a}>{b}" for a, b in arrived if a in case.names)
        problems.append(f"delivered: {', '.join(delivered) or 'nothing'}")
    verdict = "rule = ActiveMQ" if not problems else "DIFFERENT"
    sizes = ",".join(str(n) for n in real_sizes(arrived, case.names).values())
    FIGURES["topologies"].append((case.title, f"{verdict} (network sizes {sizes})"))
    return problems


def differential(mq: Any, cases: Sequence[Case], render: Any) -> list[str]:
    """Seed, judge, boot, deliver, compare: the disagreements of all cases, described."""
    ids = seed_account(mq, cases, render)
    said = {minimum: rule_says(ids, minimum) for minimum in MINIMUMS}
    with boot(cases, ids) as cluster:
        arrived = deliveries(cluster, ids, [case.names for case in cases])
    disagreements = []
    for case in cases:
        problems = compare(case, said, arrived)
        if problems:
            disagreements.append(f"{case.title}\n    " + "\n    ".join(problems))
    return disagreements


# --- generated topologies --------------------------------------------------------------------------


def generated_cases(first: int, count: int) -> list[tuple[Case, Topology]]:
    cases = []
    for seed in range(first, first + count):
        topology = generate(seed)
        print(topology.describe())
        cases.append((Case(topology.describe(), topology.brokers, {}, topology.standby), topology))
    return cases


def test_generated_topologies_agree_with_real_activemq(account: Any) -> None:
    """At least 20 generated topologies (seeds FIRST_SEED..), booted BATCH at a time."""
    everything = generated_cases(FIRST_SEED, SEED_COUNT)
    topologies = {case.title: topology for case, topology in everything}

    def render(case: Case, name: str, ids: Mapping[str, str]) -> str:
        return topologies[case.title].configuration(name, ids)

    disagreements: list[str] = []
    for start in range(0, len(everything), BATCH):
        disagreements += differential(account, [case for case, _ in everything[start : start + BATCH]], render)
    FIGURES["generated"] = FIGURES.get("generated", 0) + len(everything)
    assert not disagreements, "rule and ActiveMQ disagree:\n" + "\n".join(disagreements)


# --- published examples ----------------------------------------------------------------------------


def published_cases() -> list[tuple[Case, dict[str, Any]]]:
    """Each example of tests/data/published: its brokers' configurations as written, and which
    broker each written endpoint stands for (hosts.json)."""
    cases = []
    for example in sorted(p for p in PUBLISHED.iterdir() if p.is_dir()):
        meta = json.loads((example / "hosts.json").read_text())
        names = list(meta["brokers"])
        standby = {name for name, mode in meta["brokers"].items() if mode == "ACTIVE_STANDBY_MULTI_AZ"}
        written = {name: (example / f"{name}.xml").read_text() for name in names}
        meta["written"] = written
        cases.append((Case(meta["title"], [f"{example.name}-{n}" for n in names], {}, set()), meta))
        cases[-1][0].standby = {f"{example.name}-{n}" for n in standby}
    return cases


def test_published_examples_agree_with_real_activemq(account: Any) -> None:
    """The workshop's mesh and the developer guide's mesh, hub and spoke and concentrator, as written."""
    everything = published_cases()
    metas = {case.title: meta for case, meta in everything}

    def render(case: Case, name: str, ids: Mapping[str, str]) -> str:
        meta = metas[case.title]
        prefix = name.rsplit("-", 1)[0] + "-"
        xml: str = meta["written"][name[len(prefix) :]]
        for written, (broker, instance, shape) in meta["hosts"].items():
            xml = xml.replace(written, shape.format(emulator.endpoint(ids[prefix + broker], instance=instance)))
        return xml.replace("${AmazonMQBrokerUser}", "workshopUser")

    disagreements = differential(account, [case for case, _ in everything], render)
    assert not disagreements, "rule and ActiveMQ disagree:\n" + "\n".join(disagreements)
