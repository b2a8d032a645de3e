"""Reading network connectors from ActiveMQ configurations, and the graph they make (pure)."""

from __future__ import annotations

import base64

import pytest

from mq_network.core.connectors import (
    MAX_CONFIGURATION_BYTES,
    ConfigurationError,
    decode_revision,
    parse_connectors,
    peer_of,
)
from mq_network.core.network import memberships

CORE = "http://activemq.apache.org/schema/core"


def configuration(*connectors: str, commented: str = "") -> str:
    block = f"<networkConnectors>{''.join(connectors)}</networkConnectors>" if connectors else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<broker xmlns="{CORE}">'
        f"{commented}{block}<transportConnectors/></broker>"
    )


def connector(name: str, uri: str, duplex: bool = True) -> str:
    from xml.sax.saxutils import quoteattr

    return (
        f'<networkConnector name={quoteattr(name)} uri={quoteattr(uri)} duplex="{str(duplex).lower()}" userName="nob"/>'
    )


HOST = "{}-1.mq.us-east-1.amazonaws.com"


def test_amazon_mq_default_configuration_has_only_a_commented_block() -> None:
    default = configuration(
        commented=(
            '<!-- <networkConnectors> <networkConnector name="c" '
            'uri="static:(ssl://b-x-1.mq.us-east-1.amazonaws.com:61617)"/> </networkConnectors> -->'
        )
    )
    assert parse_connectors(default).connectors == ()


def test_single_instance_peer() -> None:
    report = parse_connectors(configuration(connector("to2", f"static:(ssl://{HOST.format('b-2222')}:61617)")))
    [found] = report.connectors
    assert found.name == "to2"
    assert found.duplex is True
    assert [(p.broker_id, p.region) for p in found.peers] == [("b-2222", "us-east-1")]


@pytest.mark.parametrize("wrapper", ["static:(failover:({}))", "masterslave:({})", "static:(failover:({})?a=b)#x"])
def test_active_standby_peer_through_failover_or_masterslave(wrapper: str) -> None:
    uri = wrapper.format(
        "ssl://b-3333-1.mq.eu-west-1.amazonaws.com:61617,ssl://b-3333-2.mq.eu-west-1.amazonaws.com:61617"
    )
    [found] = parse_connectors(configuration(connector("standby", uri))).connectors
    assert {p.broker_id for p in found.peers} == {"b-3333"}
    assert {p.region for p in found.peers} == {"eu-west-1"}
    assert len(found.peers) == 2  # both instances, one broker


def test_several_uris_in_one_connector_and_no_namespace() -> None:
    xml = (
        "<broker><networkConnectors>"
        + connector(
            "mesh",
            "static:(ssl://b-a-1.mq.us-east-1.amazonaws.com:61617,tcp://onprem.example.com:61616)",
            False,
        )
        + "</networkConnectors></broker>"
    )
    [found] = parse_connectors(xml).connectors
    assert found.duplex is False
    assert [p.broker_id for p in found.peers] == ["b-a", "onprem.example.com"]
    assert found.peers[1].region is None


@pytest.mark.parametrize(
    "uri",
    [
        "",
        "static:()",
        "static:(ssl://:61617)",
        "static:(ssl://b-1-1.mq.us-east-1.amazonaws.com:61617",
        "nonsense",
    ],
)
def test_connector_with_a_malformed_uri_is_reported_not_counted(uri: str) -> None:
    report = parse_connectors(
        configuration(connector("bad", uri), connector("good", f"static:(ssl://{HOST.format('b-9')}:61617)"))
    )
    assert [c.name for c in report.connectors] == ["good"]
    assert len(report.malformed) == 1
    assert report.malformed[0].startswith("bad: ") and f"(uri {uri!r})" in report.malformed[0]


