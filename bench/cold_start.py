"""Cold-start cost of the Lambda handler's import path (and the hook's), against bare boto3, measured in one run.

Each sample is a fresh interpreter, as a Lambda cold start is. Lambda's code directory is
read-only, so Python cannot cache bytecode there: the rule's modules are compiled at every cold
start unless the package ships them precompiled (template.yaml's build does). Both are measured.
RE2 (google-re2, BrokerNamePattern's engine) is outside the handler's import path: it is loaded only
for a pattern other than the default, so its own import is measured apart, as what such a cold
start adds.
Samples of every import are interleaved so that machine noise hits them alike.

Issue 20's budget: the shipped handler's median within 1.10x of bare `import boto3`'s median (the
minimum is printed too; alone it is too noisy to decide with). BENCH_BEFORE=<a checkout's
directory> adds that checkout's shipped handler and hook, timed in the same run.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

RULE_DIR = Path(__file__).resolve().parent.parent / "MQ_NETWORK_OF_BROKERS"
SAMPLES = int(os.environ.get("BENCH_SAMPLES", "21"))
BUDGET = 1.10
PROBE = """
import json, resource, sys, time
sys.path[:0] = [{code_dir!r}, {site!r}]
start = time.perf_counter()
import {module}
elapsed = time.perf_counter() - start
print(json.dumps({{"seconds": elapsed, "rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}}))
"""
BASELINE = "boto3 (baseline)"
HANDLER = "MQ_NETWORK_OF_BROKERS"
HOOK = "mq_network.hook"
BUDGETED = ("handler, precompiled", "hook, precompiled")  # what Lambda runs: the shipped package


def lambda_copy(source: Path, target: Path, precompile: bool) -> Path:
    """The rule folder as Lambda gets it: code only, optionally with hash-checked-free bytecode."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*_test.py"))
    if precompile:
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", "--invalidation-mode", "unchecked-hash", str(target)],
            check=True,
        )
    return target


def sample(module: str, code_dir: Path) -> dict[str, float]:
    # -S: no site hooks (an editable install's finder would sit in the import path otherwise).
    code = PROBE.format(code_dir=str(code_dir), site=sysconfig.get_paths()["purelib"], module=module)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    out = subprocess.run([sys.executable, "-S", "-c", code], check=True, capture_output=True, text=True, env=env)
    return json.loads(out.stdout)


def variants(tmp: Path) -> dict[str, tuple[str, Path]]:
    shipped = lambda_copy(RULE_DIR, tmp / "compiled", True)
    found = {
        BASELINE: ("boto3", tmp),
        "handler, source only": (HANDLER, lambda_copy(RULE_DIR, tmp / "source", False)),
        "handler, precompiled": (HANDLER, shipped),
        "hook, precompiled": (HOOK, shipped),
        "re2 (a custom pattern)": ("re2", tmp),
    }
    before = os.environ.get("BENCH_BEFORE")
    if before:
        earlier = lambda_copy(Path(before) / "MQ_NETWORK_OF_BROKERS", tmp / "before", True)
        found["handler, BENCH_BEFORE"] = (HANDLER, earlier)
        found["hook, BENCH_BEFORE"] = (HOOK, earlier)
    return found


def main() -> int:
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        imports = variants(Path(tmp))
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in imports}
        for module, code_dir in imports.values():
            sample(module, code_dir)  # warm the page cache
        for _ in range(SAMPLES):
            for name, (module, code_dir) in imports.items():
                runs[name].append(sample(module, code_dir))
    figures = {
        name: (
            min(r["seconds"] for r in samples) * 1000,
            statistics.median(r["seconds"] for r in samples) * 1000,
            statistics.median(r["rss_kib"] for r in samples) / 1024,
        )
        for name, samples in runs.items()
    }
    base_min, base_median, base_mib = figures[BASELINE]
    print(f"Python {sys.version.split()[0]}, {SAMPLES} fresh interpreters per line, interleaved")
    print(f"load average (1, 5, 15 min): before {_load(load_before)}, after {_load(os.getloadavg())}")
    print(
        f"{'import':<24}{'min (ms)':>10}{'vs boto3':>10}{'median (ms)':>13}{'vs boto3':>10}"
        f"{'peak RSS (MiB)':>16}{'vs boto3':>10}"
    )
    for name, (least, median, mib) in figures.items():
        print(
            f"{name:<24}{least:>10.1f}{least / base_min:>9.3f}x{median:>13.1f}{median / base_median:>9.3f}x"
            f"{mib:>16.1f}{mib - base_mib:>+9.1f}M"
        )
    for name in BUDGETED:
        ratio = figures[name][1] / base_median
        verdict = "within" if ratio <= BUDGET else "OVER"
        print(f"{name} (shipped): median {ratio:.3f}x bare boto3 -> {verdict} the {BUDGET:.2f}x budget")
    re2_ms = figures["re2 (a custom pattern)"][0]
    print(f"a run with a custom BrokerNamePattern loads re2: +{re2_ms:.1f} ms ({re2_ms / base_min:.1%} of boto3)")
    return 0


def _load(averages: tuple[float, float, float]) -> str:
    return ", ".join(f"{value:.2f}" for value in averages)


if __name__ == "__main__":
    sys.exit(main())
