"""Issue 15: AWS Config as the inventory, and peers beyond the region verified through an aggregator."""

from __future__ import annotations

import json
import logging
from typing import Any

import boto3
import pytest

import faults
from helpers import by_id, run
from mq_network.aws.peer_lookup import _status
from mq_network.core.connectors import Peer
from mq_network.core.vocabulary import PeerStatus
from support import emulator
from support.emulator import BrokerSeed, ConfigInventory, activemq_xml, apply_configuration, endpoint

CONNECTORS = {"CheckMode": "connectors"}


def mesh(mq: Any, names: list[str]) -> dict[str, str]:
    ids = emulator.seed_brokers(mq, [BrokerSeed(n, tags={"env": "prod"}) for n in names])
    hub = names[0]
    uris = [(f"to-{n}", emulator.static_uri(endpoint(ids[n]))) for n in names[1:]]
    apply_configuration(mq, ids[hub], activemq_xml(uris))
    return ids


def verdicts(result: list[dict[str, Any]], ids: dict[str, str]) -> dict[str, str]:
    found = by_id(result)
    return {name: found[broker_id]["ComplianceType"] for name, broker_id in ids.items()}


def record(caplog: pytest.LogCaptureFixture) -> dict[str, Any]:
    [line] = [r for r in caplog.records if r.name == "mq_network"]
    return dict(line.mq_network_run)  # type: ignore[attr-defined]


# --- the inventory --------------------------------------------------------------------------------


def test_config_inventory_replaces_describe_broker_when_current(mq: Any, prior: Any, calls: Any) -> None:
    ids = mesh(mq, ["hub", "a", "b"]) | emulator.seed_brokers(mq, [BrokerSeed("lonely")])
    with ConfigInventory() as inventory:
        calls.calls.clear()
        result = run(emulator.scheduled_event(CONNECTORS))
    assert verdicts(result, ids) == {"hub": "COMPLIANT", "a": "COMPLIANT", "b": "COMPLIANT", "lonely": "NON_COMPLIANT"}
    assert "mq:DescribeBroker" not in calls.calls
    assert calls.calls["config-service:SelectResourceConfig"] == 1
    assert calls.calls["mq:ListBrokers"] == 1
    assert "WHERE resourceType = 'AWS::AmazonMQ::Broker'" in inventory.queries[0]
    without = run(emulator.scheduled_event(CONNECTORS))  # the DescribeBroker path gives the same verdicts
    assert verdicts(without, ids) == verdicts(result, ids)


def test_a_broker_config_has_not_recorded_is_described_alone(mq: Any, prior: Any, calls: Any) -> None:
    ids = mesh(mq, ["hub", "a", "b"])
    with ConfigInventory(missing=[ids["a"]]):
        calls.calls.clear()
        result = run(emulator.scheduled_event(CONNECTORS))
    assert verdicts(result, ids) == dict.fromkeys(ids, "COMPLIANT")
    assert calls.calls["mq:DescribeBroker"] == 1


def test_a_broker_whose_configuration_may_be_changing_is_described(mq: Any, prior: Any, calls: Any) -> None:
    from moto.mq.models import mq_backends

    ids = mesh(mq, ["hub", "a"])
    mq_backends[emulator.ACCOUNT_ID][emulator.REGION].brokers[ids["hub"]].state = "REBOOT_IN_PROGRESS"
    with ConfigInventory(stale={ids["hub"]: 1}):  # Config still holds the revision before the reboot
        calls.calls.clear()
        result = run(emulator.scheduled_event(CONNECTORS))
    assert verdicts(result, ids) == {"hub": "COMPLIANT", "a": "COMPLIANT"}  # read from DescribeBroker
    assert calls.calls["mq:DescribeBroker"] == 1


def test_no_brokers_in_config_keeps_the_old_path_and_says_so_once(
    mq: Any, prior: Any, calls: Any, caplog: pytest.LogCaptureFixture
) -> None:
    ids = mesh(mq, ["hub", "a"])
    with caplog.at_level(logging.INFO, logger="mq_network"):
        calls.calls.clear()
        result = run(emulator.scheduled_event(CONNECTORS))  # moto's Config records no broker
    assert verdicts(result, ids) == dict.fromkeys(ids, "COMPLIANT")
    assert calls.calls["mq:DescribeBroker"] == 2
    notes = record(caplog)["notes"]
    assert notes == ["AWS Config records no Amazon MQ broker in this region: every broker was read with DescribeBroker"]