def test_revision_data_is_base64_and_raw_xml_is_refused() -> None:
    """AWS's Data is always base64 (moto's raw default revision is made base64 by the emulator)."""
    xml = configuration()
    assert decode_revision(base64.b64encode(xml.encode()).decode()) == xml
    with pytest.raises(ConfigurationError, match="not base64"):
        decode_revision(xml)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ("!!!not base64!!!", "not base64"),
        (base64.b64encode(b"\xff\xfe\x00bad").decode(), "not UTF-8"),
        ("A" * (MAX_CONFIGURATION_BYTES * 2), "larger than 1024 KiB"),
    ],
)
def test_unreadable_revision_data(data: str, reason: str) -> None:
    with pytest.raises(ConfigurationError, match=reason):
        decode_revision(data)


@pytest.mark.parametrize(
    ("xml", "reason"),
    [
        ("<broker><networkConnectors>", "not well-formed XML"),
        ("not xml at all", "not well-formed XML"),
        (
            '<?xml version="1.0"?><!DOCTYPE b [<!ENTITY a "aaaaaaaaaa">'
            '<!ENTITY b "&a;&a;&a;&a;&a;">]><broker>&b;</broker>',
            "forbidden construct",
        ),
        (
            '<?xml version="1.0"?><!DOCTYPE b [<!ENTITY x SYSTEM "file:///etc/passwd">]><broker>&x;</broker>',
            "forbidden construct",
        ),
        ("<broker>" + " " * (MAX_CONFIGURATION_BYTES + 1) + "</broker>", "larger than"),
    ],
    ids=["truncated", "text", "entity expansion", "external entity", "oversized"],
)
def test_bad_xml_is_refused_safely(xml: str, reason: str) -> None:
    with pytest.raises(ConfigurationError, match=reason):
        parse_connectors(xml)


def test_peer_of_hosts() -> None:
    assert peer_of("B-ABC-2.MQ.US-WEST-2.AMAZONAWS.COM") == peer_of("b-abc-2.mq.us-west-2.amazonaws.com")
    assert peer_of("b-abc-2.mq.us-west-2.amazonaws.com").broker_id == "b-abc"
    assert peer_of("b-abc-1.mq.cn-north-1.amazonaws.com.cn") == (
        "b-abc-1.mq.cn-north-1.amazonaws.com.cn",
        "b-abc",
        "cn-north-1",
    )
    assert peer_of("10.0.0.5").broker_id == "10.0.0.5"


@pytest.mark.parametrize(
    "host",
    [
        "b-abc.mq.cn-north-1.amazonaws.com.cn",  # no instance number
        "b-abc-7.mq.us-east-1.amazonaws.com",  # Amazon MQ has instances 1 and 2 only
        "b-abc-1.mq.ap-south-1.amazonaws.com.cn",  # the China domain outside the China regions
        "b-abc-1.mq.cn-north-1.amazonaws.com",  # a China region outside its partition's domain
        "b-abc-1.mq.us-east-1.amazonaws.com.evil.example",
    ],
)
def test_only_an_endpoint_as_amazon_mq_writes_it_names_a_broker(host: str) -> None:
    assert peer_of(host) == (host, host, None)


def test_a_peer_is_a_broker_of_the_region_only_at_its_endpoint_in_that_region_and_partition() -> None:
    """Issue 18, finding 3: `ssl://<B's id>-7.mq.ap-south-1.amazonaws.com.cn` counted as B in us-east-1."""
    names = {"b-aaaa": "lonely-a", "b-bbbb": "lonely-b"}
    for fake in (
        "static:(ssl://b-bbbb-7.mq.ap-south-1.amazonaws.com.cn:61617)",
        "static:(ssl://b-bbbb-1.mq.eu-west-1.amazonaws.com:61617)",  # the same ID in another region
    ):
        graph = memberships(
            reports(**{"b-aaaa": configuration(connector("c", fake)), "b-bbbb": configuration()}),  # type: ignore[arg-type]
            names,
            count_unverified=False,
            region="us-east-1",
        )
        assert graph["b-bbbb"].network_size == 1 and graph["b-bbbb"].peers == ()
        assert graph["b-aaaa"].network_size == 1, fake
    real = memberships(
        reports(**{"b-aaaa": configuration(connector("c", uri("b-bbbb"))), "b-bbbb": configuration()}),  # type: ignore[arg-type]
        names,
        region="us-east-1",
    )
    assert real["b-bbbb"].peers == ("lonely-a",)


