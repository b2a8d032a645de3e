"""Issue 18, findings 5 and 6: AWS Config's record of a broker, read alike by every reader, and
checked against the configurations' latest revisions before it is trusted."""

from __future__ import annotations

from typing import Any

import pytest

from mq_network.core.facts import ConfigurationRef, from_configuration_item, from_inventory, from_summary
from mq_network.core.vocabulary import NotRead

BROKER = "b-1234abcd-0000-4000-8000-000000000001"


def item(configuration: dict[str, Any]) -> dict[str, Any]:
    """A configuration item as a change event carries it (and, as an advanced query row, the inventory)."""
    return {
        "resourceType": "AWS::AmazonMQ::Broker",
        "resourceId": BROKER,
        "configurationItemStatus": "OK",
        "configuration": {"BrokerName": "orders-Broker-1", "DeploymentMode": "SINGLE_INSTANCE", **configuration},
        "tags": [],
    }


def both_readers(configuration: dict[str, Any]) -> tuple[object, object]:
    change = from_configuration_item({**item(configuration), "tags": {}}).configuration
    row = from_inventory(item(configuration), from_summary({"BrokerId": BROKER, "BrokerName": "orders-Broker-1"}))
    return change, row.configuration if row is not None else None


# --- finding 5: the flat pair (what the broker runs) wins in both readers --------------------------


@pytest.mark.parametrize("revision", [3, "3"], ids=["older schema: integer", "newer schema: string"])
def test_both_readers_take_the_flat_pair_over_the_nested_one(revision: object) -> None:
    recorded = {
        "Configuration": {"Id": "c-asked-for", "Revision": 2},  # write-only: what a template once gave
        "ConfigurationId": "c-running",
        "ConfigurationRevision": revision,  # read-only: what the broker runs
    }
    assert both_readers(recorded) == (ConfigurationRef("c-running", "3"), ConfigurationRef("c-running", "3"))


def test_a_nested_only_item_still_works_in_both_readers() -> None:
    recorded = {"Configuration": {"Id": "c-1", "Revision": 4}}
    assert both_readers(recorded) == (ConfigurationRef("c-1", "4"), ConfigurationRef("c-1", "4"))


def test_the_pairs_are_never_mixed_and_a_flat_id_without_a_revision_is_not_trusted() -> None:
    # A flat ID without a usable revision: neither the flat ID with the nested revision nor the nested
    # pair (another configuration, what a template once asked for): unknown, so the broker is described.
    recorded = {"Configuration": {"Id": "c-1", "Revision": 4}, "ConfigurationId": "c-2", "ConfigurationRevision": "x"}
    change, row = both_readers(recorded)
    assert isinstance(change, NotRead) and row is None  # both readers leave it to DescribeBroker
    nested_only = {"Configuration": {"Id": "c-1", "Revision": 4}, "ConfigurationRevision": "x"}
    assert both_readers(nested_only) == (ConfigurationRef("c-1", "4"), ConfigurationRef("c-1", "4"))


# --- finding 6: AWS Config's record checked against ListConfigurations' latest revisions -------------

import base64  # noqa: E402
import logging  # noqa: E402

from botocore.stub import Stubber  # noqa: E402

import faults  # noqa: E402
from helpers import by_id, run  # noqa: E402
from mq_network.aws import aws_calls  # noqa: E402
from support import emulator  # noqa: E402
from support.emulator import BrokerSeed, ConfigInventory, activemq_xml, apply_configuration, endpoint  # noqa: E402

CONNECTORS = {"CheckMode": "connectors"}


def linked_pair(mq: Any) -> tuple[dict[str, str], str, int]:
    """hub -> a (duplex): hub's configuration and the revision that holds the connector."""
    ids = emulator.seed_brokers(mq, [BrokerSeed("hub"), BrokerSeed("a")])
    configuration_id, revision = apply_configuration(
        mq, ids["hub"], activemq_xml([("to-a", emulator.static_uri(endpoint(ids["a"])))])
    )
    return ids, configuration_id, revision


def verdicts(result: list[dict[str, Any]], ids: dict[str, str]) -> dict[str, str]:
    found = by_id(result)
    return {name: found[broker_id]["ComplianceType"] for name, broker_id in ids.items()}


def run_record(caplog: pytest.LogCaptureFixture) -> dict[str, Any]:
    [line] = [r for r in caplog.records if r.name == "mq_network"]
    return dict(line.mq_network_run)  # type: ignore[attr-defined]


