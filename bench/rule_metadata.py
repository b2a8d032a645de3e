"""What reading the rule's metadata (mq_network/core/rule_metadata.json) costs the hook's cold start.

The hook reads the file on its first annotation, once per container. Each sample is a fresh
interpreter: the hook's import (the baseline), then the first `rule_metadata()` (open, read, parse a
1 KB JSON file, check its fields), then the same parse of text already in memory (what embedding
it as a generated Python module would leave: no file read). Median and minimum of SAMPLES.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

RULE_DIR = Path(__file__).resolve().parent.parent / "MQ_NETWORK_OF_BROKERS"
SAMPLES = int(os.environ.get("BENCH_SAMPLES", "21"))
PROBE = """
import json, sys, time
sys.path.insert(0, {code_dir!r})
start = time.perf_counter()
import mq_network.hook
from mq_network.core import rule_metadata as m
imported = time.perf_counter()
m.rule_metadata()
read = time.perf_counter()
with open(m.PATH, encoding="utf-8") as file:
    text = file.read()
embedded_start = time.perf_counter()
m.parse_rule_metadata(text)  # the text already in memory, as a generated module would hold it
embedded = time.perf_counter() - embedded_start
print(json.dumps({{"import": imported - start, "read": read - imported, "embedded": embedded}}))
"""


def main() -> int:
    samples = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", PROBE.format(code_dir=str(RULE_DIR))],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )
        for _ in range(SAMPLES)
    ]
    print(f"rule metadata, {SAMPLES} fresh interpreters (median / min):")
    for key, label in (
        ("import", "import mq_network.hook (baseline)"),
        ("read", "first rule_metadata(): read the JSON file"),
        ("embedded", "the same, text already in memory (no file read)"),
    ):
        values = [s[key] * 1000 for s in samples]
        print(f"  {label:<48} {statistics.median(values):8.3f} ms {min(values):8.3f} ms")
    ratio = statistics.median(s["read"] / s["import"] for s in samples)
    print(f"  reading the file costs {ratio:.2%} of the hook's import (median of the per-run ratios)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
