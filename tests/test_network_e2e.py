"""CheckMode connectors and both, end to end on moto with real ActiveMQ configurations."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from faults import failing_answers
from helpers import by_id, run
from support import emulator
from support.emulator import (
    BrokerSeed,
    activemq_xml,
    apply_configuration,
    endpoint,
    link_brokers,
    static_uri,
)

CONNECTORS = {"CheckMode": "connectors"}


def verdicts(result: list[dict[str, Any]], ids: dict[str, str]) -> dict[str, str]:
    evaluations = by_id(result)
    return {name: evaluations[broker_id]["ComplianceType"] for name, broker_id in ids.items()}


def annotation(result: list[dict[str, Any]], broker_id: str) -> str:
    return str(by_id(result)[broker_id]["Annotation"])


def test_full_mesh_of_three(mq: Any, prior: Any, calls: Any) -> None:
    ids = emulator.seed_brokers(mq, [BrokerSeed(f"m-{n}") for n in (1, 2, 3)])
    link_brokers(mq, ids, {"m-1": ("m-2", "m-3"), "m-2": ("m-3",)})
    calls.calls.clear()
    result = run(emulator.scheduled_event(CONNECTORS))
    assert verdicts(result, ids) == dict.fromkeys(ids, "COMPLIANT")
    assert "in a network of 3 brokers, linked to m-1, m-2" in annotation(result, ids["m-3"])
    assert calls.calls["mq:DescribeBroker"] == 3
    assert calls.calls["mq:DescribeConfigurationRevision"] == 3


def test_hub_and_spoke_spokes_need_no_connectors_of_their_own(mq: Any, prior: Any) -> None:
    ids = emulator.seed_brokers(mq, [BrokerSeed("hub"), BrokerSeed("spoke-a"), BrokerSeed("spoke-b")])
    link_brokers(mq, ids, {"hub": ("spoke-a", "spoke-b")})
    result = run(emulator.scheduled_event(CONNECTORS))
    assert verdicts(result, ids) == dict.fromkeys(ids, "COMPLIANT")
    assert "linked to hub" in annotation(result, ids["spoke-a"])


def test_member_name_with_only_the_commented_default_block(mq: Any, prior: Any) -> None:
    ids = emulator.seed_brokers(mq, [BrokerSeed("x-Broker-1")])
    apply_configuration(mq, ids["x-Broker-1"], activemq_xml())
    assert run(emulator.scheduled_event())[0]["ComplianceType"] == "COMPLIANT"  # name mode is fooled
    [evaluation] = run(emulator.scheduled_event(CONNECTORS))
    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert "it has no network connector and no broker in its region connects to it" in evaluation["Annotation"]


@pytest.mark.parametrize(
    ("form", "both_ways"),
    [
        ("masterslave:({a},{b})", True),
        ("static:(failover:({a},{b})?randomize=false&maxReconnectAttempts=0)", True),
        ("static:(failover:({a},{b}))", False),  # loses the way back after a failover: one way
    ],
)
def test_active_standby_peer_in_the_forms_amazon_mq_documents(mq: Any, prior: Any, form: str, both_ways: bool) -> None:
    ids = emulator.seed_brokers(mq, [BrokerSeed("single"), BrokerSeed("pair", "ACTIVE_STANDBY_MULTI_AZ")])
    pair = ids["pair"]
    a, b = (f"ssl://{endpoint(pair, instance=n)}:61617" for n in (1, 2))
    apply_configuration(mq, ids["single"], activemq_xml([("to-pair", form.format(a=a, b=b))]))
    result = run(emulator.scheduled_event(CONNECTORS))
    assert verdicts(result, ids) == {"single": "COMPLIANT", "pair": "COMPLIANT"}
    assert "network of 2 brokers, linked to pair" in annotation(result, ids["single"])
    named = "to-pair -> pair: one way after a failover (use masterslave:)" in annotation(result, ids["single"])
    assert named is not both_ways


def test_cross_region_peer_is_an_external_member(mq: Any, prior: Any) -> None:
    ids = emulator.seed_brokers(mq, [BrokerSeed("dr-primary")])
    far = endpoint("b-0f0f0f0f-1111-2222-3333-444455556666", region="us-west-2")
    apply_configuration(mq, ids["dr-primary"], activemq_xml([("dr", static_uri(far))]))
    [evaluation] = run(emulator.scheduled_event(CONNECTORS))
    assert evaluation["ComplianceType"] == "COMPLIANT"
    assert f"{far} (external)" in evaluation["Annotation"]


def test_minimum_network_size(mq: Any, prior: Any) -> None:
    ids = emulator.seed_brokers(mq, [BrokerSeed(f"m-{n}") for n in (1, 2, 3)])
    link_brokers(mq, ids, {"m-1": ("m-2", "m-3")})
    result = run(emulator.scheduled_event({**CONNECTORS, "MinimumNetworkSize": "4"}))
    assert verdicts(result, ids) == dict.fromkeys(ids, "NON_COMPLIANT")
    assert "its network has 3 of the 4 brokers MinimumNetworkSize asks" in annotation(result, ids["m-1"])
    assert "connect 1 more broker(s)" in annotation(result, ids["m-1"])
    # A spoke reaches only the hub at ActiveMQ's default networkTTL of 1.
    assert "its network has 2 of the 4 brokers MinimumNetworkSize asks" in annotation(result, ids["m-2"])


def test_both_needs_name_and_connectors(mq: Any, prior: Any) -> None:
    ids = emulator.seed_brokers(mq, [BrokerSeed("orders-Broker-1"), BrokerSeed("hub"), BrokerSeed("lonely-Broker-1")])
    link_brokers(mq, ids, {"hub": ("orders-Broker-1",)})
    result = run(emulator.scheduled_event({"CheckMode": "both"}))
    assert verdicts(result, ids) == {
        "orders-Broker-1": "COMPLIANT",
        "hub": "NON_COMPLIANT",  # linked, but not named as a member
        "lonely-Broker-1": "NON_COMPLIANT",  # named, but linked to nothing
    }
    assert "name does not match" in annotation(result, ids["hub"])
    assert "no network connector" in annotation(result, ids["lonely-Broker-1"])


def test_a_shared_configuration_revision_is_read_once(mq: Any, prior: Any, calls: Any) -> None:
    """N brokers on C configurations: N DescribeBroker and C revision reads (here C = N/3)."""
    ids = emulator.seed_brokers(mq, [BrokerSeed(f"s-Broker-{n}") for n in range(9)])
    names = list(ids)
    for group in range(3):
        members = names[group * 3 : group * 3 + 3]
        others = [n for n in names if n not in members]
        xml = activemq_xml([(f"to-{peer}", static_uri(endpoint(ids[peer]))) for peer in others[:2]])
        config_id, revision = apply_configuration(mq, ids[members[0]], xml, name=f"group-{group}")
        for member in members[1:]:
            mq.update_broker(BrokerId=ids[member], Configuration={"Id": config_id, "Revision": revision})
    calls.calls.clear()
    result = run(emulator.scheduled_event(CONNECTORS))
    assert len(result) == 9
    assert calls.calls["mq:DescribeBroker"] == 9
    assert calls.calls["mq:DescribeConfigurationRevision"] == 3


def test_scope_tags_come_with_describe_broker_at_no_extra_call(mq: Any, prior: Any, calls: Any) -> None:
    ids = emulator.seed_brokers(mq, [BrokerSeed("a", tags={"env": "prod"}), BrokerSeed("b")])
    link_brokers(mq, ids, {"a": ("b",)})
    calls.calls.clear()
    result = run(emulator.scheduled_event({**CONNECTORS, "ScopeTagKey": "env"}))
    assert verdicts(result, ids) == {"a": "COMPLIANT", "b": "NOT_APPLICABLE"}
    assert "mq:ListTags" not in calls.calls


BAD_DATA = {
    "not base64": ("%%% definitely not base64 %%%", "revision data is not base64"),
    "not XML": (base64.b64encode(b"just some text").decode(), "not well-formed XML"),
    "XML bomb": (
        base64.b64encode(
            b'<?xml version="1.0"?><!DOCTYPE b [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><broker>&b;</broker>'
        ).decode(),
        "forbidden construct",
    ),
    "oversized": (
        base64.b64encode(b"<broker>" + b" " * (1024 * 1024 + 1) + b"</broker>").decode(),
        "larger than",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_DATA))
def test_unreadable_configuration_is_non_compliant_and_the_run_goes_on(mq: Any, prior: Any, case: str) -> None:
    data, reason = BAD_DATA[case]
    ids = emulator.seed_brokers(mq, [BrokerSeed("broken"), BrokerSeed("good-1"), BrokerSeed("good-2")])
    link_brokers(mq, ids, {"good-1": ("good-2", "broken")})
    config_id = mq.create_configuration(Name="broken", EngineType="ACTIVEMQ", EngineVersion="5.18")["Id"]
    revision = mq.update_configuration(ConfigurationId=config_id, Data=data)["LatestRevision"]["Revision"]
    mq.update_broker(BrokerId=ids["broken"], Configuration={"Id": config_id, "Revision": revision})
    result = run(emulator.scheduled_event(CONNECTORS))
    assert verdicts(result, ids) == {"broken": "NON_COMPLIANT", "good-1": "COMPLIANT", "good-2": "COMPLIANT"}
    text = annotation(result, ids["broken"])
    assert "could not be verified: configuration" in text
    assert reason in text
    assert f"configuration {config_id} revision {revision}" in text


def test_malformed_connector_uri_is_non_compliant_and_named(mq: Any, prior: Any) -> None:
    ids = emulator.seed_brokers(mq, [BrokerSeed("a"), BrokerSeed("b")])
    xml = activemq_xml([("good", static_uri(endpoint(ids["b"]))), ("typo", "static:(ssl://:61617)")])
    apply_configuration(mq, ids["a"], xml)
    result = run(emulator.scheduled_event(CONNECTORS))
    assert verdicts(result, ids) == {"a": "NON_COMPLIANT", "b": "COMPLIANT"}
    assert "network connector 'typo: names no host (uri 'static:(ssl://:61617)')'" in annotation(result, ids["a"])


@pytest.mark.parametrize(
    ("operation", "status", "code", "reason"),
    [
        (
            "mq.DescribeConfigurationRevision",
            403,
            "AccessDeniedException",
            "could not be verified: reading configuration",
        ),
        ("mq.DescribeConfigurationRevision", 404, "NotFoundException", "was not found"),
        (
            "mq.DescribeBroker",
            403,
            "AccessDeniedException",
            "could not be verified: DescribeBroker failed (AccessDenied",
        ),
    ],
)
def test_configuration_that_cannot_be_read(
    mq: Any, session: Any, prior: Any, operation: str, status: int, code: str, reason: str
) -> None:
    ids = emulator.seed_brokers(mq, [BrokerSeed("first"), BrokerSeed("second")])
    link_brokers(mq, ids, {"second": ("first",)})
    # The first read of that kind is refused; access errors are not retried.
    with failing_answers(session, operation, [(status, code)]):
        result = run(emulator.scheduled_event(CONNECTORS))
    compliance = {name: by_id(result)[i]["ComplianceType"] for name, i in ids.items()}
    unreadable = [name for name, value in compliance.items() if value == "NON_COMPLIANT"]
    assert len(unreadable) == 1, compliance
    assert reason in annotation(result, ids[unreadable[0]])
    assert compliance[next(n for n in ids if n not in unreadable)] == "COMPLIANT"


def test_a_vanished_broker_is_skipped(mq: Any, session: Any, prior: Any) -> None:
    ids = emulator.seed_brokers(mq, [BrokerSeed("gone"), BrokerSeed("stays")])
    with failing_answers(session, "mq.DescribeBroker", [(404, "NotFoundException")]):
        result = run(emulator.scheduled_event(CONNECTORS))
    assert len(result) == 1
    assert result[0]["ComplianceResourceId"] in ids.values()


# --- change events -----------------------------------------------------------------------------


def item_for(mq: Any, broker_id: str, name: str) -> dict[str, Any]:
    current = mq.describe_broker(BrokerId=broker_id)["Configurations"]["Current"]
    item = emulator.configuration_item(broker_id, name)
    item["configuration"]["Configuration"] = {"Id": current["Id"], "Revision": current["Revision"]}
    return item


def test_change_event_stops_reading_once_the_network_is_big_enough(mq: Any, prior: Any, calls: Any) -> None:
    ids = emulator.seed_brokers(mq, [BrokerSeed(f"m-{n}") for n in range(6)])
    link_brokers(mq, ids, {"m-0": ("m-1",)})
    item = item_for(mq, ids["m-0"], "m-0")
    calls.calls.clear()
    [evaluation] = run(emulator.change_event(item, CONNECTORS))
    assert evaluation["ComplianceType"] == "COMPLIANT"
    assert "network of at least 2 brokers, linked to m-1" in evaluation["Annotation"]
    assert dict(calls.calls) == {
        "mq:ListBrokers": 1,
        "mq:DescribeConfigurationRevision": 1,
        "config-service:PutEvaluations": 1,
    }


def test_change_event_on_a_spoke_finds_the_hub(mq: Any, prior: Any, calls: Any) -> None:
    ids = emulator.seed_brokers(mq, [BrokerSeed("spoke"), BrokerSeed("other"), BrokerSeed("hub")])
    link_brokers(mq, ids, {"hub": ("spoke",)})
    [evaluation] = run(emulator.change_event(item_for(mq, ids["spoke"], "spoke"), CONNECTORS))
    assert evaluation["ComplianceType"] == "COMPLIANT"
    assert "linked to hub" in evaluation["Annotation"]
    assert calls.calls["mq:DescribeBroker"] <= 3


def test_change_event_on_a_lonely_broker_reads_the_region(mq: Any, prior: Any) -> None:
    ids = emulator.seed_brokers(mq, [BrokerSeed("lonely-Broker-1"), BrokerSeed("a"), BrokerSeed("b")])
    link_brokers(mq, ids, {"a": ("b",)})
    [evaluation] = run(emulator.change_event(item_for(mq, ids["lonely-Broker-1"], "lonely-Broker-1"), CONNECTORS))
    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert "no network connector" in evaluation["Annotation"]


def test_change_event_without_configuration_in_the_item_describes_the_broker(mq: Any, prior: Any) -> None:
    ids = emulator.seed_brokers(mq, [BrokerSeed("a"), BrokerSeed("b")])
    link_brokers(mq, ids, {"a": ("b",)})
    [evaluation] = run(emulator.change_event(emulator.configuration_item(ids["a"], "a"), CONNECTORS))
    assert evaluation["ComplianceType"] == "COMPLIANT"


def test_rabbitmq_change_event_makes_no_mq_call_in_connectors_mode(aws: None, calls: Any) -> None:
    item = emulator.configuration_item("b-r", "events", "CLUSTER_MULTI_AZ", "RABBITMQ")
    [evaluation] = run(emulator.change_event(item, CONNECTORS))
    assert evaluation["ComplianceType"] == "NOT_APPLICABLE"
    assert not [op for op in calls.calls if op.startswith("mq:")]


def test_out_of_scope_change_event_reads_no_network(aws: None, calls: Any) -> None:
    item = emulator.configuration_item("b-x", "x-Broker-1", tags={"env": "dev"})
    params = {**CONNECTORS, "ScopeTagKey": "env", "ScopeTagValue": "prod"}
    [evaluation] = run(emulator.change_event(item, params))
    assert evaluation["ComplianceType"] == "NOT_APPLICABLE"
    assert not [op for op in calls.calls if op.startswith("mq:")]


# --- issue 18: links ActiveMQ never makes, and credentials, end to end ---------------------------------

HOSTILE_LINKS = {
    "a fragment ActiveMQ drops": "static:(ssl://127.0.0.1:61617)#(ssl://x@{b}:61617)",
    "B's ID at another region's endpoint, China domain, instance 7": "static:(ssl://{b_id}-7.mq.ap-south-1.amazonaws.com.cn:61617)",
    "B's ID at another region's endpoint": "static:(ssl://{b_id}-1.mq.eu-west-1.amazonaws.com:61617)",
    "2130706433": "static:(tcp://2130706433:61616)",
    "127.000.000.001": "static:(tcp://127.000.000.001:61616)",
    "0": "static:(tcp://0:61616)",
}


@pytest.mark.parametrize("case", sorted(HOSTILE_LINKS))
def test_links_activemq_never_makes_leave_both_lonely_brokers_non_compliant(mq: Any, prior: Any, case: str) -> None:
    """Issue 18, finding 3: each of these made two lonely brokers COMPLIANT (or a loopback an
    external peer), even with ExternalPeers=ignore."""
    ids = emulator.seed_brokers(mq, [BrokerSeed("a"), BrokerSeed("b")])
    uri_text = HOSTILE_LINKS[case].format(b=endpoint(ids["b"]), b_id=ids["b"])
    apply_configuration(mq, ids["a"], activemq_xml([("to-b", uri_text)]))
    # A loopback in disguise must not pass as an external peer even when those count (the default).
    external = "count" if case[0].isdigit() else "ignore"
    result = run(emulator.scheduled_event({**CONNECTORS, "ExternalPeers": external}))
    assert verdicts(result, ids) == {"a": "NON_COMPLIANT", "b": "NON_COMPLIANT"}, annotation(result, ids["a"])
    assert "(external)" not in annotation(result, ids["a"])


def test_the_workshops_consumer_ttl_1_message_ttl_minus_1_mesh_is_a_network(mq: Any, prior: Any) -> None:
    """Issue 18, finding 1: aws-samples/amazon-mq-workshop's three active/standby brokers, each with
    masterslave: connectors to the others, consumerTTL="1" messageTTL="-1"."""
    names = ["Broker1", "Broker2", "Broker3"]
    ids = emulator.seed_brokers(mq, [BrokerSeed(n, "ACTIVE_STANDBY_MULTI_AZ") for n in names])
    for name in names:
        connectors = "".join(
            f'<networkConnector conduitSubscriptions="{conduit}" consumerTTL="1" messageTTL="-1" '
            f'name="{kind}Connector_{name}_To_{other}" uri="masterslave:(ssl://{endpoint(ids[other])}:61617,'
            f'ssl://{endpoint(ids[other], instance=2)}:61617)" userName="workshopUser"/>'
            for other in names
            if other != name
            for kind, conduit in (("Queue", "false"), ("Topic", "true"))
        )
        xml = (
            '<broker xmlns="http://activemq.apache.org/schema/core" schedulePeriodForDestinationPurge="10000">'
            f"<networkConnectors>{connectors}</networkConnectors></broker>"
        )
        apply_configuration(mq, ids[name], xml)
    result = run(emulator.scheduled_event(CONNECTORS))
    assert verdicts(result, ids) == dict.fromkeys(names, "COMPLIANT")
    assert "in a network of 3 brokers" in annotation(result, ids["Broker1"])
    assert "one way" not in annotation(result, ids["Broker1"])


def test_a_password_in_an_unreadable_uri_reaches_no_annotation_and_no_log(
    mq: Any, prior: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 18, finding 4: a URI missing its ')' was quoted raw, credentials and all."""
    ids = emulator.seed_brokers(mq, [BrokerSeed("a")])
    leaky = f"static:(ssl://meshuser:S3cr3t-Passw0rd@{endpoint('b-0f0f0f0f')}:61617"
    apply_configuration(mq, ids["a"], activemq_xml([("to-b", leaky)]))
    with caplog.at_level("DEBUG"):
        result = run(emulator.scheduled_event(CONNECTORS))
    assert "to-b: its parentheses do not match (uri 'static:(ssl://b-0f0f0f0f-1" in annotation(result, ids["a"])
    assert "S3cr3t" not in str(result) and "S3cr3t" not in caplog.text
    assert "meshuser" not in str(result) and "meshuser" not in caplog.text
