"""mq-network-audit beside the tools a user would pick instead, on one moto server, in one run.

Seeds a moto server on loopback with N Amazon MQ brokers (half named `<x>-Broker-<n>`, half not,
one in ten RabbitMQ), then runs each tool as a whole process (a warm-up, then RUNS runs; the
median is reported) and prints its wall time, the Amazon MQ API calls it made (from the server's
request log) and whether it found exactly the brokers outside a network:

- mq-network-audit --regions us-east-1 --output json (this project);
- Cloud Custodian: a policy on aws.message-broker with a BrokerName regex filter, --cache-period 0;
- Prowler: prowler aws --service mq (it has no network-of-brokers check: it is timed, and the
  brokers it reports on are counted).

The peers are installed in their own virtual environments under build/peers/ (pinned below), never
in the project's. Targets (issue 12), at N = 200: at most 1/5 of Cloud Custodian's wall time and
1/40 of Prowler's. Usage: .venv/bin/python bench/peers.py [N ...]  (default 50 200 1000; RUNS=3).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEERS = ROOT / "build" / "peers"
VERSIONS = {"c7n": "c7n==0.9.53", "prowler": "prowler==5.46.0"}
RUNS = int(os.environ.get("RUNS", "3"))
REGION = "us-east-1"
POLICY = """\
policies:
  - name: mq-not-in-network
    resource: aws.message-broker
    filters:
      - {type: value, key: EngineType, op: regex, value: "(?i)activemq"}
      - {type: value, key: BrokerName, op: regex, value: "^(?!.*-Broker-[0-9]+$).*$"}
