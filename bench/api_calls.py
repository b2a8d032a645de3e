"""API calls a periodic run makes, by operation, for N brokers, against the naive baseline.

The baseline is measured in the same run on the same emulated account: list the brokers, then
DescribeBroker each one (what a per-broker audit does). API calls, not seconds, are what throttle
a customer's account: Amazon MQ's APIs share one per-account budget.
"""

from __future__ import annotations

import math
import sys
from collections import Counter

from mq_network_tools import emulator

SIZES = (10, 100, 1000)


def main() -> int:
    emulator.use_fake_credentials()
    import boto3
    from moto import mock_aws

    from mq_network import mq_api
    from MQ_NETWORK_OF_BROKERS import lambda_handler

    print(f"{'brokers':>8}  {'run':<34}{'calls':>7}  by operation")
    ok = True
    for size in SIZES:
        with mock_aws(), emulator.PagedListBrokers():
            mq = boto3.client("mq", region_name=emulator.REGION)
            seeds = [emulator.BrokerSeed(f"load{n}-Broker-{n % 3 + 1}", tags={"env": "prod"}) for n in range(size)]
            ids = emulator.seed_brokers(mq, seeds)
            brokers = len(set(ids.values()))  # moto's short IDs can collide; count what exists
            session = mq_api.rule_session()
            rows = []
            for label, parameters, prior in (
                ("rule, defaults", {}, []),
                ("rule, defaults, N stale results", {}, [f"b-gone-{n}" for n in range(size)]),
                ("rule, ScopeTagKey=env", {"ScopeTagKey": "env"}, []),
            ):
                with emulator.PriorResults(prior), emulator.ApiCalls(session) as calls:
                    result = lambda_handler(emulator.scheduled_event(parameters), None)
                assert isinstance(result, list) and len(result) == brokers + len(prior), result
                rows.append((label, calls.calls))
            with emulator.ApiCalls(session) as naive:
                client = session.client("mq", region_name=emulator.REGION)
                for page in client.get_paginator("list_brokers").paginate(PaginationConfig={"PageSize": 100}):
                    for summary in page["BrokerSummaries"]:
                        client.describe_broker(BrokerId=summary["BrokerId"])
            rows.append(("baseline: list + DescribeBroker each", naive.calls))
        pages = math.ceil(brokers / 100)
        expected = {"mq:ListBrokers": pages, "config-service:PutEvaluations": pages}
        for label, counted in rows:
            print(f"{brokers:>8}  {label:<34}{sum(counted.values()):>7}  {format_calls(counted)}")
        defaults = rows[0][1]
        got = {op: defaults[op] for op in expected}
        ok &= got == expected and not any(op.startswith("mq:") and op != "mq:ListBrokers" for op in defaults)
    print(
        "defaults: ceil(N/100) ListBrokers + ceil(N/100) PutEvaluations + ceil(stale/100) "
        f"GetComplianceDetailsByConfigRule, no per-broker call -> {'as designed' if ok else 'MISMATCH'}"
    )
    return 0 if ok else 1


def format_calls(counted: Counter[str]) -> str:
    return ", ".join(f"{op.split(':')[1]} {n}" for op, n in sorted(counted.items()))


if __name__ == "__main__":
    sys.exit(main())