def test_a_connector_removed_after_config_recorded_is_not_counted(
    mq: Any, prior: Any, calls: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Fail open before: Config still records the revision with the connector, so both stayed COMPLIANT."""
    ids, configuration_id, linked = linked_pair(mq)
    unlinked = mq.update_configuration(
        ConfigurationId=configuration_id, Data=base64.b64encode(activemq_xml([]).encode()).decode()
    )["LatestRevision"]["Revision"]
    mq.update_broker(BrokerId=ids["hub"], Configuration={"Id": configuration_id, "Revision": unlinked})
    with ConfigInventory(stale={ids["hub"]: linked}), caplog.at_level(logging.INFO, logger="mq_network"):
        calls.calls.clear()
        result = run(emulator.scheduled_event(CONNECTORS))
    assert verdicts(result, ids) == {"hub": "NON_COMPLIANT", "a": "NON_COMPLIANT"}
    assert calls.calls["mq:DescribeBroker"] == 1  # hub only: a's record is confirmed current
    assert calls.calls["mq:ListConfigurations"] == 1
    assert run_record(caplog)["record_behind"] == 1


def test_a_connector_added_after_config_recorded_counts(mq: Any, prior: Any, calls: Any) -> None:
    ids, _configuration_id, linked = linked_pair(mq)
    with ConfigInventory(stale={ids["hub"]: linked - 1}):  # Config still holds the revision before the connector
        calls.calls.clear()
        result = run(emulator.scheduled_event(CONNECTORS))
    assert verdicts(result, ids) == {"hub": "COMPLIANT", "a": "COMPLIANT"}
    assert calls.calls["mq:DescribeBroker"] == 1


def test_a_current_record_costs_only_the_list_configurations_pages(mq: Any, prior: Any, calls: Any) -> None:
    ids, _configuration_id, _linked = linked_pair(mq)
    emulator.seed_brokers(mq, [BrokerSeed(f"m{n}") for n in range(120)])  # 122 configurations: two pages
    with ConfigInventory():
        calls.calls.clear()
        result = run(emulator.scheduled_event(CONNECTORS))
    assert verdicts(result, ids) == {"hub": "COMPLIANT", "a": "COMPLIANT"}
    assert "mq:DescribeBroker" not in calls.calls
    assert calls.calls["mq:ListConfigurations"] == 2


def test_list_configurations_failing_describes_every_recorded_broker(
    mq: Any, session: Any, prior: Any, calls: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Fail closed: without the latest revisions the record is not trusted; DescribeBroker says what runs."""
    ids, _configuration_id, linked = linked_pair(mq)
    with (
        ConfigInventory(stale={ids["hub"]: linked - 1}),
        faults.failing_answers(session, "mq.ListConfigurations", [(403, "ForbiddenException")]),
        caplog.at_level(logging.INFO, logger="mq_network"),
    ):
        calls.calls.clear()
        result = run(emulator.scheduled_event(CONNECTORS))
    assert verdicts(result, ids) == {"hub": "COMPLIANT", "a": "COMPLIANT"}
    assert calls.calls["mq:DescribeBroker"] == 2
    logged = run_record(caplog)
    assert logged["record_behind"] == 2
    assert any("ListConfigurations failed (ForbiddenException)" in note for note in logged["notes"])


def test_list_configurations_is_paged_with_next_token() -> None:
    """moto answers every configuration at once: the paging itself against the API model (Stubber)."""
    import boto3

    client = boto3.client("mq", region_name="us-east-1")
    stub = Stubber(client)

    def listed(config_id: str, revision: int) -> dict[str, Any]:
        return {
            "Arn": f"arn:aws:mq:us-east-1:111122223333:configuration:{config_id}",
            "AuthenticationStrategy": "SIMPLE",
            "Created": "2026-01-01T00:00:00Z",
            "Description": "",
            "EngineType": "ACTIVEMQ",
            "EngineVersion": "5.18",
            "Id": config_id,
            "LatestRevision": {"Created": "2026-01-01T00:00:00Z", "Description": "", "Revision": revision},
            "Name": config_id,
            "Tags": {},
        }

    stub.add_response(
        "list_configurations", {"Configurations": [listed("c-1", 3)], "NextToken": "t1"}, {"MaxResults": 100}
    )
    stub.add_response(
        "list_configurations", {"Configurations": [listed("c-2", 1)]}, {"MaxResults": 100, "NextToken": "t1"}
    )
    with stub:
        assert aws_calls.latest_revisions(client) == {"c-1": "3", "c-2": "1"}
    stub.assert_no_pending_responses()