"""
_REQUEST = re.compile(r'"(GET|POST|PUT|DELETE) (\S+) HTTP')


def main(argv: list[str]) -> int:
    sizes = [int(a) for a in argv] or [50, 200, 1000]
    tools = {"mq-network-audit": audit_run, **{name: runner for name, runner in PEER_RUNNERS.items() if ready(name)}}
    with moto_server() as (url, log):
        print(f"{'N':>5}  {'tool':<17} {'wall (median)':>13}  {'found exactly':<14} MQ API calls")
        results: dict[tuple[int, str], float] = {}
        for n in sizes:
            expected = seed(url, n)
            for name, runner in tools.items():
                runner(url, Path(tempfile.mkdtemp()))  # warm-up: disk caches, bytecode
                times, found, calls = [], None, Counter()
                for _ in range(RUNS):
                    out = Path(tempfile.mkdtemp())
                    mark = log.stat().st_size
                    started = time.perf_counter()
                    found = runner(url, out)
                    times.append(time.perf_counter() - started)
                    calls = operations(log.read_text(errors="replace")[mark:])
                    shutil.rmtree(out, ignore_errors=True)
                median = statistics.median(times)
                results[(n, name)] = median
                verdict = "n/a" if found is None else ("yes" if found == expected else f"no ({len(found)})")
                shown = ", ".join(f"{op} {count}" for op, count in sorted(calls.items()))
                print(f"{n:>5}  {name:<17} {median:>11.2f} s  {verdict:<14} {shown}", flush=True)
        compare(results, sizes)
    return 0


def compare(results: dict[tuple[int, str], float], sizes: list[int]) -> None:
    for n in sizes:
        ours = results[(n, "mq-network-audit")]
        for peer, target in (("cloud-custodian", 5), ("prowler", 40)):
            if (n, peer) in results:
                ratio = results[(n, peer)] / ours
                mark = "" if n != 200 else ("  target met" if ratio >= target else f"  TARGET MISSED (1/{target})")
                print(f"N={n}: mq-network-audit is {ratio:.1f}x faster than {peer}{mark}")


def audit_run(url: str, out: Path) -> set[str]:
    command = [str(ROOT / ".venv" / "bin" / "mq-network-audit"), "--endpoint-url", url, "--regions", REGION]
    done = subprocess.run([*command, "--output", "json"], capture_output=True, text=True, env=_env(), check=False)
    document = json.loads(done.stdout)
    return {row["name"] for row in document["results"] if row["verdict"] == "NON_COMPLIANT"}


def custodian_run(url: str, out: Path) -> set[str]:
    policy = out / "policy.yml"
    policy.write_text(POLICY)
    command = [str(PEERS / "c7n" / "bin" / "custodian"), "run", "-s", str(out), "--region", REGION]
    subprocess.run([*command, "--cache-period", "0", str(policy)], capture_output=True, env=_env(url), check=True)
    resources = json.loads((out / "mq-not-in-network" / "resources.json").read_text())
    return {resource["BrokerName"] for resource in resources}


def prowler_run(url: str, out: Path) -> set[str] | None:
    command = [str(PEERS / "prowler" / "bin" / "prowler"), "aws", "--service", "mq", "--region", REGION]
    subprocess.run(
        [*command, "--output-formats", "json-ocsf", "--output-directory", str(out), "--no-banner"],
        capture_output=True,
        env=_env(url),
        check=False,
        timeout=1800,
    )
    return None  # no network-of-brokers check to compare


PEER_RUNNERS = {"cloud-custodian": custodian_run, "prowler": prowler_run}
_VENV = {"cloud-custodian": "c7n", "prowler": "prowler"}


def ready(tool: str) -> bool:
    """The peer's own virtual environment, installed on first use (pinned), or a loud skip."""
    venv = PEERS / _VENV[tool]
    executable = venv / "bin" / ("custodian" if tool == "cloud-custodian" else "prowler")
    if executable.exists():
        return True
    python = next(iter(sorted(Path.home().glob(".pyenv/versions/3.12.*/bin/python"))), Path(sys.executable))
    try:
        subprocess.run([str(python), "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run([*pip, VERSIONS[_VENV[tool]]], check=True, timeout=1800)
    except (subprocess.SubprocessError, OSError) as err:
        print(f"SKIPPED {tool}: could not install {VERSIONS[_VENV[tool]]} ({err})")
        return False
    return executable.exists()


def seed(url: str, n: int) -> set[str]:
    """N brokers on a reset server; returns the names outside a network (ActiveMQ, no -Broker-n)."""
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"), timeout=10)
    sys.path[:0] = [str(ROOT / "src"), str(ROOT / "MQ_NETWORK_OF_BROKERS")]
    import boto3

    from mq_network_tools.demo import emulator

    client = boto3.client(
        "mq", region_name=REGION, endpoint_url=url, aws_access_key_id="bench", aws_secret_access_key="bench"
    )
    expected = set()
    for i in range(n):
        rabbit = i % 10 == 9
        name = f"app{i}-Broker-1" if i % 2 == 0 else f"lonely{i}"
        seed_ = emulator.BrokerSeed(
            name, "CLUSTER_MULTI_AZ" if rabbit else "SINGLE_INSTANCE", "RABBITMQ" if rabbit else "ACTIVEMQ"
        )
        emulator.create_broker(client, seed_)
        if not rabbit and i % 2:
            expected.add(name)
    return expected


def operations(log: str) -> Counter[str]:
    """Amazon MQ operations from the server's request log (REST paths); query-protocol calls as POST /."""
    counts: Counter[str] = Counter()
    for method, url in _REQUEST.findall(log):
        path = url.split("?", 1)[0]
        if path.startswith("/moto-api"):
            continue
        parts = path.strip("/").split("/")
        if parts[:2] == ["v1", "brokers"]:
            counts["ListBrokers" if len(parts) == 2 else "DescribeBroker" if len(parts) == 3 else "mq:" + parts[3]] += 1
        elif parts[:2] == ["v1", "configurations"]:
            counts["DescribeConfigurationRevision" if "revisions" in parts else "configurations"] += 1
        elif parts[:2] == ["v1", "tags"]:
            counts["ListTags"] += 1
        else:
            counts[f"{method} {path} (other services)"] += 1
    return counts


def _env(url: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION=REGION)
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    if url:
        env["AWS_ENDPOINT_URL"] = url
    return env


@contextlib.contextmanager
def moto_server() -> Iterator[tuple[str, Path]]:
    """The emulator's moto server, its requests logged to a file the call counts are read from."""
    sys.path[:0] = [str(ROOT / "src"), str(ROOT / "MQ_NETWORK_OF_BROKERS"), str(ROOT / "tests")]
    from support import emulator

    log = Path(tempfile.mkdtemp()) / "moto.log"
    with log.open("w") as handle, emulator.moto_server(handle) as url:
        yield url, log


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
