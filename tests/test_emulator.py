"""The emulator answers in the shapes AWS answers in, so the shipped code reads only those."""

from __future__ import annotations

import base64
from typing import Any

from mq_network.core.configuration_xml import decode_revision, parse_configuration
from mq_network_tools.demo import emulator as demo_emulator
from support import emulator


def test_a_default_configuration_revision_arrives_as_base64_as_amazon_mq_sends_it(mq: Any) -> None:
    broker_id = emulator.seed_brokers(mq, [emulator.BrokerSeed("lonely-Broker-1")])["lonely-Broker-1"]
    current = mq.describe_broker(BrokerId=broker_id)["Configurations"]["Current"]
    data = mq.describe_configuration_revision(
        ConfigurationId=current["Id"], ConfigurationRevision=str(current["Revision"])
    )["Data"]
    assert base64.b64encode(base64.b64decode(data, validate=True)).decode() == data
    root = parse_configuration(decode_revision(data))
    assert root.tag == "{http://activemq.apache.org/schema/core}broker"
    assert "networkConnectors" in base64.b64decode(data).decode()  # Amazon MQ's commented-out example


def test_the_default_revision_is_moto_own_again_outside_the_emulator() -> None:
    from moto.mq import models

    before = models.DEFAULT_CONFIGURATION_DATA
    with demo_emulator.PagedListBrokers():
        assert before != models.DEFAULT_CONFIGURATION_DATA
    assert before == models.DEFAULT_CONFIGURATION_DATA


def test_the_test_support_emulator_extends_the_demo_one_and_the_demo_ships_no_test_helper() -> None:
    for name in ("change_event", "oversized_event", "ConfigInventory", "moto_server", "EXPRESSION_LIMIT"):
        assert hasattr(emulator, name)
        assert not hasattr(demo_emulator, name), f"{name} serves only tests and benchmarks: it belongs in tests/support"
    assert emulator.PagedListBrokers is demo_emulator.PagedListBrokers
