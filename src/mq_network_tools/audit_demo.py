"""mq-network-audit --demo: the audit over an emulated account in two regions, no credentials."""

from __future__ import annotations

import argparse
from typing import TextIO

from mq_network.parameters import RuleParameters

from . import emulator

DEMO_REGIONS = ("us-east-1", "eu-west-1")
# A second region: a disaster-recovery pair linked across regions, and a lone broker.
SECOND_REGION = (emulator.BrokerSeed("dr-Broker-1"), emulator.BrokerSeed("billing", "ACTIVE_STANDBY_MULTI_AZ"))


def demo_audit(args: argparse.Namespace, params: RuleParameters, stdout: TextIO, stderr: TextIO) -> int:
    emulator.use_fake_credentials()
    from moto import mock_aws

    from .audit import run_audit

    with mock_aws(), emulator.PagedListBrokers():
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
        demo_args = argparse.Namespace(**{**vars(args), "regions": args.regions or ",".join(DEMO_REGIONS)})
        return run_audit(demo_args, params, stdout, stderr)
