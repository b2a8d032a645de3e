"""The hook's cost against the rule's, and mq-network-check's on a 1,000-resource template, in one run.

Cold start: a fresh interpreter importing each handler module from a precompiled copy of the rule
folder, as Lambda runs it (cold_start.py's method); the fastest of BENCH_SAMPLES is the import's own
cost. Per request: the hook's lambda_handler on one CREATE request, against the rule's
lambda_handler on one configuration-change event for one broker in an emulated account (moto),
both in-process after a warm-up. The checker: a 1,000-broker JSON template, in name mode and in
connectors mode (every broker with a configuration whose peer is the next broker, by Fn::GetAtt);
and mq-network-check on one small template in a fresh interpreter (what pre-commit pays per run),
against `python -c pass` in the same run, and on one Fn::ForEach template (cfn-lint imported).
"""

from __future__ import annotations

import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cold_start import RULE_DIR, lambda_copy, sample

SAMPLES = int(os.environ.get("BENCH_SAMPLES", "15"))
REQUESTS = 2000


def cold_starts() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        code = lambda_copy(RULE_DIR, Path(tmp) / "compiled", True)
        variants = {"rule handler": "MQ_NETWORK_OF_BROKERS", "hook handler": "mq_network.hook"}
        runs: dict[str, list[float]] = {name: [] for name in variants}
        for module in variants.values():
            sample(module, code)  # warm the page cache
        for _ in range(SAMPLES):
            for name, module in variants.items():
                runs[name].append(sample(module, code)["seconds"] * 1000)
    return {name: min(values) for name, values in runs.items()}


def hook_request_ms() -> float:
    os.environ["MQ_NETWORK_RULE_PARAMETERS"] = "{}"
    from mq_network.hook import lambda_handler

    properties = {"BrokerName": "orders-Broker-1", "DeploymentMode": "SINGLE_INSTANCE", "EngineType": "ACTIVEMQ"}
    event = {
        "clientRequestToken": "t",
        "awsAccountId": "123456789012",
        "actionInvocationPoint": "CREATE_PRE_PROVISION",
        "requestData": {
            "targetName": "AWS::AmazonMQ::Broker",
            "targetType": "AWS::AmazonMQ::Broker",
            "targetLogicalId": "OrdersBroker1",
            "targetModel": {"resourceProperties": properties},
        },
    }
    assert lambda_handler(event, None)["hookStatus"] == "SUCCESS"
    started = time.perf_counter()
    for _ in range(REQUESTS):
        lambda_handler(event, None)
    return (time.perf_counter() - started) / REQUESTS * 1000


def rule_request_ms() -> float:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # tests/support
    from support import emulator

    emulator.use_fake_credentials()
    import boto3
    from moto import mock_aws

    from MQ_NETWORK_OF_BROKERS import lambda_handler

    with mock_aws():
        mq = boto3.client("mq", region_name=emulator.REGION)
        created = mq.create_broker(
            BrokerName="orders-Broker-1",
            DeploymentMode="SINGLE_INSTANCE",
            EngineType="ACTIVEMQ",
            EngineVersion="5.18",
            HostInstanceType="mq.m5.large",
            AutoMinorVersionUpgrade=True,
            PubliclyAccessible=False,
            Users=[{"Username": "admin", "Password": "not-a-real-password-1"}],
        )
        event = emulator.change_event(emulator.configuration_item(created["BrokerId"], "orders-Broker-1"))
        lambda_handler(event, None)  # warm: clients and endpoint data
        times = []
        for _ in range(50):
            started = time.perf_counter()
            lambda_handler(event, None)
            times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def checker_ms(mode: str) -> tuple[float, float]:
    """The checker's median time, and the baseline: reading the same file with json.loads alone."""
    from mq_network_tools.prevent import cli as check

    resources: dict[str, object] = {}
    for n in range(1000):
        peer = f"Broker{(n + 1) % 1000}"
        xml = (
            '<broker xmlns="http://activemq.apache.org/schema/core"><networkConnectors>'
            f'<networkConnector name="to-{peer}" duplex="true" uri="static:(${{Peer}})"/>'
            "</networkConnectors></broker>"
        )
        resources[f"Configuration{n}"] = {
            "Type": "AWS::AmazonMQ::Configuration",
            "Properties": {
                "Name": f"c{n}",
                "EngineType": "ACTIVEMQ",
                "Data": {
                    "Fn::Base64": {
                        "Fn::Sub": [xml, {"Peer": {"Fn::Select": [0, {"Fn::GetAtt": [peer, "OpenWireEndpoints"]}]}}]
                    }
                },
            },
        }
        resources[f"Broker{n}"] = {
            "Type": "AWS::AmazonMQ::Broker",
            "Properties": {
                "BrokerName": f"mesh-Broker-{n + 1}",
                "DeploymentMode": "SINGLE_INSTANCE",
                "EngineType": "ACTIVEMQ",
                "Configuration": {"Id": {"Ref": f"Configuration{n}"}, "Revision": 1},
            },
        }
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.template.json"
        path.write_text(json.dumps({"Resources": resources}, indent=1))
        times, reads = [], []
        for _ in range(5):
            started = time.perf_counter()
            json.loads(path.read_text())
            reads.append(time.perf_counter() - started)
            out = io.StringIO()
            started = time.perf_counter()
            status = check.main([str(path), "--check-mode", mode, "--output", "json"], out, io.StringIO())
            times.append(time.perf_counter() - started)
            assert status == 0, out.getvalue()[:500]
            assert len(json.loads(out.getvalue())) == 1000
    return statistics.median(times) * 1000, statistics.median(reads) * 1000


