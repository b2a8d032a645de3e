"""The organization audit: through an AWS Config aggregator next to today's per-account path, same run.

Both run on the emulator in this process (moto, with emulator.Organization answering the aggregator):

* at full scale, ACCOUNTS x 17 regions x 20 brokers (500 x 17 x 20 = 170,000 brokers): the
  aggregator path on synthetic items (AWS Config's records, too many brokers for moto to create
  in a bench run);
* at a smaller scale, SMALL accounts x 17 x 20 real moto brokers, both paths on the same brokers
  (the per-account path assumes a role in each account, as `--role-name --accounts` does). The
  per-account path at full scale is too slow to emulate here: its calls are deterministic
  (accounts x (1 AssumeRole + regions x ceil(brokers/100) ListBrokers)), so they are extrapolated
  exactly, checked against the formula at the measured scales; its wall time is extrapolated
  linearly in accounts, and said to be.

A simulated round trip per request (LATENCY_MS) shows what the emulator's ~1 ms answers hide: the
aggregator pages one query sequentially, the per-account path reads 16 regions at a time.
"""

from __future__ import annotations

import argparse
import io
import math
import os
import sys
import time
from typing import Any

ACCOUNTS = int(os.environ.get("BENCH_ACCOUNTS", "500"))
SMALL = tuple(int(n) for n in os.environ.get("BENCH_SMALL", "4,8").split(","))
BROKERS = 20
LATENCY_MS = int(os.environ.get("BENCH_LATENCY_MS", "50"))
REGIONS = (
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "eu-west-1", "eu-west-2", "eu-west-3",
    "eu-central-1", "eu-north-1", "ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-southeast-1",
    "ap-southeast-2", "sa-east-1", "me-south-1",
)  # fmt: skip
ROLE = "MQNetworkOfBrokersAudit"


class Counting:
    """Session factory counting every call of every session it makes (member roles included)."""

    def __init__(self, latency_ms: int = 0) -> None:
        self.calls = 0
        self.latency = latency_ms / 1000

    def __call__(self, **kwargs: Any) -> Any:
        from mq_network_tools.audit import sessions

        session = sessions.make_session(**kwargs)
        session.events.register("before-parameter-build", self._count)
        if self.latency:
            session.events.register("before-send", lambda **_: time.sleep(self.latency))
        return session

    def _count(self, **_: Any) -> None:
        self.calls += 1


def account_id(n: int) -> str:
    return f"{100000000000 + n:012d}"


def synthetic_items(accounts: int) -> list[dict[str, Any]]:
    """AWS Config's items for accounts x regions x BROKERS brokers, a third of them named as mesh members."""
    items = []
    for a in range(accounts):
        account = account_id(a)
        for region in REGIONS:
            for b in range(BROKERS):
                broker_id = f"b-{a:04d}{REGIONS.index(region):02d}{b:02d}-0000-0000-0000-000000000000"
                name = f"orders-{a}-Broker-{b}" if b % 3 == 0 else f"app-{a}-{b}"
                items.append(
                    {
                        "resourceId": broker_id,
                        "resourceName": name,
                        "accountId": account,
                        "awsRegion": region,
                        "arn": f"arn:aws:mq:{region}:{account}:broker:{name}:{broker_id}",
                        "configurationItemStatus": "OK",
                        "configurationItemCaptureTime": "2026-12-01T00:00:00.000Z",
                        "configuration": {
                            "BrokerName": name,
                            "DeploymentMode": "ACTIVE_STANDBY_MULTI_AZ" if b % 2 else "SINGLE_INSTANCE",
                            "EngineType": "ACTIVEMQ",
                        },
                        "tags": [],
                    }
                )
    return items


def audit_run(argv: list[str], factory: Counting) -> tuple[int, float, int]:
    """(exit status, wall seconds, brokers in the JSON) of one audit through run_audit."""
    import json

    from mq_network_tools.audit import cli as audit

    args = audit._parser().parse_args(argv)
    params = audit.parse_parameters(audit.rule_options(args))
    out, err = io.StringIO(), io.StringIO()
    started = time.perf_counter()
    status = audit.run_audit(args, params, out, err, session_factory=factory, endpoint=None)
    elapsed = time.perf_counter() - started
    if status not in (0, 1):
        raise RuntimeError(f"audit {argv} exited {status}: {err.getvalue()[-800:]}")
    return status, elapsed, len(json.loads(out.getvalue())["results"])


def per_account_calls(accounts: int) -> int:
    return accounts * (1 + len(REGIONS) * math.ceil(BROKERS / 100))


