"""API calls the rule makes, by operation, for N brokers, against a naive baseline in the same run.

The baseline, measured on the same emulated account: list the brokers, then DescribeBroker each
one (what a per-broker audit does). API calls, not seconds, are what throttle a customer's
account: Amazon MQ's APIs share one per-account budget. Brokers share configurations three by
three (C = N/3 distinct revisions), each group linked to the next, as a real mesh would be. K is
every configuration the account holds (moto gives each broker its own default one too): the
inventory runs page through them (ListConfigurations) to check that AWS Config's record is current.
"""

from __future__ import annotations

import contextlib
import math
import sys
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # tests/support
from support import emulator

SIZES = (10, 100, 1000)


def seed(mq: Any, size: int) -> dict[str, str]:
    seeds = [emulator.BrokerSeed(f"load{n}-Broker-{n % 3 + 1}", tags={"env": "prod"}) for n in range(size)]
    ids = emulator.seed_brokers(mq, seeds)
    names = list(ids)
    groups = [names[start : start + 3] for start in range(0, len(names), 3)]
    for index, group in enumerate(groups):
        peer = groups[(index + 1) % len(groups)][0]
        xml = emulator.activemq_xml([("next", emulator.static_uri(emulator.endpoint(ids[peer])))])
        config_id, revision = emulator.apply_configuration(mq, ids[group[0]], xml, name=f"group-{index}")
        for member in group[1:]:
            mq.update_broker(BrokerId=ids[member], Configuration={"Id": config_id, "Revision": revision})
    return ids


def main() -> int:
    emulator.use_fake_credentials()
    import boto3
    from moto import mock_aws

    from mq_network.aws import aws_calls
    from MQ_NETWORK_OF_BROKERS import lambda_handler

    print(f"{'N':>5} {'C':>4} {'K':>5}  {'run':<36}{'calls':>6}  by operation")
    problems = []
    for size in SIZES:
        with mock_aws(), emulator.PagedListBrokers():
            mq = boto3.client("mq", region_name=emulator.REGION)
            ids = seed(mq, size)
            brokers = len(set(ids.values()))  # moto's short IDs can collide; count what exists
            configs = math.ceil(len(ids) / 3)  # one configuration per seeded group of three
            from moto.mq.models import mq_backends

            held = len(mq_backends[emulator.ACCOUNT_ID][emulator.REGION].configs)  # K, listed 100 a page
            first_group = [ids[name] for name in list(ids)[:3]]
            session = aws_calls.rule_session()
            first = next(iter(ids.items()))
            item = emulator.configuration_item(first[1], first[0])
            current = mq.describe_broker(BrokerId=first[1])["Configurations"]["Current"]
            item["configuration"]["Configuration"] = current
            connectors = {"CheckMode": "connectors"}
            behind = dict.fromkeys(first_group, 1)  # Config still records revision 1 for one group of three
            runs: list[tuple[str, dict[str, Any], int, dict[str, int] | None]] = [
                ("rule, defaults", emulator.scheduled_event(), 0, None),
                ("rule, defaults, N stale results", emulator.scheduled_event(), brokers, None),
                ("rule, ScopeTagKey=env", emulator.scheduled_event({"ScopeTagKey": "env"}), 0, None),
                ("connectors, Config records no broker", emulator.scheduled_event(connectors), 0, None),
                ("connectors, Config inventory", emulator.scheduled_event(connectors), 0, {}),
                ("connectors, inventory, 3 behind", emulator.scheduled_event(connectors), 0, behind),
                ("connectors, one broker changed", emulator.change_event(item, connectors), 0, None),
            ]
            rows = []
            for label, event, stale, inventory in runs:
                with (
                    emulator.PriorResults([f"b-gone-{n}" for n in range(stale)]),
                    emulator.ConfigInventory(stale=inventory) if inventory is not None else contextlib.nullcontext(),
                    emulator.ApiCalls(session) as calls,
                ):
                    result = lambda_handler(event, None)
                assert isinstance(result, list), result
                rows.append((label, calls.calls))
            with emulator.ApiCalls(session) as naive:
                client = session.client("mq", region_name=emulator.REGION)
                for page in client.get_paginator("list_brokers").paginate(PaginationConfig={"PageSize": 100}):
                    for summary in page["BrokerSummaries"]:
                        client.describe_broker(BrokerId=summary["BrokerId"])
            rows.append(("baseline: list + DescribeBroker each", naive.calls))
        for label, counted in rows:
            print(
                f"{brokers:>5} {configs:>4} {held:>5}  {label:<36}{sum(counted.values()):>6}  {format_calls(counted)}"
            )
        problems += check(brokers, configs, held, dict(rows))
    print(
        "designed: defaults = ceil(N/100) ListBrokers + ceil(N/100) PutEvaluations + ceil(stale/100) "
        "GetComplianceDetailsByConfigRule, no per-broker call; connectors adds ceil(N/100) SelectResourceConfig "
        "+ ceil(K/100) ListConfigurations + C revisions, and DescribeBroker only for brokers AWS Config "
        "records at an older revision than the latest (N where it records none)"
    )
    print("result: " + ("as designed" if not problems else "MISMATCH: " + "; ".join(problems)))
    return 0 if not problems else 1


def check(brokers: int, configs: int, held: int, rows: dict[str, Counter[str]]) -> list[str]:
    pages = math.ceil(brokers / 100)
    inventory = {
        "mq:ListBrokers": pages,
        "config-service:SelectResourceConfig": pages,
        "mq:ListConfigurations": math.ceil(held / 100),
        "mq:DescribeConfigurationRevision": configs,
        "config-service:PutEvaluations": pages,
        "config-service:GetComplianceDetailsByConfigRule": 1,
    }
    expected = {
        "rule, defaults": {
            "mq:ListBrokers": pages,
            "config-service:PutEvaluations": pages,
            "config-service:GetComplianceDetailsByConfigRule": 1,
        },
        "connectors, Config records no broker": {
            "mq:ListBrokers": pages,
            "config-service:SelectResourceConfig": 1,  # an empty answer is one page
            "mq:DescribeBroker": brokers,
            "mq:DescribeConfigurationRevision": configs,
            "config-service:PutEvaluations": pages,
            "config-service:GetComplianceDetailsByConfigRule": 1,
        },
        "connectors, Config inventory": inventory,
        # The group's configuration is read at its current revision (DescribeBroker), as before.
        "connectors, inventory, 3 behind": {**inventory, "mq:DescribeBroker": 3},
        "connectors, one broker changed": {
            "mq:ListBrokers": pages,
            "mq:DescribeConfigurationRevision": 1,
            "config-service:PutEvaluations": 1,
        },
    }
    return [
        f"N={brokers} {label}: {dict(rows[label])} != {calls}"
        for label, calls in expected.items()
        if dict(rows[label]) != calls
    ]


def format_calls(counted: Counter[str]) -> str:
    return ", ".join(f"{op.split(':')[1]} {n}" for op, n in sorted(counted.items()))


if __name__ == "__main__":
    sys.exit(main())