def test_an_unreadable_inventory_keeps_the_old_path(
    mq: Any, session: Any, prior: Any, caplog: pytest.LogCaptureFixture
) -> None:
    ids = mesh(mq, ["hub", "a"])
    with (
        ConfigInventory(),
        faults.failing_answers(session, "config-service.SelectResourceConfig", [(400, "AccessDeniedException")]),
        caplog.at_level(logging.INFO, logger="mq_network"),
    ):
        result = run(emulator.scheduled_event(CONNECTORS))
    assert verdicts(result, ids) == dict.fromkeys(ids, "COMPLIANT")
    assert "inventory could not be read (AccessDeniedException)" in record(caplog)["notes"][0]


def test_the_inventory_is_paged_a_hundred_at_a_time(mq: Any, prior: Any, calls: Any) -> None:
    emulator.seed_brokers(mq, [BrokerSeed(f"m{n}") for n in range(250)])
    with ConfigInventory():
        calls.calls.clear()
        result = run(emulator.scheduled_event(CONNECTORS))
    assert len(result) == 250
    assert calls.calls["config-service:SelectResourceConfig"] == 3
    assert "mq:DescribeBroker" not in calls.calls


def test_name_mode_never_queries_the_inventory(mq: Any, prior: Any, calls: Any) -> None:
    mesh(mq, ["hub-Broker-1", "a-Broker-2"])
    with ConfigInventory():
        calls.calls.clear()
        run(emulator.scheduled_event())
    assert "config-service:SelectResourceConfig" not in calls.calls


# --- peers beyond the region ----------------------------------------------------------------------

FAR = "us-west-2"
AGGREGATE_QUERY = "config-service.SelectAggregateResourceConfig"


def linked_far(mq: Any, peer_id: str) -> str:
    ids = emulator.seed_brokers(mq, [BrokerSeed("dr")])
    far = emulator.static_uri(endpoint(peer_id, region=FAR))
    apply_configuration(mq, ids["dr"], activemq_xml([("far", far)]))
    return ids["dr"]


def aggregator() -> str:
    client = boto3.client("config", region_name=emulator.REGION)
    client.put_configuration_aggregator(
        ConfigurationAggregatorName="org",
        AccountAggregationSources=[{"AccountIds": [emulator.ACCOUNT_ID], "AllAwsRegions": True}],
    )
    return "org"


def record_of(status: str) -> dict[str, str]:
    return {"accountId": "111122223333", "awsRegion": FAR, "configurationItemStatus": status}


def test_a_deleted_peer_in_another_region_does_not_count_when_an_aggregator_is_named(mq: Any, prior: Any) -> None:
    dr = linked_far(mq, "b-1234abcd-0000-0000-0000-00000000dead")
    name = aggregator()
    gone = {
        "b-1234abcd-0000-0000-0000-00000000dead": {
            "accountId": "111122223333",
            "awsRegion": FAR,
            "configurationItemStatus": "ResourceDeleted",
        }
    }
    with ConfigInventory(aggregate=gone) as inventory:
        [evaluation] = run(emulator.scheduled_event({**CONNECTORS, "AggregatorName": name}))
    assert evaluation["ComplianceResourceId"] == dr
    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert "deleted (ResourceDeleted) in 111122223333 us-west-2" in evaluation["Annotation"]
    [query] = [q for q in inventory.queries if "IN (" in q]
    assert query.endswith("resourceId IN ('b-1234abcd-0000-0000-0000-00000000dead')")
    [without] = run(emulator.scheduled_event(CONNECTORS))  # no aggregator: the name alone counts
    assert without["ComplianceType"] == "COMPLIANT"


def test_a_peer_the_aggregator_records_counts_and_is_named_with_its_account(mq: Any, prior: Any) -> None:
    linked_far(mq, "b-1234abcd-0000-0000-0000-0000000000ff")
    name = aggregator()
    alive = {
        "b-1234abcd-0000-0000-0000-0000000000ff": {
            "accountId": "111122223333",
            "awsRegion": FAR,
            "configurationItemStatus": "OK",
        }
    }
    with ConfigInventory(aggregate=alive):
        [evaluation] = run(emulator.scheduled_event({**CONNECTORS, "AggregatorName": name, "ExternalPeers": "ignore"}))
    assert evaluation["ComplianceType"] == "COMPLIANT"
    assert "b-1234abcd-0000-0000-0000-0000000000ff (111122223333 us-west-2)" in evaluation["Annotation"]