def test_a_fragment_is_dropped_as_activemq_drops_it() -> None:
    """Issue 18, finding 3: URISupport.parseComposite keeps only the part before `#`."""
    hidden = "static:(ssl://127.0.0.1:61617)#(ssl://x@b-bbbb-1.mq.us-east-1.amazonaws.com:61617)"
    report = parse_connectors(configuration(connector("c", hidden)))
    [found] = report.connectors
    assert found.peers == () and [i.host for i in found.ignored] == ["127.0.0.1"]
    graph = memberships(
        reports(**{"b-aaaa": configuration(connector("c", hidden)), "b-bbbb": configuration()}),  # type: ignore[arg-type]
        {"b-aaaa": "a", "b-bbbb": "b"},
        region="us-east-1",
    )
    assert graph["b-aaaa"].network_size == graph["b-bbbb"].network_size == 1


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("2130706433", "127.0.0.1"),
        ("127.000.000.001", "127.0.0.1"),
        ("0", "0.0.0.0"),
        ("00", "0.0.0.0"),
        ("0127.0.0.1", "127.0.0.1"),  # Java reads leading zeros as decimal
        ("0x7f000001", "127.0.0.1"),  # Java refuses it; a C resolver (inet_aton) reads hex
        ("017700000001", "127.0.0.1"),  # octal to inet_aton
        ("[::ffff:127.0.0.1]", "127.0.0.1"),
        ("[::]", "::"),
    ],
)
def test_ipv4_literals_in_every_notation_never_pass_as_external_peers(host: str, address: str) -> None:
    """Issue 18, finding 3: Java resolves 2130706433, 127.000.000.001 and 0 to loopback/any."""
    report = parse_connectors(configuration(connector("c", f"static:(tcp://{host}:61616)")))
    [found] = report.connectors
    assert found.peers == ()
    assert any(word in found.ignored[0].reason for word in ("loopback", "unspecified")), found.ignored
    graph = memberships({"b-aaaa": report}, {"b-aaaa": "a"}, region="us-east-1")
    assert graph["b-aaaa"].network_size == 1 and graph["b-aaaa"].external_peers == ()


@pytest.mark.parametrize("host", ["127.1", "127.0.1", "0x7f.1", "my_host.example.com", "127.0.0.256"])
def test_hosts_java_reads_no_host_in_link_nothing(host: str) -> None:
    """java.net.URI reads no host in these (tests/activemq/test_uri_reader.py): ActiveMQ connects nowhere."""
    report = parse_connectors(configuration(connector("c", f"static:(tcp://{host}:61616)")))
    assert report.connectors == () and report.malformed == (f"c: names no host (uri 'static:(tcp://{host}:61616)')",)


@pytest.mark.parametrize(
    "uri_text",
    [
        "static:(ssl://meshuser:S3cr3t-Passw0rd@b-bbbb-1.mq.us-east-1.amazonaws.com:61617",  # missing )
        "static:(ssl://meshuser:S3cr3t-Passw0rd@b-bbbb-1.mq.us-east-1.amazonaws.com:61617) trailing",
        "ssl://meshuser:S3cr3t-Passw0rd@b-bbbb-1.mq.us-east-1.amazonaws.com:61617",
        "static:(ssl://meshuser:S3cr3t-Passw0rd@127.0.0.1:61617)",
        "static:(ssl://b-bbbb-1.mq.us-east-1.amazonaws.com:61617?password=S3cr3t-Passw0rd)#x",
        "static:(SSL://meshuser:S3cr3t-Passw0rd@host:1)",
        "static:(tcp://meshuser:S3cr3t-Passw0rd@127.1:1)",
    ],
)
def test_a_password_never_reaches_what_the_rule_quotes(uri_text: str) -> None:
    """Issue 18, finding 4: a URI with credentials that cannot be parsed was quoted raw."""
    report = parse_connectors(configuration(connector("c", uri_text)))
    graph = memberships({"b-aaaa": report}, {"b-aaaa": "a"}, region="us-east-1")
    said = repr((report, graph))
    assert "S3cr3t" not in said and "meshuser" not in said


