"""The rule's URI reader (mq_network/uris.py) against ActiveMQ's own, URI by URI.

java/UriOracle.java is compiled at test time against the jars of Debian's activemq package and
reads each URI the way a networkConnector does (java.net.URI, DiscoveryAgentFactory, the static
or masterslave agent's services, URISupport.parseComposite for failover:/fanout:). The rule's
reader must refuse the same URIs and find the same transports, hosts and ports, in order.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from mq_network.core.uris import UriError, read_uri

from .conftest import FIGURES
from .harness import ACTIVEMQ_HOME

ORACLE = Path(__file__).parent / "java" / "UriOracle.java"
CLASSPATH = f"{ACTIVEMQ_HOME / 'lib'}/*"
B = "b-0f0f0f0f-1111-2222-3333-444455556666"

URIS = [
    # the forms Amazon MQ documents, and what people write around them
    f"static:(ssl://{B}-1.mq.us-east-1.amazonaws.com:61617)",
    f"masterslave:(ssl://{B}-1.mq.us-east-1.amazonaws.com:61617,ssl://{B}-2.mq.us-east-1.amazonaws.com:61617)",
    f"static:(failover:(ssl://{B}-1.mq.us-east-1.amazonaws.com:61617,ssl://{B}-2.mq.us-east-1.amazonaws.com:61617)"
    "?randomize=false&maxReconnectAttempts=0)",
    f"static:(failover:(ssl://{B}-1.mq.us-east-1.amazonaws.com:61617,ssl://{B}-2.mq.us-east-1.amazonaws.com:61617))",
    "static:(ssl://a.example.com:61617,tcp://onprem.example.com:61616)?useExponentialBackOff=false&maxDelay=30000",
    "static:(failover:(fanout:(tcp://x.example.com:1,tcp://y.example.com:2)),tcp://z.example.com:3)?a=b",
    "static:( ssl://spaced.example.com:61617 )",
    "static:ssl://no-parentheses.example.com:61617",
    "static://(ssl://slashes.example.com:61617)",
    "simple:(tcp://simple.example.com:61616)",
    "static:(nio+ssl://nio.example.com:61617,nio://nio2.example.com:61616)",
    "static:(ssl://host.example.com:61617/path?wireFormat.maxInactivityDuration=30000)",
    "static:(ssl://trailing-dot.example.com.:61617)",
    "static:(ssl://UPPER.Example.COM:61617)",
    "static:(ssl://h.example.com)",
    "static:(ssl://h.example.com:1,,ssl://i.example.com:2)",
    "  static:(ssl://outer-spaces.example.com:61617)  ",
    # issue 18's hostile ones
    f"static:(ssl://127.0.0.1:61617)#(ssl://x@{B}-1.mq.us-east-1.amazonaws.com:61617)",
    f"static:(failover:(ssl://127.0.0.1:61617)#(ssl://{B}-1.mq.us-east-1.amazonaws.com:61617))",
    f"static:(ssl://{B}-7.mq.ap-south-1.amazonaws.com.cn:61617)",
    "static:(tcp://2130706433:61616)",
    "static:(tcp://127.000.000.001:61616)",
    "static:(tcp://0:61616)",
    "static:(tcp://127.1:61616,tcp://127.0.1:61616,tcp://0x7f000001:61616,tcp://0x7f.1:61616)",
    "static:(tcp://0177.0.0.1:1,tcp://017700000001:2,tcp://127.0.0.256:3,tcp://4294967295:4)",
    "static:(tcp://[::1]:61616,tcp://[::ffff:127.0.0.1]:61616,tcp://[::]:61616)",
    f"static:(ssl://meshuser:S3cr3t-Passw0rd@{B}-1.mq.us-east-1.amazonaws.com:61617",
    f"static:(ssl://meshuser:S3cr3t-Passw0rd@{B}-1.mq.us-east-1.amazonaws.com:61617)",
    "static:(ssl://user@pass@two-ats.example.com:61617)",
    "static:(ssl://my_host.example.com:61617)",
    "static:(ssl://host.example.com:notaport)",
    "static:(ssl://host.example.com:99999999999)",
    "static:(ssl://h%41.example.com:61617)",
    "static:(ssl://-dash.example.com:61617)",
    "static:(ssl://:61617)",
    "static:()",
    "static:(ssl://a.example.com:1))(",
    "static:(failover:(ssl://a.example.com:1)?maxReconnectAttempts=0)(x)?y=z",
    "static:(ssl://a.example.com:1)?password=S3cr3t&(x)",
    "static:(ssl://a.example.com:1)#x#y",
    "static:(ssl://a b.example.com:1)",
    # not a listing agent, or no agent at all
    "multicast://default",
    "static:(discovery:(multicast://default))",
    "static:(vm://localhost,peer://group/broker)",
    "discovery:(multicast://default)",
    f"ssl://{B}-1.mq.us-east-1.amazonaws.com:61617",
    "failover:(ssl://h.example.com:61617)",
    "Static:(ssl://h.example.com:61617)",
    "static:(masterslave:(ssl://h.example.com:61617))",
    "nonsense",
    "",
]


def ours(uri: str) -> str:
    """The rule's reading, in the oracle's words."""
    try:
        reading = read_uri(uri)
    except UriError:
        return "INVALID"
    leaves = "".join(f"\tLEAF {_java(t.scheme)} {_java(t.host)} {t.port}" for t in reading.transports)
    return f"AGENT {reading.agent}{leaves}"


def _java(text: str | None) -> str:
    return "null" if text is None else text


@pytest.fixture(scope="module")
def activemq_reads(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Sequence[str]], list[str]]:
    if shutil.which("javac") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("the URI reader test must run in CI: install a JDK (default-jdk-headless; make activemq does)")
        pytest.skip("URI READER TEST SKIPPED: install a JDK (apt-get install -y default-jdk-headless)")
    build = tmp_path_factory.mktemp("uri-oracle")
    subprocess.run(["javac", "-cp", CLASSPATH, "-d", str(build), str(ORACLE)], check=True, timeout=300)

    def read(uris: Sequence[str]) -> list[str]:
        listing = build / "uris.txt"
        listing.write_text("".join(f"{uri}\n" for uri in uris), encoding="utf-8")
        done = subprocess.run(
            ["java", "-cp", f"{CLASSPATH}:{build}", "UriOracle", str(listing)],
            capture_output=True,
            text=True,
            check=True,
            timeout=300,
        )
        return done.stdout.splitlines()

    return read


def test_the_rules_uri_reader_reads_what_activemq_reads(activemq_reads: Callable[[Sequence[str]], list[str]]) -> None:
    theirs = activemq_reads(URIS)
    assert len(theirs) == len(URIS), theirs
    differences = [
        f"{uri!r}:\n  ActiveMQ: {expected}\n  rule:     {ours(uri)}"
        for uri, expected in zip(URIS, theirs, strict=True)
        if ours(uri) != expected
    ]
    FIGURES["topologies"].append(
        (f"URI reader: {len(URIS)} URIs", "same as ActiveMQ's" if not differences else f"{len(differences)} differ")
    )
    assert not differences, "\n".join(differences)
    # The hostile ones read as the issue says ActiveMQ reads them.
    fragment = f"static:(ssl://127.0.0.1:61617)#(ssl://x@{B}-1.mq.us-east-1.amazonaws.com:61617)"
    assert ours(fragment) == "AGENT static\tLEAF ssl 127.0.0.1 61617"
    assert ours("static:(tcp://127.1:61616)") == "AGENT static\tLEAF tcp null -1"