@pytest.mark.parametrize(("mode", "expected"), [("count", "COMPLIANT"), ("ignore", "NON_COMPLIANT")])
def test_a_peer_outside_the_aggregator_follows_external_peers(mq: Any, prior: Any, mode: str, expected: str) -> None:
    linked_far(mq, "b-1234abcd-0000-0000-0000-00000000cafe")
    name = aggregator()
    with ConfigInventory(aggregate={}):
        [evaluation] = run(emulator.scheduled_event({**CONNECTORS, "AggregatorName": name, "ExternalPeers": mode}))
    assert evaluation["ComplianceType"] == expected
    if mode == "ignore":
        assert "not verified, ExternalPeers=ignore (not recorded by org)" in evaluation["Annotation"]


def test_external_peers_ignore_without_an_aggregator_fails_closed(mq: Any, prior: Any) -> None:
    linked_far(mq, "b-1234abcd-0000-0000-0000-00000000beef")
    [evaluation] = run(emulator.scheduled_event({**CONNECTORS, "ExternalPeers": "ignore"}))
    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert "not verified, ExternalPeers=ignore" in evaluation["Annotation"]


def test_an_aggregator_access_denied_makes_the_broker_unverified_never_a_pass(
    mq: Any, session: Any, prior: Any
) -> None:
    linked_far(mq, "b-1234abcd-0000-0000-0000-00000000f00d")
    name = aggregator()
    with (
        ConfigInventory(aggregate={}),
        faults.failing_answers(
            session, "config-service.SelectAggregateResourceConfig", [(400, "AccessDeniedException")]
        ),
    ):
        [evaluation] = run(emulator.scheduled_event({**CONNECTORS, "AggregatorName": name}))
    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert (
        "could not be verified: its peers beyond the region could not be verified: "
        "aggregator org: SelectAggregateResourceConfig failed (AccessDeniedException)" in evaluation["Annotation"]
    )
    assert "Fix: grant config:SelectAggregateResourceConfig" in evaluation["Annotation"]


def test_an_aggregator_throttling_is_ridden_out(mq: Any, session: Any, prior: Any, no_backoff: None) -> None:
    linked_far(mq, "b-1234abcd-0000-0000-0000-0000000000aa")
    name = aggregator()
    alive = {
        "b-1234abcd-0000-0000-0000-0000000000aa": {"accountId": "1", "awsRegion": FAR, "configurationItemStatus": "OK"}
    }
    throttles = [(400, "ThrottlingException")] * 5
    with (
        ConfigInventory(aggregate=alive),
        faults.failing_answers(session, "config-service.SelectAggregateResourceConfig", throttles) as used,
    ):
        [evaluation] = run(emulator.scheduled_event({**CONNECTORS, "AggregatorName": name}))
    assert used == [5]
    assert evaluation["ComplianceType"] == "COMPLIANT"


def test_an_organization_aggregator_covering_the_region_makes_an_unrecorded_peer_gone() -> None:
    peer = Peer("b-1-1.mq.us-west-2.amazonaws.com", "b-1", "us-west-2")
    organization = {"OrganizationAggregationSource": {"RoleArn": "r", "AllAwsRegions": True}}
    assert _status(None, peer, "org", organization) == PeerStatus(
        False, "no such broker in the organization's us-west-2, per org"
    )
    accounts = {"AccountAggregationSources": [{"AccountIds": ["1"], "AllAwsRegions": True}]}
    assert _status(None, peer, "org", accounts) == PeerStatus(None, "not recorded by org")


def test_a_hostile_peer_id_never_reaches_the_query(mq: Any, prior: Any) -> None:
    ids = emulator.seed_brokers(mq, [BrokerSeed("dr")])
    uris = [
        ("evil", "static:(ssl://b-1' OR '1'='1-1.mq.us-west-2.amazonaws.com:61617)"),
        ("far", emulator.static_uri(endpoint("b-00ff00ff", region=FAR))),
    ]
    apply_configuration(mq, ids["dr"], activemq_xml(uris))
    with ConfigInventory(aggregate={}) as inventory:
        run(emulator.scheduled_event({**CONNECTORS, "AggregatorName": aggregator()}))
    [query] = [q for q in inventory.queries if "IN (" in q]
    assert query.endswith("resourceId IN ('b-00ff00ff')")


def test_aggregator_name_is_validated() -> None:
    from mq_network.core.parameters import ParameterError, parse_parameters

    with pytest.raises(ParameterError, match="AggregatorName"):
        parse_parameters({"AggregatorName": "org' OR 1=1"})
    with pytest.raises(ParameterError, match="ExternalPeers"):
        parse_parameters({"ExternalPeers": "some"})
    assert parse_parameters({"ExternalPeers": "IGNORE"}).count_unverified_peers is False
    json.dumps(parse_parameters({"AggregatorName": "org_1-a"}).aggregator_name)