def reports(**configs: str) -> dict[str, object]:
    return {broker_id: parse_connectors(xml) for broker_id, xml in configs.items()}


def uri(*ids: str, region: str = "us-east-1") -> str:
    return "static:(" + ",".join(f"ssl://{i}-1.mq.{region}.amazonaws.com:61617" for i in ids) + ")"


def test_full_mesh_of_three() -> None:
    names = {"b-1": "m-Broker-1", "b-2": "m-Broker-2", "b-3": "m-Broker-3"}
    graph = memberships(
        reports(
            **{
                "b-1": configuration(connector("c", uri("b-2", "b-3"))),
                "b-2": configuration(connector("c", uri("b-3"))),
                "b-3": configuration(),
            }
        ),  # type: ignore[arg-type]
        names,
    )
    assert {b: m.network_size for b, m in graph.items()} == {"b-1": 3, "b-2": 3, "b-3": 3}
    assert graph["b-3"].peers == ("m-Broker-1", "m-Broker-2")


def test_hub_and_spoke_spokes_without_connectors_are_members() -> None:
    names = {"hub": "hub", "s1": "s1", "s2": "s2", "alone": "alone"}
    graph = memberships(
        reports(
            hub=configuration(connector("c", uri("s1", "s2"))),
            s1=configuration(),
            s2=configuration(),
            alone=configuration(),
        ),  # type: ignore[arg-type]
        names,
    )
    assert graph["s1"].peers == ("hub",)
    assert graph["hub"].network_size == 3
    # ActiveMQ's default networkTTL of 1: a message from s1 reaches the hub, never s2 (seen on
    # real ActiveMQ, tests/activemq); the annotation says why the rest does not count.
    assert graph["s1"].network_size == 2
    assert "1 more linked broker(s) beyond networkTTL" in graph["s1"].ignored
    assert graph["alone"].network_size == 1
    assert graph["alone"].peers == ()
    wide = memberships(
        reports(
            hub=configuration(connector("c", uri("s1", "s2")).replace("/>", ' networkTTL="2"/>')),
            s1=configuration(),
            s2=configuration(),
        ),  # type: ignore[arg-type]
        {"hub": "hub", "s1": "s1", "s2": "s2"},
    )
    assert wide["s1"].network_size == 3  # with networkTTL="2" every direction is delivered


def test_a_one_way_connector_makes_both_brokers_members_and_is_named() -> None:
    """Real ActiveMQ carries messages along a duplex="false" bridge (tests/activemq): both count."""
    graph = memberships(
        reports(a=configuration(connector("to-b", uri("b"), duplex=False)), b=configuration()),  # type: ignore[arg-type]
        {"a": "a", "b": "b"},
    )
    assert graph["a"].network_size == graph["b"].network_size == 2
    assert graph["a"].peers == ("b",) and graph["b"].peers == ("a",)
    assert graph["a"].ignored == graph["b"].ignored == ()
    assert graph["a"].one_way == ("to-b -> b: duplex=false (out only)",)
    assert graph["b"].one_way == ("a's to-b -> b: duplex=false (in only)",)


