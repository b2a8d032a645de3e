"""mq-network-audit --demo: an emulated account in two regions, in this process only.

It imports nothing of audit.py (audit.py calls it): `emulated_account` sets made-up credentials,
drops every setting that could send a call elsewhere (AWS_ENDPOINT_URL, AWS_PROFILE), starts moto
in process and seeds it, so the demo can neither read nor write a real account or a server.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from . import emulator

DEMO_REGIONS = ("us-east-1", "eu-west-1")
# A second region: a disaster-recovery pair linked across regions, and a lone broker.
SECOND_REGION = (emulator.BrokerSeed("dr-Broker-1"), emulator.BrokerSeed("billing", "ACTIVE_STANDBY_MULTI_AZ"))
_LEAKS = ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")


@contextmanager
def emulated_account() -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in (*_LEAKS, *emulator.FAKE_CREDENTIALS, "AWS_REGION")}
    for name in _LEAKS:
        os.environ.pop(name, None)
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    emulator.use_fake_credentials()
    from moto import mock_aws

    try:
        with mock_aws(), emulator.PagedListBrokers():
            _seed()
            yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _seed() -> None:
    import boto3

    home = boto3.client("mq", region_name=DEMO_REGIONS[0])
    ids = emulator.seed_demo_account(home)
    away = boto3.client("mq", region_name=DEMO_REGIONS[1])
    away_ids = emulator.seed_brokers(away, SECOND_REGION)
    # orders-Broker-3 and dr-Broker-1 link across the regions (each sees the other as external).
    far = emulator.static_uri(emulator.endpoint(away_ids["dr-Broker-1"], region=DEMO_REGIONS[1]))
    near = emulator.static_uri(emulator.endpoint(ids["orders-Broker-3"], region=DEMO_REGIONS[0]))
    hub = emulator.static_uri(emulator.endpoint(ids["orders-Broker-1"]))
    emulator.apply_configuration(home, ids["orders-Broker-3"], emulator.activemq_xml([("hub", hub), ("dr", far)]))
    emulator.apply_configuration(away, away_ids["dr-Broker-1"], emulator.activemq_xml([("primary", near)]))