def aggregator_calls(accounts: int) -> int:
    # DescribeConfigurationAggregators + the sources' status (100 a page) + the query (100 a page)
    return 1 + math.ceil(accounts * len(REGIONS) / 100) + math.ceil(accounts * len(REGIONS) * BROKERS / 100)


def seed(accounts: int) -> None:
    import boto3

    from mq_network_tools.demo import emulator

    for a in range(accounts):
        role = f"arn:aws:iam::{account_id(a)}:role/{ROLE}"
        credentials = boto3.client("sts").assume_role(RoleArn=role, RoleSessionName="seed")["Credentials"]
        session = boto3.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        )
        for region in REGIONS:
            seeds = [
                emulator.BrokerSeed(f"orders-{a}-Broker-{b}" if b % 3 == 0 else f"app-{a}-{b}") for b in range(BROKERS)
            ]
            emulator.seed_brokers(session.client("mq", region_name=region), seeds)


def main() -> int:
    from mq_network_tools.demo import emulator

    emulator.use_fake_credentials()
    from moto import mock_aws

    regions = ",".join(REGIONS)
    via_aggregator = ["--source", "aggregator", "--aggregator-name", "org", "--output", "json"]
    print(f"{len(REGIONS)} regions x {BROKERS} brokers per account; emulated in process (moto)")
    print(f"{'accounts':>8} {'brokers':>8}  {'round trip':>10}  {'path':<12} {'calls':>7} {'wall':>9}  note")
    measured: dict[int, float] = {}
    for accounts in SMALL:
        with mock_aws(), emulator.PagedListBrokers():
            seed(accounts)
            sources = [(account_id(a), r) for a in range(accounts) for r in REGIONS]
            ids = ",".join(account_id(a) for a in range(accounts))
            for latency in (0, LATENCY_MS):
                per = Counting(latency)
                _, per_wall, per_rows = audit_run(
                    ["--role-name", ROLE, "--accounts", ids, "--regions", regions, "--output", "json"], per
                )
                org = Counting(latency)
                with emulator.Organization("org", sources):
                    _, org_wall, org_rows = audit_run(via_aggregator, org)
                assert per_rows == org_rows == accounts * len(REGIONS) * BROKERS, (per_rows, org_rows)
                assert per.calls == per_account_calls(accounts), (per.calls, per_account_calls(accounts))
                assert org.calls == aggregator_calls(accounts), (org.calls, aggregator_calls(accounts))
                if latency == LATENCY_MS:
                    measured[accounts] = per_wall
                for path, calls, wall in (("per-account", per.calls, per_wall), ("aggregator", org.calls, org_wall)):
                    print(
                        f"{accounts:>8} {per_rows:>8}  {latency:>7} ms  {path:<12} {calls:>7} {wall:>8.2f}s  measured"
                    )
    items = synthetic_items(ACCOUNTS)
    sources = [(account_id(a), r) for a in range(ACCOUNTS) for r in REGIONS]
    full: dict[int, tuple[int, float]] = {}
    for latency in (0, LATENCY_MS):
        with mock_aws(), emulator.Organization("org", sources, items=items):
            org = Counting(latency)
            _, wall, rows = audit_run(via_aggregator, org)
        assert rows == len(items) and org.calls == aggregator_calls(ACCOUNTS), (rows, org.calls)
        full[latency] = (org.calls, wall)
        print(
            f"{ACCOUNTS:>8} {rows:>8}  {latency:>7} ms  {'aggregator':<12} {org.calls:>7} {wall:>8.2f}s  "
            "measured (synthetic items)"
        )
    largest = max(measured)
    estimate = measured[largest] * ACCOUNTS / largest
    print(
        f"{ACCOUNTS:>8} {ACCOUNTS * len(REGIONS) * BROKERS:>8}  {LATENCY_MS:>7} ms  {'per-account':<12} "
        f"{per_account_calls(ACCOUNTS):>7} {estimate:>8.1f}s  extrapolated: calls exact "
        f"({ACCOUNTS} x (1 AssumeRole + {len(REGIONS)} ListBrokers), the formula held at {', '.join(map(str, SMALL))} "
        f"accounts), wall time linear from {largest} accounts"
    )
    calls, wall = full[LATENCY_MS]
    print(
        f"at {ACCOUNTS} accounts: the aggregator makes {calls} calls against {per_account_calls(ACCOUNTS)} "
        f"({per_account_calls(ACCOUNTS) / calls:.1f}x fewer), from one account, no role in any member account"
    )
    return 0


if __name__ == "__main__":
    argparse.ArgumentParser(description=__doc__).parse_args()
    sys.exit(main())
