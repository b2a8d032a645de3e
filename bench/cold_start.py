"""Cold-start cost of the Lambda handler's import path, against bare boto3, measured in one run.

Each sample is a fresh interpreter, as a Lambda cold start is. Lambda's code directory is
read-only, so Python cannot cache bytecode there: the rule's modules are compiled at every cold
start unless the package ships them precompiled (template.yaml's build does). Both are measured.
RE2 (google-re2, BrokerNamePattern's engine) is outside the handler's import path: it is loaded on
the first name check, so its own import is measured apart, as what such a cold start adds.
Samples of the three imports are interleaved so that machine noise hits them alike.
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
PROBE = """
import json, resource, sys, time
sys.path[:0] = [{code_dir!r}, {site!r}]
start = time.perf_counter()
import {module}
elapsed = time.perf_counter() - start
print(json.dumps({{"seconds": elapsed, "rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}}))
"""


def lambda_copy(target: Path, precompile: bool) -> Path:
    """The rule folder as Lambda gets it: code only, optionally with hash-checked-free bytecode."""
    shutil.copytree(RULE_DIR, target, ignore=shutil.ignore_patterns("__pycache__", "*_test.py"))
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


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        variants = {
            "boto3 (baseline)": ("boto3", Path(tmp)),
            "handler, source only": ("MQ_NETWORK_OF_BROKERS", lambda_copy(Path(tmp) / "source", False)),
            "handler, precompiled": ("MQ_NETWORK_OF_BROKERS", lambda_copy(Path(tmp) / "compiled", True)),
            "re2 (first name check)": ("re2", Path(tmp)),
        }
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in variants}
        for module, code_dir in variants.values():
            sample(module, code_dir)  # warm the page cache
        for _ in range(SAMPLES):
            for name, (module, code_dir) in variants.items():
                runs[name].append(sample(module, code_dir))
    # The fastest sample is the import's own cost; slower ones add the machine's noise.
    best = {
        name: (
            min(r["seconds"] for r in samples) * 1000,
            statistics.median(r["seconds"] for r in samples) * 1000,
            statistics.median(r["rss_kib"] for r in samples) / 1024,
        )
        for name, samples in runs.items()
    }
    base_ms, _, base_mib = best["boto3 (baseline)"]
    print(f"Python {sys.version.split()[0]}, {SAMPLES} fresh interpreters per line, interleaved")
    print(f"{'import':<24}{'min (ms)':>10}{'vs boto3':>10}{'median (ms)':>13}{'peak RSS (MiB)':>16}{'vs boto3':>10}")
    for name, (ms, median, mib) in best.items():
        print(
            f"{name:<24}{ms:>10.1f}{(ms - base_ms) / base_ms * 100:>+9.1f}%{median:>13.1f}"
            f"{mib:>16.1f}{mib - base_mib:>+9.1f}M"
        )
    shipped = (best["handler, precompiled"][0] - base_ms) / base_ms * 100
    verdict = "within" if shipped < 10 else "OVER"
    print(f"shipped package (precompiled): {shipped:+.1f}% over boto3 -> {verdict} the 10% budget")
    re2_ms = best["re2 (first name check)"][0]
    share = re2_ms / base_ms * 100
    print(f"a run that checks names loads re2 on its first match: +{re2_ms:.1f} ms ({share:.1f}% of boto3)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