def test_the_guides_concentrator_is_a_network() -> None:
    """The developer guide's concentrator shape: Broker3..5 forward one way (duplex="false") to
    Broker1 and Broker2. Every broker is in a network; its size counts the brokers messages cross
    to or from it within the default networkTTL of 1 (the published XML: tests/activemq)."""
    edge = configuration(
        connector("to-1", uri("Broker1"), duplex=False), connector("to-2", uri("Broker2"), duplex=False)
    )
    graph = memberships(
        reports(
            Broker1=configuration(),
            Broker2=configuration(),
            Broker3=edge,
            Broker4=edge,
            Broker5=edge,
        ),  # type: ignore[arg-type]
        {f"Broker{n}": f"Broker{n}" for n in range(1, 6)},
    )
    assert graph["Broker1"].network_size == graph["Broker2"].network_size == 4
    assert {graph[f"Broker{n}"].network_size for n in (3, 4, 5)} == {3}
    assert graph["Broker3"].one_way == (
        "to-1 -> Broker1: duplex=false (out only)",
        "to-2 -> Broker2: duplex=false (out only)",
    )
    assert "Broker3's to-1 -> Broker1: duplex=false (in only)" in graph["Broker1"].one_way


@pytest.mark.parametrize(
    ("attributes", "ttl", "size"),
    [
        ('consumerTTL="1" messageTTL="-1"', 1, 2),  # aws-samples/amazon-mq-workshop's connectors
        ('networkTTL="-1"', None, 3),
        ('messageTTL="-1" consumerTTL="-1"', None, 3),
        ('networkTTL="2" messageTTL="-1"', 2, 3),
        ('networkTTL="1" messageTTL="-1" consumerTTL="-1"', 1, 2),  # networkTTL is set last (real ActiveMQ)
        ('messageTTL="-1" consumerTTL="-1" networkTTL="1"', 1, 2),  # whatever the order written
        ('networkTTL="3" messageTTL="1"', 3, 3),
        ('messageTTL="2" consumerTTL="3"', 2, 3),
        ('messageTTL="0"', 0, 1),  # no message may cross even one bridge
    ],
)
def test_a_negative_ttl_is_no_limit_as_in_activemq(attributes: str, ttl: int | None, size: int) -> None:
    """A chain a -> b -> c of duplex connectors: a reaches c only if two hops are allowed."""
    a_to_b = connector("c", uri("b")).replace("/>", f" {attributes}/>")
    b_to_c = connector("c", uri("c")).replace("/>", f" {attributes}/>")
    [found] = parse_connectors(configuration(a_to_b)).connectors
    assert found.ttl == ttl
    graph = memberships(
        reports(a=configuration(a_to_b), b=configuration(b_to_c), c=configuration()),  # type: ignore[arg-type]
        {"a": "a", "b": "b", "c": "c"},
    )
    assert graph["a"].network_size == size


@pytest.mark.parametrize(
    ("first", "second", "a_reaches_c"),
    [
        # bridge 0 of 2: its consumerTTL 1 counts the one bridge between it and c's consumer
        ('messageTTL="3" consumerTTL="1"', 'networkTTL="3"', False),
        # bridge 1 of 2 is the consumer's own: consumerTTL 1 is enough there, messageTTL 3 lets hop 1 cross
        ('networkTTL="3"', 'messageTTL="3" consumerTTL="1"', True),
        ('consumerTTL="2" messageTTL="-1"', 'consumerTTL="1" messageTTL="2"', True),
        ('consumerTTL="-1" messageTTL="1"', 'consumerTTL="-1" messageTTL="1"', False),  # hop 1 exceeds messageTTL
    ],
)
def test_consumer_ttl_counts_the_bridges_to_the_consumer_message_ttl_the_hops_made(
    first: str, second: str, a_reaches_c: bool
) -> None:
    """One-way a -> b -> c, as real ActiveMQ forwards (tests/activemq/test_differential.py seeds 11,
    13, 16, 24): bridge i of k carries a message when i < messageTTL and k-1-i < consumerTTL."""
    a_to_b = connector("c", uri("b"), duplex=False).replace("/>", f" {first}/>")
    b_to_c = connector("c", uri("c"), duplex=False).replace("/>", f" {second}/>")
    graph = memberships(
        reports(a=configuration(a_to_b), b=configuration(b_to_c), c=configuration()),  # type: ignore[arg-type]
        {"a": "a", "b": "b", "c": "c"},
    )
    assert graph["a"].network_size == (3 if a_reaches_c else 2)
    assert graph["c"].network_size == (3 if a_reaches_c else 2)


