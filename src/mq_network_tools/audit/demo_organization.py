"""mq-network-audit --demo: an emulated account in two regions, in this process only.

It imports nothing of audit.py (audit.py calls it): `emulated_account` sets made-up credentials,
drops every setting that could send a call elsewhere (AWS_ENDPOINT_URL, AWS_PROFILE), starts moto
in process and seeds it, so the demo can neither read nor write a real account or a server.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mq_network_tools.demo import emulator

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


DEMO_AGGREGATOR = "org"
# The organization: the demo account's brokers, a second account, and a third whose Sydney source
# the aggregator fails to collect (AccessDenied): its brokers there are "could not be read".
ORGANIZATION_ACCOUNTS = ("111122223333", "444455556666", "777788889999")
FAILING_SOURCE = ("777788889999", "ap-southeast-2")
OTHER_ACCOUNT = (
    emulator.BrokerSeed("payments-Broker-1"),
    emulator.BrokerSeed("payments-Broker-2", "ACTIVE_STANDBY_MULTI_AZ"),
    emulator.BrokerSeed("legacy-billing"),
)


@contextmanager
def emulated_organization() -> Iterator[None]:
    """`--demo --source aggregator`: three accounts in moto, an aggregator over them in the demo
    account (emulator.Organization), one source failing and one deleted broker's item."""
    with emulated_account():
        import boto3

        accounts = {}
        for account in ORGANIZATION_ACCOUNTS:
            role = f"arn:aws:iam::{account}:role/MQNetworkOfBrokersAudit"
            answer = boto3.client("sts").assume_role(RoleArn=role, RoleSessionName="seed")["Credentials"]
            accounts[account] = boto3.Session(
                aws_access_key_id=answer["AccessKeyId"],
                aws_secret_access_key=answer["SecretAccessKey"],
                aws_session_token=answer["SessionToken"],
            )
        home, away = DEMO_REGIONS
        _seed_in(accounts[ORGANIZATION_ACCOUNTS[0]])
        emulator.seed_demo_account(accounts[ORGANIZATION_ACCOUNTS[1]].client("mq", region_name=home))
        emulator.seed_brokers(accounts[ORGANIZATION_ACCOUNTS[1]].client("mq", region_name=away), OTHER_ACCOUNT)
        emulator.seed_brokers(accounts[ORGANIZATION_ACCOUNTS[2]].client("mq", region_name=away), OTHER_ACCOUNT[2:])
        sources = [(a, r) for a in ORGANIZATION_ACCOUNTS for r in DEMO_REGIONS] + [FAILING_SOURCE]
        gone = {
            **emulator.configuration_item("b-0deleted-0000", "retired-Broker-1", status="ResourceDeleted"),
            "accountId": ORGANIZATION_ACCOUNTS[2],
            "awsRegion": home,
        }
        failing = {FAILING_SOURCE: ("AccessDeniedException", "The member account has not authorized aggregation")}
        with emulator.Organization(DEMO_AGGREGATOR, sources, failing, extra=[gone]):
            yield


def _seed() -> None:
    import boto3

    _seed_in(boto3.Session())


def _seed_in(session: Any) -> None:
    home = session.client("mq", region_name=DEMO_REGIONS[0])
    ids = emulator.seed_demo_account(home)
    away = session.client("mq", region_name=DEMO_REGIONS[1])
    away_ids = emulator.seed_brokers(away, SECOND_REGION)
    # orders-Broker-3 and dr-Broker-1 link across the regions (each sees the other as external).
    far = emulator.static_uri(emulator.endpoint(away_ids["dr-Broker-1"], region=DEMO_REGIONS[1]))
    near = emulator.static_uri(emulator.endpoint(ids["orders-Broker-3"], region=DEMO_REGIONS[0]))
    hub = emulator.static_uri(emulator.endpoint(ids["orders-Broker-1"]))
    emulator.apply_configuration(home, ids["orders-Broker-3"], emulator.activemq_xml([("hub", hub), ("dr", far)]))
    emulator.apply_configuration(away, away_ids["dr-Broker-1"], emulator.activemq_xml([("primary", near)]))
