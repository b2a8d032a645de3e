"""Real-broker tests run whenever ActiveMQ can be had; under CI a skip is a failure."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import pytest

from .harness import JVMS_LAUNCHED, available

FIGURES: dict[str, Any] = {"topologies": [], "brokers_started": 0, "messages": 0, "startup_seconds": []}


@pytest.fixture(autouse=True)
def real_activemq() -> Iterator[None]:
    missing = available()
    if missing is None:
        FIGURES.setdefault("first", time.monotonic())
        yield
        FIGURES["last"] = time.monotonic()
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"the real-ActiveMQ tests must run in CI: install {missing} (make test does on Debian as root)")
    pytest.skip(f"REAL ACTIVEMQ TESTS SKIPPED: install {missing}")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not FIGURES["topologies"]:
        return
    write = terminalreporter.write_line
    write("")
    write("real ActiveMQ 5.17 (Debian) against the rule and the remediation:")
    for name, verdict in FIGURES["topologies"]:
        write(f"  {name:<44} {verdict}")
    startups = FIGURES["startup_seconds"] or [0.0]
    write(
        f"  {len(FIGURES['topologies'])} topologies, {FIGURES['brokers_started']} broker instances started "
        f"in {JVMS_LAUNCHED[0]} Java processes, "
        f"{FIGURES['messages']} messages exchanged; time to serve per broker, started in parallel: "
        f"median {sorted(startups)[len(startups) // 2]:.1f} s, max {max(startups):.1f} s; "
        f"real-broker tests took {FIGURES.get('last', 0) - FIGURES.get('first', 0):.0f} s"
    )