def test_a_ttl_that_is_not_a_java_int_is_malformed() -> None:
    for written in ("x", "1.5", "99999999999", ""):
        report = parse_connectors(configuration(connector("c", uri("b")).replace("/>", f' networkTTL="{written}"/>')))
        assert report.malformed == ("c: networkTTL, messageTTL and consumerTTL must be whole numbers",), written


@pytest.mark.parametrize(
    ("wrapper", "both_ways"),
    [
        ("masterslave:(ssl://{h1}:61617,ssl://{h2}:61617)", True),
        ("static:(failover:(ssl://{h1}:61617,ssl://{h2}:61617)?randomize=false&maxReconnectAttempts=0)", True),
        ("static:(failover:(ssl://{h1}:61617,ssl://{h2}:61617))", False),
    ],
)
def test_links_to_an_active_standby_peer_count_and_the_form_that_loses_the_way_back_is_named(
    wrapper: str, both_ways: bool
) -> None:
    """After a failover, a duplex static:(failover:(...)) still carries messages one way (real
    ActiveMQ, tests/activemq): both brokers count, and the annotation names the link."""
    uri_text = wrapper.format(h1=HOST.format("b-2222").replace("-1.", "-1."), h2="b-2222-2.mq.us-east-1.amazonaws.com")
    graph = memberships(
        reports(**{"b-1111": configuration(connector("to-pair", uri_text)), "b-2222": configuration()}),  # type: ignore[arg-type]
        {"b-1111": "single", "b-2222": "pair"},
    )
    assert graph["b-1111"].network_size == graph["b-2222"].network_size == 2
    if both_ways:
        assert graph["b-1111"].one_way == ()
    else:
        assert graph["b-1111"].one_way == ("to-pair -> pair: one way after a failover (use masterslave:) (out only)",)


def test_cross_region_and_foreign_peers_are_external_members() -> None:
    names = {"b-1": "dr-primary"}
    graph = memberships(
        reports(**{"b-1": configuration(connector("dr", uri("b-far", region="us-west-2")))}),  # type: ignore[arg-type]
        names,
    )
    assert graph["b-1"].external_peers == ("b-far-1.mq.us-west-2.amazonaws.com",)
    assert graph["b-1"].network_size == 2


def test_a_connector_to_its_own_standby_is_no_network() -> None:
    graph = memberships(reports(**{"b-1": configuration(connector("self", uri("b-1")))}), {"b-1": "x"})  # type: ignore[arg-type]
    assert graph["b-1"].network_size == 1
    assert graph["b-1"].peers == ()


def test_brokers_whose_configuration_was_not_read_still_get_linked_by_others() -> None:
    graph = memberships(reports(hub=configuration(connector("c", uri("quiet")))), {"hub": "hub", "quiet": "quiet"})  # type: ignore[arg-type]
    assert graph["quiet"].peers == ("hub",)
    assert graph["quiet"].malformed == ()


def test_a_large_ring_walks_each_component_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 1,000-broker ring once cost O(N^2 x edges) (54 s); each component is now walked once."""
    from mq_network.core import network

    size = 400
    ids = [f"b-{n}" for n in range(size)]
    configs = {ids[n]: configuration(connector("c", uri(ids[(n + 1) % size]), duplex=True)) for n in range(size)}
    calls = 0
    real = network._Graph.neighbours

    def counted(self: object, node: str) -> set[str]:
        nonlocal calls
        calls += 1
        return real(self, node)  # type: ignore[arg-type]

    monkeypatch.setattr(network._Graph, "neighbours", counted)
    graph = memberships(reports(**configs), {i: f"ring-Broker-{n}" for n, i in enumerate(ids)})  # type: ignore[arg-type]
    assert all(m.network_size == 3 for m in graph.values())  # networkTTL 1: itself and its two neighbours
    assert calls <= 2 * size  # one walk of the component, plus each broker's own neighbours
