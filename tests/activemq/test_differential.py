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
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from helpers import by_id, run
from mq_network_tools.demo import emulator

from .conftest import FIGURES
from .generate import generate
from .harness import Cluster, available
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
# Messages per ordered pair: a queue hands each message to one of its consumers in turn, and where
# several bridges carry a consumer's demand, a message handed to a bridge whose path its TTL cannot
# finish stops on the way. Messages "can cross" (what the rule counts) when one of several arrives.
MESSAGES_PER_PAIR = 4
PUBLISHED = Path(__file__).resolve().parents[1] / "data" / "published"


@dataclass
class Case:
    """One topology as both sides see it: broker names, their configurations, instances."""

    title: str
    names: list[str]
    standby: set[str]
    render: Callable[[str, Mapping[str, str]], str]  # (name, name -> broker ID) -> its configuration
    kind: str  # generated | published
    configurations: dict[str, str] = field(default_factory=dict)  # name -> <broker> XML as written
    # What real ActiveMQ boots instead, where it differs: the network as it stands after a failover
    # (a duplex plain failover: connector keeps only its forward way, and the rule counts it so).
    engine_render: Callable[[str, Mapping[str, str]], str] | None = None
    engine_configurations: dict[str, str] = field(default_factory=dict)


# --- the rule's side -------------------------------------------------------------------------------


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


def seed_account(mq: Any, cases: Sequence[Case]) -> dict[str, str]:
    """Every case's brokers in one moto account (their configurations written once every ID is
    known); returns name -> broker ID."""
    seeds = [
        emulator.BrokerSeed(name, "ACTIVE_STANDBY_MULTI_AZ" if name in case.standby else "SINGLE_INSTANCE")
        for case in cases
        for name in case.names
    ]
    ids = emulator.seed_brokers(mq, seeds)
    assert len(set(ids.values())) == len(ids), "moto gave two brokers one ID"
    for case in cases:
        for name in case.names:
            case.configurations[name] = case.render(name, ids)
            emulator.apply_configuration(mq, ids[name], case.configurations[name])
            engine = case.engine_render or case.render
            case.engine_configurations[name] = engine(name, ids)
    return ids


# --- reality's side --------------------------------------------------------------------------------


def boot(cases: Sequence[Case], ids: Mapping[str, str]) -> Cluster:
    """Every broker of every case, in a few shared JVMs; waits until each serves and every bridge
    its configuration declares is up (a test that sent earlier would measure start-up, not the
    network)."""
    configurations = {ids[name]: case.engine_configurations[name] for case in cases for name in case.names}
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
    subscribed to a queue per other broker of its group, then MESSAGES_PER_PAIR per ordered pair."""
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
                    for _ in range(MESSAGES_PER_PAIR):
                        sender.send(f"diff.{source}.{target}", f"{source}>{target}")
    FIGURES["messages"] += len(pairs) * MESSAGES_PER_PAIR
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


def differential(mq: Any, cases: Sequence[Case]) -> dict[str, list[str]]:
    """Seed, judge, boot, deliver, compare: each case's disagreements, described (empty: none)."""
    ids = seed_account(mq, cases)
    said = {minimum: rule_says(ids, minimum) for minimum in MINIMUMS}
    with boot(cases, ids) as cluster:
        arrived = deliveries(cluster, ids, [case.names for case in cases])
    return {case.title: compare(case, said, arrived) for case in cases}


# --- generated topologies --------------------------------------------------------------------------


def generated_cases(first: int, count: int) -> list[Case]:
    cases = []
    for seed in range(first, first + count):
        topology = generate(seed)
        failed_over = topology.after_failover()
        title = topology.describe() + (
            " (booted as after a failover: duplex plain failover: one way)" if failed_over else ""
        )
        print(title)
        engine = failed_over.configuration if failed_over else None
        cases.append(
            Case(title, topology.brokers, topology.standby, topology.configuration, "generated", engine_render=engine)
        )
    return cases


# --- published examples ----------------------------------------------------------------------------


def published_cases() -> list[Case]:
    """Each example of tests/data/published as written, with the endpoints of the brokers the test
    creates in place of those written (hosts.json says which broker each written endpoint means)."""
    cases = []
    for example in sorted(p for p in PUBLISHED.iterdir() if p.is_dir()):
        meta = json.loads((example / "hosts.json").read_text())
        written = {name: (example / f"{name}.xml").read_text() for name in meta["brokers"]}
        prefix = f"{example.name}-"

        def render(
            name: str, ids: Mapping[str, str], meta: Any = meta, written: Any = written, prefix: str = prefix
        ) -> str:
            xml: str = written[name.removeprefix(prefix)]
            for host, (broker, instance, shape) in meta["hosts"].items():
                xml = xml.replace(host, shape.format(emulator.endpoint(ids[prefix + broker], instance=instance)))
            return xml.replace("${AmazonMQBrokerUser}", "workshopUser")

        names = [prefix + name for name in meta["brokers"]]
        standby = {prefix + n for n, mode in meta["brokers"].items() if mode == "ACTIVE_STANDBY_MULTI_AZ"}
        cases.append(Case(meta["title"], names, standby, render, "published"))
    return cases


# --- the tests: one boot for the published examples and the first batch of seeds -------------------


@pytest.fixture(scope="module")
def outcome() -> Iterator[dict[str, dict[str, list[str]]]]:
    """kind -> case title -> disagreements. `make activemq-diff` runs generated topologies only."""
    missing = available()
    if missing is not None:  # the autouse fixture of conftest.py skips (fails under CI) each test
        yield {}
        return
    FIGURES.setdefault("first", time.monotonic())
    cases = generated_cases(FIRST_SEED, SEED_COUNT)
    batches = [cases[start : start + BATCH] for start in range(0, len(cases), BATCH)] or [[]]
    if os.environ.get("ACTIVEMQ_DIFF_ONLY_GENERATED") != "1":
        batches[0] = published_cases() + batches[0]
    found: dict[str, dict[str, list[str]]] = {"generated": {}, "published": {}}
    with mock_aws(), emulator.PagedListBrokers(), emulator.PriorResults():
        mq = boto3.client("mq", region_name=REGION)
        for batch in batches:
            results = differential(mq, batch)
            for case in batch:
                found[case.kind][case.title] = results[case.title]
    yield found


def _report(results: Mapping[str, list[str]]) -> str:
    return "rule and ActiveMQ disagree:\n" + "\n".join(
        f"{title}\n    " + "\n    ".join(problems) for title, problems in results.items() if problems
    )


def test_generated_topologies_agree_with_real_activemq(outcome: dict[str, dict[str, list[str]]]) -> None:
    """SEED_COUNT (24 in make test) topologies generated from seeds FIRST_SEED.., BATCH at a time."""
    results = outcome["generated"]
    assert len(results) == SEED_COUNT >= 1
    assert not any(results.values()), _report(results)


def test_published_examples_agree_with_real_activemq(outcome: dict[str, dict[str, list[str]]]) -> None:
    """The workshop's mesh and the developer guide's mesh, hub and spoke and concentrator, as written."""
    results = outcome["published"]
    if os.environ.get("ACTIVEMQ_DIFF_ONLY_GENERATED") == "1":
        pytest.skip("make activemq-diff runs generated topologies only")
    assert len(results) == len([p for p in PUBLISHED.iterdir() if p.is_dir()]) == 4
    assert not any(results.values()), _report(results)
