"""The audit's own cost: mq-network-audit against the floor, a bare boto3 script that pages ListBrokers
and prints the names, on one moto server with N brokers. Whole processes (interpreter start, imports,
calls, output), interleaved so that machine noise hits every variant alike; the median of SAMPLES.

Issue 21's budget: the audit (name mode, each output) within 1.05x of the floor's wall time, by
the medians; the minimum of each is printed next to it, and the machine's load average before and
after (on a shared machine the medians move with it). BENCH_BEFORE=<a checkout's directory> times
that checkout's audit (every output) in the same run.
`python -X importtime` of the audit is printed after, heaviest first, to show where the rest goes.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

N = int(os.environ.get("BENCH_BROKERS", "200"))
SAMPLES = int(os.environ.get("BENCH_SAMPLES", "7"))
BUDGET = 1.05
FLOOR = """
import boto3
client = boto3.client("mq", region_name="us-east-1")
for page in client.get_paginator("list_brokers").paginate(PaginationConfig={"PageSize": 100}):
    for broker in page["BrokerSummaries"]:
        print(broker["BrokerName"])
"""
OUTPUTS = ("table", "json", "csv")
# What the mq-network-audit console script runs; the marker (ignored by main) selects BENCH_BEFORE's code.
AUDIT = "import sys; from mq_network_tools.audit.cli import main; sys.exit(main(sys.argv[1:3]))"
BEFORE_MARK = "before"


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one whole process; CPU time varies less on a busy machine."""
    before = os.environ.get("BENCH_BEFORE")
    if before and command[-1] == BEFORE_MARK:
        # The earlier checkout's modules first on the path (before the editable install's finder).
        env = {**env, "PYTHONPATH": f"{before}/src:{before}/MQ_NETWORK_OF_BROKERS"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{command[0]} failed ({done.returncode}): {done.stderr.decode()[-500:]}")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # tests/support
    from support import emulator

    emulator.use_fake_credentials()
    import boto3

    with emulator.moto_server() as url:
        client = boto3.client("mq", region_name="us-east-1", endpoint_url=url)
        emulator.seed_brokers(client, [emulator.BrokerSeed(f"orders-{n}-Broker-{n % 3}") for n in range(N)])
        # As installed from a wheel, the package's modules are precompiled (boto3's are): compile ours too,
        # and let the children use bytecode even where PYTHONDONTWRITEBYTECODE is set.
        root = Path(__file__).resolve().parent.parent
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", str(root / "src"), str(root / "MQ_NETWORK_OF_BROKERS"),
             *([os.environ["BENCH_BEFORE"]] if os.environ.get("BENCH_BEFORE") else [])],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env.update(AWS_ENDPOINT_URL=url, AWS_REGION="us-east-1", AWS_DEFAULT_REGION="us-east-1")
        variants = {"bare boto3 (floor)": [sys.executable, "-c", FLOOR]}
        for output in OUTPUTS:
            variants[f"audit --output {output}"] = [sys.executable, "-c", AUDIT, "--output", output]
        before = os.environ.get("BENCH_BEFORE")  # a checkout of the code before a change: timed alongside
        if before:
            for output in OUTPUTS:
                variants[f"{output}, BENCH_BEFORE"] = [sys.executable, "-c", AUDIT, "--output", output, BEFORE_MARK]
        load_before = os.getloadavg()
        for command in variants.values():  # warm the page cache and the server's service backends
            timed(command, env)
        walls: dict[str, list[float]] = {name: [] for name in variants}
        cpus: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(SAMPLES):
            for name, command in variants.items():
                wall, cpu = timed(command, env)
                walls[name].append(wall)
                cpus[name].append(cpu)
        load_after = os.getloadavg()
        floor = statistics.median(walls["bare boto3 (floor)"])
        floor_min = min(walls["bare boto3 (floor)"])
        floor_cpu = statistics.median(cpus["bare boto3 (floor)"])
        print(f"N={N} brokers on one moto server, whole processes, median of {SAMPLES} (interleaved)")
        print(f"load average (1, 5, 15 min): before {_load(load_before)}, after {_load(load_after)}")
        print(f"{'variant':<24} {'median':>8} {'vs floor':>9} {'min':>8} {'vs floor':>9}  {'CPU':>7} {'vs floor':>9}")
        for name in variants:
            ratio = statistics.median(walls[name]) / floor
            verdict = "" if name.startswith("bare") else ("  within" if ratio <= BUDGET else "  OVER") + f" {BUDGET}x"
            print(
                f"{name:<24} {statistics.median(walls[name]):>7.3f}s {ratio:>8.3f}x {min(walls[name]):>7.3f}s "
                f"{min(walls[name]) / floor_min:>8.3f}x  {statistics.median(cpus[name]):>6.3f}s "
                f"{statistics.median(cpus[name]) / floor_cpu:>8.3f}x{verdict}"
            )
        probe = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", "import mq_network_tools.audit.cli"],
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


def _load(averages: tuple[float, float, float]) -> str:
    return ", ".join(f"{value:.2f}" for value in averages)


if __name__ == "__main__":
    sys.exit(main())
