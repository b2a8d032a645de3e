"""Real Apache ActiveMQ brokers on loopback, started from Amazon MQ-style configurations.

An Amazon MQ configuration is the `<broker>` element alone. Each broker here gets it wrapped in
the Spring `<beans>` document ActiveMQ needs, with every Amazon MQ endpoint
(`ssl://b-<id>-<n>.mq.<region>.amazonaws.com:61617`) rewritten to the loopback port of the broker
instance it names, persistence off (or a shared store for an active/standby pair), its own
transports (OpenWire for bridges, STOMP for the test client) on 127.0.0.1 only, and a small heap.
Brokers are started in parallel and stopped by their process IDs. Debian's `activemq` package
(ActiveMQ 5.17, as Amazon MQ runs) provides the engine.

`Cluster(..., shared=N)` hosts many brokers in few JVMs (each broker its own `BrokerService`,
its own ports, bridges over TCP as between machines; the JVM start-up, not the brokers, is what
costs CPU on these 2-core machines): the serving instances in N processes, active/standby
instances in one more (an instance never shares a JVM with its pair, whose broker name and
`vm://` transport it shares). Spring refuses two beans of one name in one file, so each broker
has a file of its own, imported by its process's document; brokers whose configurations name
the same bean (a connector name, say) go to different processes. Each process logs its bridges
(`bridges()`), so a test can wait until every declared bridge is up before it sends.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

ACTIVEMQ_HOME = Path("/usr/share/activemq")
ACTIVEMQ_JAR = ACTIVEMQ_HOME / "bin" / "activemq.jar"
CORE = "http://activemq.apache.org/schema/core"
_ENDPOINT = re.compile(r"(?:ssl|tcp|nio\+ssl|nio)://(?P<label>[A-Za-z0-9-]+)\.mq\.[a-z0-9-]+\.amazonaws\.com\.?:\d+")
_ESTABLISHED = re.compile(
    r"Network connection between vm://(?P<local>[^#\s]+)#\S* and \S+ \((?P<remote>[^)]+)\) has been established"
)
# Bridges (org.apache.activemq.network) at INFO: the only way to see that a bridge is up without JMX.
LOG4J = """log4j.rootLogger=WARN, out
log4j.logger.org.apache.activemq.network=INFO
log4j.appender.out=org.apache.log4j.ConsoleAppender
log4j.appender.out.layout=org.apache.log4j.PatternLayout
log4j.appender.out.layout.ConversionPattern=%d{HH:mm:ss.SSS} %-5p %m%n
"""
BEANS = """<beans xmlns="http://www.springframework.org/schema/beans"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:schemaLocation="http://www.springframework.org/schema/beans http://www.springframework.org/schema/beans/spring-beans.xsd
  http://activemq.apache.org/schema/core http://activemq.apache.org/schema/core/activemq-core.xsd">
{broker}
</beans>
"""


def available() -> str | None:
    """None when ActiveMQ and Java can run here, else what to install."""
    if not ACTIVEMQ_JAR.exists():
        return "Debian's activemq package (apt-get install -y activemq)"
    if shutil.which("java") is None:
        return "a Java runtime (apt-get install -y default-jre-headless)"
    return None


def free_port() -> int:
    """A free port below the kernel's ephemeral range: a port the kernel hands out could be taken by
    a bridge's outgoing connection between choosing it and the broker binding it (seen with 100
    brokers starting at once)."""
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    for _ in range(1000):
        port = random.randrange(10000, max(low, 10001))
        if port in _HANDED_OUT:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _HANDED_OUT.add(port)
        return port
    raise RuntimeError("no free port below the ephemeral range")


_HANDED_OUT: set[int] = set()


@dataclass
class Instance:
    """One ActiveMQ process: the instance `<label>` (`<broker-id>-<n>`) of an Amazon MQ broker."""

    label: str
    openwire: int = field(default_factory=free_port)
    stomp: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    directory: Path | None = None
    started_in: float = 0.0
    process_name: str = ""  # shared mode: the JVM that hosts it


class Cluster:
    """The brokers of one topology: broker ID -> its configuration (`<broker>` XML) and instances."""

    def __init__(self, brokers: Mapping[str, str], instances: Mapping[str, int] | None = None, shared: int = 0) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="activemq-"))
        self.configurations = dict(brokers)
        self.shared = shared  # 0: one JVM per instance; N: serving instances in N JVMs (+1 for standbys)
        counts = instances or {}
        self.instances = {
            f"{broker_id}-{n}": Instance(f"{broker_id}-{n}")
            for broker_id in brokers
            for n in range(1, counts.get(broker_id, 1) + 1)
        }

    # --- configuration ---------------------------------------------------------------------------

    def spring_document(self, instance: Instance) -> str:
        broker_id = instance.label.rsplit("-", 1)[0]
        root = ET.fromstring(self.configurations[broker_id])
        ET.register_namespace("", CORE)
        shared = self.active_standby(broker_id)
        root.set("brokerName", broker_id)
        root.set("useJmx", "false")
        root.set("persistent", "true" if shared else "false")
        root.set("dataDirectory", str(self.root / broker_id / "data"))
        if self.shared:  # Spring starts every broker of the document (Amazon MQ's start="false" is its own)
            root.set("start", "true")
            # A failover: connector to a broker not up yet blocks its broker's start (and so Spring's,
            # and every broker after it in the JVM) until the peer answers: start connectors aside.
            root.set("networkConnectorStartAsync", "true")
            if instance.label.endswith("-2"):  # a standby waits on its lock without holding up the others
                root.set("startAsync", "true")
        for child in list(root):
            if _local(child.tag) in ("transportConnectors", "persistenceAdapter"):
                root.remove(child)
        transports = ET.SubElement(root, f"{{{CORE}}}transportConnectors")
        for name, uri in (
            ("openwire", f"tcp://127.0.0.1:{instance.openwire}"),
            ("stomp", f"stomp://127.0.0.1:{instance.stomp}"),
        ):
            ET.SubElement(transports, f"{{{CORE}}}transportConnector", {"name": name, "uri": uri})
        if shared:  # Amazon MQ's active/standby: two instances, one store, the standby waits on its lock
            adapter = ET.SubElement(root, f"{{{CORE}}}persistenceAdapter")
            ET.SubElement(adapter, f"{{{CORE}}}kahaDB", {"directory": str(self.root / broker_id / "kahadb")})
        for connector in root.iter(f"{{{CORE}}}networkConnector"):
            connector.set("uri", self.loopback(connector.get("uri") or ""))
            connector.attrib.pop("userName", None)  # the test brokers run without authentication
        _sort_children(root)
        return BEANS.format(broker=ET.tostring(root, encoding="unicode"))

    def loopback(self, uri: str) -> str:
        """Every Amazon MQ endpoint in `uri` pointed at the loopback port of the instance it names."""

        def port(match: re.Match[str]) -> str:
            label = match["label"].lower()
            target = self.instances.get(label)
            # An endpoint of a broker not in this topology: a port where nothing listens.
            return f"tcp://127.0.0.1:{target.openwire if target else _DEAD_PORT}"

        return _ENDPOINT.sub(port, uri)

    def active_standby(self, broker_id: str) -> bool:
        return f"{broker_id}-2" in self.instances

    def declared_bridges(self) -> set[tuple[str, str]]:
        """(declaring broker, peer broker) for every connector that names a broker of this cluster."""
        bridges = set()
        for broker_id, xml in self.configurations.items():
            for connector in ET.fromstring(xml).iter(f"{{{CORE}}}networkConnector"):
                for match in _ENDPOINT.finditer(connector.get("uri") or ""):
                    peer = match["label"].lower().rsplit("-", 1)[0]
                    if peer in self.configurations and peer != broker_id:
                        bridges.add((broker_id, peer))
        return bridges

    def bridges(self) -> set[tuple[str, str]]:
        """(local broker, remote broker) of every bridge the logs say was established."""
        logs = {i.directory / "broker.log" for i in self.instances.values() if i.directory}
        found = set()
        for log in logs:
            if log.exists():
                for match in _ESTABLISHED.finditer(log.read_text(errors="replace")):
                    found.add((match["local"], match["remote"]))
        return found

    def wait_bridges(self, timeout: float = 60.0) -> set[tuple[str, str]]:
        """Wait until every declared bridge is up; returns those still missing at the timeout."""
        wanted = self.declared_bridges()
        deadline = time.monotonic() + timeout
        while True:
            missing = wanted - self.bridges()
            if not missing or time.monotonic() > deadline:
                return missing
            time.sleep(0.25)

    # --- processes -------------------------------------------------------------------------------

    def start(self, labels: Iterable[str] | None = None, timeout: float = 60.0) -> None:
        """Start instances in parallel; wait until each active one accepts STOMP connections."""
        chosen = [self.instances[label] for label in (labels or self.instances)]
        deadline = time.monotonic() + timeout
        if self.shared:
            # Standbys start once the instances they stand by for serve (and hold their stores' locks).
            groups = self._processes(chosen)
            for name, group in groups.items():
                if not name.startswith("standby"):
                    self._launch_shared(name, group)
            self._wait_serving([i for i in chosen if not i.label.endswith("-2")], deadline)
            for name, group in groups.items():
                if name.startswith("standby"):
                    self._launch_shared(name, group)
        else:
            for instance in chosen:
                self._launch(instance)
        self._wait_serving(chosen, deadline)
        for instance in chosen:
            instance.started_in = time.monotonic() - instance.started_in_at  # type: ignore[attr-defined]

    def _wait_serving(self, chosen: list[Instance], deadline: float) -> None:
        # One instance of each broker serves; an active/standby pair's other one waits on the lock.
        waiting = {label.rsplit("-", 1)[0] for label in (i.label for i in chosen)}
        while waiting and time.monotonic() < deadline:
            waiting = {broker for broker in waiting if not self._serving(broker)}
            time.sleep(0.1)
        if waiting:
            logs = {i.label: _tail(i) for i in chosen if i.label.rsplit("-", 1)[0] in waiting}
            raise RuntimeError(f"ActiveMQ broker(s) {sorted(waiting)} did not start: {logs}")

    def _serving(self, broker_id: str) -> bool:
        return any(
            label.rsplit("-", 1)[0] == broker_id and _listening(instance.stomp)
            for label, instance in self.instances.items()
        )

    def _processes(self, chosen: Iterable[Instance]) -> dict[str, list[Instance]]:
        """Instances per JVM: serving instances spread over `shared` processes, standbys apart;
        no two instances of one process name the same bean (Spring would refuse the document)."""
        groups: dict[str, list[Instance]] = {}
        names: dict[str, set[str]] = {}
        for index, instance in enumerate(chosen):
            beans = self._bean_names(instance)
            kind = "standby" if instance.label.endswith("-2") else "serving"
            slots = 1 if kind == "standby" else self.shared
            start = 0 if kind == "standby" else index % slots  # spread topologies over the processes
            n = 0
            while True:
                name = f"{kind}{(start + n) % slots if n < slots else n}"
                if not names.setdefault(name, set()) & beans:
                    break
                n += 1
            names[name] |= beans
            groups.setdefault(name, []).append(instance)
        return groups

    def _bean_names(self, instance: Instance) -> set[str]:
        root = ET.fromstring(self.configurations[instance.label.rsplit("-", 1)[0]])
        # The harness replaces the transport connectors; network connector names are Spring beans.
        return {element.get("name") or "" for element in root.iter(f"{{{CORE}}}networkConnector")}

    def _launch_shared(self, name: str, group: list[Instance]) -> None:
        directory = self.root / f"jvm-{name}"
        (directory / "conf").mkdir(parents=True, exist_ok=True)
        (directory / "data").mkdir(exist_ok=True)
        imports = []
        for instance in group:
            (directory / "conf" / f"{instance.label}.xml").write_text(self.spring_document(instance))
            imports.append(f'<import resource="{instance.label}.xml"/>')
        (directory / "conf" / "activemq.xml").write_text(BEANS.format(broker="\n".join(imports)))
        heap = 64 + 6 * len(group)  # MB: a broker with a handful of messages needs a few
        process = self._java(directory, heap)
        for instance in group:
            instance.started_in_at = time.monotonic()  # type: ignore[attr-defined]
            instance.process, instance.directory, instance.process_name = process, directory, name

    def _java(self, directory: Path, heap: int, stack: str | None = "512k") -> subprocess.Popen[bytes]:
        """One ActiveMQ JVM on the activemq.xml in `directory`/conf (several brokers when shared)."""
        (directory / "conf" / "log4j.properties").write_text(LOG4J)
        command = [
            "java",
            "-Xms32m",
            f"-Xmx{heap}m",
            *([f"-Xss{stack}"] if stack else []),
            "-XX:TieredStopAtLevel=1",
            "-XX:+UseSerialGC",
            f"-Dactivemq.home={ACTIVEMQ_HOME}",
            f"-Dactivemq.base={directory}",
            f"-Dactivemq.conf={directory / 'conf'}",
            f"-Dactivemq.data={directory / 'data'}",
            "-jar",
            str(ACTIVEMQ_JAR),
            "start",
            f"xbean:file:{directory / 'conf' / 'activemq.xml'}",
        ]
        log = (directory / "broker.log").open("wb")
        JVMS_LAUNCHED[0] += 1
        return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=directory, start_new_session=True)

    def _launch(self, instance: Instance) -> None:
        directory = self.root / instance.label
        (directory / "conf").mkdir(parents=True, exist_ok=True)
        (directory / "data").mkdir(exist_ok=True)
        (directory / "conf" / "activemq.xml").write_text(self.spring_document(instance))
        instance.started_in_at = time.monotonic()  # type: ignore[attr-defined]
        instance.process = self._java(directory, heap=96, stack=None)
        instance.directory = directory

    def stop(self, label: str) -> None:
        """Kill the instance's process (in shared mode: with every instance that JVM hosts)."""
        instance = self.instances[label]
        if instance.process and instance.process.poll() is None:
            os.killpg(instance.process.pid, signal.SIGKILL)
            instance.process.wait(timeout=10)

    def close(self) -> None:
        for label in self.instances:
            self.stop(label)
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def wait_active(self, broker_id: str, timeout: float = 40.0) -> Instance:
        """The serving instance, waiting for a standby to take over (it polls its store's lock)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.active(broker_id)
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def active(self, broker_id: str) -> Instance:
        """The instance of the broker that serves clients now (the first whose STOMP port answers)."""
        for label, instance in self.instances.items():
            if label.rsplit("-", 1)[0] == broker_id and _listening(instance.stomp):
                return instance
        raise RuntimeError(f"no instance of {broker_id} is serving")


JVMS_LAUNCHED = [0]  # Java processes started by every Cluster of this run (for the summary)
_DEAD_PORT = 9  # discard: nothing listens there on these machines


def _tail(instance: Instance) -> str:
    log = (instance.directory / "broker.log") if instance.directory else None
    return log.read_text(errors="replace")[-600:] if log and log.exists() else ""


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1]


def _sort_children(root: ET.Element) -> None:
    """ActiveMQ's schema wants the broker's child elements in alphabetical order."""
    children = sorted(list(root), key=lambda child: _local(child.tag))
    for child in list(root):
        root.remove(child)
    root.extend(children)
