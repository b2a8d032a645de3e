"""The audit's own cost: mq-network-audit against the floor, a bare boto3 script that pages ListBrokers
and prints the names, on one moto server with N brokers. Whole processes (interpreter start, imports,
calls, output), interleaved so that machine noise hits every variant alike.

Issue 21's budget: the audit (name mode, each output) within 1.05x of the floor's wall time. This
machine's speed drifts by a third from one minute to the next (the floor's own wall time has run
from 0.49 s to 0.68 s between runs of this bench), more than the 5 % being judged. So each of
SAMPLES rounds times the floor and every variant back to back, in an order rotated each round (no
variant always runs first or right after the floor), and the verdict is the median over the rounds
of each round's ratio (variant / floor in that round): drift that hits a round hits both sides of
its ratio. The ratio of the medians, as the issue first measured it, and of the minimums are
printed beside it, with the machine's load average before and after.

Then, where valgrind is installed, each variant's instruction count (_instructions): the same to a
few instructions from run to run, and about an upper bound on the wall-time ratio.
BENCH_BEFORE=<a checkout's directory> times that checkout's audit (every output) in the same run,
against the floor run with the same PYTHONPATH (which the earlier checkout needs, and which costs
every import a look-up: comparing it with the plain floor would overstate it by about a point).
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

N = int(os.environ.get("BENCH_BROKERS", "200"))
SAMPLES = int(os.environ.get("BENCH_SAMPLES", "21"))
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
FLOOR_NAME = "bare boto3 (floor)"
# The floor again with BENCH_BEFORE's PYTHONPATH: two more entries on sys.path cost every import
# (boto3's too) a look-up, about 1 % here, so the earlier checkout is compared with this floor.
BEFORE_FLOOR_NAME = "floor, BENCH_BEFORE path"


def _env_for(command: list[str], env: dict[str, str]) -> dict[str, str]:
    """A BENCH_BEFORE variant's environment: the earlier checkout's modules first on the path (before the
    editable install's finder)."""
    before = os.environ.get("BENCH_BEFORE")
    if before and command[-1] == BEFORE_MARK:
        return {**env, "PYTHONPATH": f"{before}/src:{before}/MQ_NETWORK_OF_BROKERS"}
    return env


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one whole process; CPU time varies less on a busy machine."""
    env = _env_for(command, env)
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
        variants = {FLOOR_NAME: [sys.executable, "-c", FLOOR]}
        for output in OUTPUTS:
            variants[f"audit --output {output}"] = [sys.executable, "-c", AUDIT, "--output", output]
        before = os.environ.get("BENCH_BEFORE")  # a checkout of the code before a change: timed alongside
        if before:
            variants[BEFORE_FLOOR_NAME] = [sys.executable, "-c", FLOOR, BEFORE_MARK]
            for output in OUTPUTS:
                variants[f"{output}, BENCH_BEFORE"] = [sys.executable, "-c", AUDIT, "--output", output, BEFORE_MARK]
        load_before = os.getloadavg()
        for command in variants.values():  # warm the page cache and the server's service backends
            timed(command, env)
        walls: dict[str, list[float]] = {name: [] for name in variants}
        cpus: dict[str, list[float]] = {name: [] for name in variants}
        order = list(variants.items())
        for round_index in range(SAMPLES):
            shift = round_index % len(order)
            for name, command in order[shift:] + order[:shift]:
                wall, cpu = timed(command, env)
                walls[name].append(wall)
                cpus[name].append(cpu)
        load_after = os.getloadavg()
        print(f"N={N} brokers on one moto server, whole processes, {SAMPLES} rounds (each times every variant)")
        print(f"load average (1, 5, 15 min): before {_load(load_before)}, after {_load(load_after)}")
        print(
            f"{'variant':<24} {'paired':>7} {'median':>8} {'vs floor':>9} {'min':>8} {'vs floor':>9}  "
            f"{'CPU':>7} {'vs floor':>9}"
        )
        for name in variants:
            floor = _floor_of(name)
            paired = statistics.median(w / f for w, f in zip(walls[name], walls[floor], strict=True))
            wall, floor_wall = statistics.median(walls[name]), statistics.median(walls[floor])
            cpu, floor_cpu = statistics.median(cpus[name]), statistics.median(cpus[floor])
            print(
                f"{name:<24} {paired:>6.3f}x {wall:>7.3f}s {wall / floor_wall:>8.3f}x {min(walls[name]):>7.3f}s "
                f"{min(walls[name]) / min(walls[floor]):>8.3f}x  {cpu:>6.3f}s {cpu / floor_cpu:>8.3f}x"
                + _verdict(name, paired)
            )
        print("paired: the median of each round's variant / floor; the verdict is on it (module docstring)")
        _instructions(variants, env)
    return 0


def _instructions(variants: dict[str, list[str]], env: dict[str, str]) -> None:
    """Each variant once under valgrind (callgrind): the instructions the whole process executes.

    The count is the same on every run to a few instructions (the hash seed is fixed; moto's broker
    IDs and dates differ), whatever the machine's load, so it shows a change of a fraction of a
    percent that wall times cannot. It counts this process's own work in user space, not the time
    it waits for the server, which is the same for the audit and the floor, so the ratio of
    instructions is about an upper bound on the ratio of wall times (about: the kernel's work is not
    counted either, and the audit opens some 25 more module files, ~1 ms). BENCH_INSTRUCTIONS=0 skips it.
    """
    valgrind = shutil.which("valgrind")
    if os.environ.get("BENCH_INSTRUCTIONS") == "0" or not valgrind:
        print(
            "instructions: skipped ("
            + ("BENCH_INSTRUCTIONS=0" if valgrind else "no valgrind; apt-get install valgrind")
            + ")"
        )
        return
    counts = {}
    for name, command in variants.items():
        done = subprocess.run(
            [valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
            env={**_env_for(command, env), "PYTHONHASHSEED": "0"},
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False,
        )  # fmt: skip
        found = re.search(r"Collected : (\d+)", done.stderr)
        if done.returncode not in (0, 1) or not found:
            raise RuntimeError(f"valgrind on {name} failed ({done.returncode}): {done.stderr[-500:]}")
        counts[name] = int(found.group(1))
    print("instructions executed by the whole process (valgrind; the same on every run to a few):")
    for name, count in counts.items():
        ratio = count / counts[_floor_of(name)]
        print(f"  {name:<24} {count / 1e6:>9.1f} M {ratio:>8.4f}x" + _verdict(name, ratio))


def _floor_of(name: str) -> str:
    """The floor a variant is compared with: the one run with the same sys.path."""
    return BEFORE_FLOOR_NAME if name.endswith("BENCH_BEFORE") or name == BEFORE_FLOOR_NAME else FLOOR_NAME


def _verdict(name: str, ratio: float) -> str:
    if name in (FLOOR_NAME, BEFORE_FLOOR_NAME):
        return ""
    return ("  within" if ratio <= BUDGET else "  OVER") + f" {BUDGET}x"


def _load(averages: tuple[float, float, float]) -> str:
    return ", ".join(f"{value:.2f}" for value in averages)


if __name__ == "__main__":
    sys.exit(main())
