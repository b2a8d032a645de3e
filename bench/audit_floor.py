"""The audit's own cost: mq-network-audit against the floor, a bare boto3 script that pages ListBrokers
and prints the names, on one moto server with N brokers. Whole processes (interpreter start, imports,
calls, output), interleaved so that machine noise hits every variant alike; the median of SAMPLES.

Issue 21's budget: the audit (name mode, each output) within 1.05x of the floor's wall time.
`python -X importtime` of the audit is printed after, heaviest first, to show where the rest goes.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

N = int(os.environ.get("BENCH_BROKERS", "200"))
SAMPLES = int(os.environ.get("BENCH_SAMPLES", "7"))
BUDGET = 1.05
BIN = Path(sys.executable).parent
FLOOR = """
import boto3
client = boto3.client("mq", region_name="us-east-1")
for page in client.get_paginator("list_brokers").paginate(PaginationConfig={"PageSize": 100}):
    for broker in page["BrokerSummaries"]:
        print(broker["BrokerName"])
"""
OUTPUTS = ("table", "json", "csv")


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{command[0]} failed ({done.returncode}): {done.stderr.decode()[-500:]}")
    return elapsed


def main() -> int:
    from mq_network_tools import emulator

    emulator.use_fake_credentials()
    import boto3

    with emulator.moto_server() as url:
        client = boto3.client("mq", region_name="us-east-1", endpoint_url=url)
        emulator.seed_brokers(client, [emulator.BrokerSeed(f"orders-{n}-Broker-{n % 3}") for n in range(N)])
        env = {**os.environ, "AWS_ENDPOINT_URL": url}
        variants = {"bare boto3 (floor)": [sys.executable, "-c", FLOOR]}
        for output in OUTPUTS:
            variants[f"audit --output {output}"] = [
                str(BIN / "mq-network-audit"), "--regions", "us-east-1", "--output", output,
            ]  # fmt: skip
        for command in variants.values():  # warm the page cache and the bytecode
            timed(command, env)
        samples: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(SAMPLES):
            for name, command in variants.items():
                samples[name].append(timed(command, env))
        floor = statistics.median(samples["bare boto3 (floor)"])
        print(f"N={N} brokers on one moto server, whole processes, median of {SAMPLES} (interleaved)")
        print(f"{'variant':<24} {'median':>8} {'min':>8}  vs floor")
        for name, values in samples.items():
            ratio = statistics.median(values) / floor
            verdict = "" if name.startswith("bare") else ("  within" if ratio <= BUDGET else "  OVER") + f" {BUDGET}x"
            print(f"{name:<24} {statistics.median(values):>7.3f}s {min(values):>7.3f}s  {ratio:.3f}x{verdict}")
        probe = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", "import mq_network_tools.audit"],
            capture_output=True, text=True, env=env, check=True,
        )  # fmt: skip
        own = []
        for line in probe.stderr.splitlines():
            parts = line.split("|")
            if len(parts) == 3 and parts[0].strip().startswith("import time:") is False:
                continue
            if len(parts) == 3 and parts[1].strip().isdigit():
                own.append((int(parts[1]), parts[2].rstrip()))
        top = [(us, name) for us, name in own if name.strip().startswith(("mq_network", "boto3", "csv", "json"))]
        print("cumulative import time of the audit's top-level modules (us):")
        for us, name in sorted(top, reverse=True)[:8]:
            print(f"  {us:>8}  {name.strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