FOR_EACH = """\
Transform: AWS::LanguageExtensions
Resources:
  Fn::ForEach::Members:
    - Index
    - ['1', '2', '3']
    - Member${Index}:
        Type: AWS::AmazonMQ::Broker
        Properties:
          BrokerName: !Sub 'orders-Broker-${Index}'
          DeploymentMode: SINGLE_INSTANCE
          EngineType: ACTIVEMQ
"""


def checker_start_ms(path: Path) -> tuple[float, float]:
    """mq-network-check on one file in a fresh interpreter (min of SAMPLES), and the baseline: the same
    interpreter starting and exiting. Name mode over one template imports no Terraform parser."""
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(root / d) for d in ("src", "MQ_NETWORK_OF_BROKERS"))}

    def run(*argv: str) -> float:
        started = time.perf_counter()
        subprocess.run([sys.executable, *argv], env=env, check=False, capture_output=True)
        return (time.perf_counter() - started) * 1000

    check, bare = [], []
    for _ in range(SAMPLES):
        check.append(run("-m", "mq_network_tools.prevent.cli", str(path)))
        bare.append(run("-c", "pass"))
    return min(check), min(bare)


def main() -> int:
    cold = cold_starts()
    print(f"cold start (import, precompiled, min of {SAMPLES} fresh interpreters)")
    for name, ms in cold.items():
        print(f"  {name:<14}{ms:>8.1f} ms  ({ms / cold['rule handler'] * 100:.0f}% of the rule's)")
    hook = hook_request_ms()
    rule = rule_request_ms()
    print("per request, warm")
    print(f"  {'rule handler':<14}{rule:>8.2f} ms  one change event, one broker, emulated AWS (moto)")
    print(f"  {'hook handler':<14}{hook:>8.3f} ms  one CREATE request, no AWS call ({rule / hook:.0f}x less)")
    data = Path(__file__).resolve().parent.parent / "tests" / "data"
    print(f"mq-network-check on one file, fresh interpreter (min of {SAMPLES})")
    with tempfile.TemporaryDirectory() as tmp:
        for_each = Path(tmp) / "foreach.yaml"
        for_each.write_text(FOR_EACH)
        files = (
            ("template", data / "templates" / "mesh.yaml"),
            ("Fn::ForEach", for_each),
            (".tf", data / "terraform" / "brokers"),
        )
        for label, path in files:
            ms, bare = checker_start_ms(path)
            print(f"  {label:<12}{ms:>8.0f} ms  (python starting alone: {bare:.0f} ms)")
    print("mq-network-check, 1,000 brokers and 1,000 configurations in one template (median of 5)")
    for mode in ("name", "both"):
        ms, read = checker_ms(mode)
        print(f"  CheckMode {mode:<8}{ms:>8.0f} ms  (reading the file alone: {read:.0f} ms, {ms / read:.0f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
