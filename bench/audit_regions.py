"""mq-network-audit across regions: concurrent wall time against sequential, in the same run.

A moto server on 127.0.0.1 holds brokers in 17 regions; `--regions all` reads every region the
emulated account has enabled. The same targets are audited one at a time and with the audit's
thread pool. A local emulator answers in milliseconds, where a real region is tens to hundreds of
milliseconds away, so the runs are repeated with a simulated round trip per HTTP request.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

REGIONS_WITH_BROKERS = (
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "eu-west-1", "eu-west-2", "eu-west-3",
    "eu-central-1", "eu-north-1", "ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-southeast-1",
    "ap-southeast-2", "sa-east-1", "me-south-1",
)  # fmt: skip
BROKERS_PER_REGION = 6
LATENCIES_MS = (0, 100)


def main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # tests/support
    from support import emulator

    emulator.use_fake_credentials()
    import boto3

    from mq_network.core.parameters import parse_parameters
    from mq_network_tools.audit import accounts, sessions

    with emulator.moto_server() as url:
        for region in REGIONS_WITH_BROKERS:
            client = boto3.client("mq", region_name=region, endpoint_url=url)
            seeds = [emulator.BrokerSeed(f"{region}-Broker-{n}") for n in range(BROKERS_PER_REGION)]
            emulator.seed_brokers(client, seeds)
        params = parse_parameters({})
        print(
            f"{'round trip':>10}  {'targets':>7}  {'sequential':>11}  {'concurrent':>11}  {'slowest region':>14}  ratio"
        )
        for latency in LATENCIES_MS:

            def with_latency(**kwargs: Any) -> Any:
                session = sessions.make_session(**kwargs)  # as the CLI makes them: one shared data loader
                if latency:  # noqa: B023 - each pass builds its own sessions
                    session.events.register("before-send", lambda **_: time.sleep(latency / 1000))  # noqa: B023
                return session

            session_factory = sessions.one_session_per_credentials(with_latency)  # as run_audit does

            targets, failures = accounts.plan_targets([accounts.Account("current")], ["all"], url, session_factory)
            assert not failures, failures
            timings = {}
            for label, workers in (("sequential", 1), ("concurrent", accounts.MAX_WORKERS)):
                started = time.perf_counter()
                rows, failed, _ = accounts.audit_targets(targets, params, url, session_factory, workers=workers)
                timings[label] = time.perf_counter() - started
                assert not failed and len(rows) == len(REGIONS_WITH_BROKERS) * BROKERS_PER_REGION, (failed, len(rows))
            slowest = 0.0
            for target in targets:
                started = time.perf_counter()
                accounts.audit_targets([target], params, url, session_factory, workers=1)
                slowest = max(slowest, time.perf_counter() - started)
            print(
                f"{latency:>8} ms  {len(targets):>7}  {timings['sequential']:>10.2f}s  {timings['concurrent']:>10.2f}s"
                f"  {slowest:>13.2f}s  {timings['sequential'] / timings['concurrent']:.1f}x faster, "
                f"{timings['concurrent'] / slowest:.1f}x the slowest region"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
