"""Issue 14: the audit's page in a real browser (Debian's Chromium, driven by Playwright), as a person sees it."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from mq_network_tools.audit import cli as audit
from mq_network_tools.audit import picture

ROOT = Path(__file__).resolve().parent.parent
BROWSER = ROOT / "tests" / "browser"


@pytest.fixture(scope="module")
def seen(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    missing = [
        what
        for what, ok in (
            ("Debian's chromium (/usr/bin/chromium)", Path("/usr/bin/chromium").exists()),
            ("node", shutil.which("node") is not None),
            (
                "playwright-core (npm ci --prefix tests/browser)",
                (BROWSER / "node_modules" / "playwright-core").exists(),
            ),
        )
        if not ok
    ]
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the browser test must run in CI: install {', '.join(missing)}")
        pytest.skip(f"BROWSER TEST SKIPPED: install {', '.join(missing)}")
    folder = tmp_path_factory.mktemp("page")
    out = io.StringIO()
    audit.main(["--demo", "--check-mode", "connectors", "--output", "html"], out, io.StringIO())
    page = folder / "network.html"
    page.write_text(out.getvalue())
    screenshot = folder / "network.png"
    done = subprocess.run(
        ["node", str(BROWSER / "check_page.mjs"), str(page), str(screenshot)],
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    report: dict[str, object] = json.loads(done.stdout)
    report["screenshot"] = screenshot
    return report


def test_every_brokers_name_is_visible_text(seen: dict[str, object]) -> None:
    nodes = seen["nodes"]
    assert isinstance(nodes, list)
    names = {node["label"] for node in nodes}
    expected = {
        "cc-project5-broker",
        "cc-multi-az-broker",
        "cc-production-broker",
        "orders-Broker-1",
        "orders-Broker-2",
        "orders-Broker-3",
        "events-rabbit",
        "lonely-Broker-1",
        "dr-Broker-1",
        "billing",
    }
    assert expected <= names
    for node in nodes:
        assert node["text"]["width"] > 0 and node["text"]["height"] > 0, node  # laid out, so drawn
        box = node["box"]
        assert box["right"] - box["left"] >= node["text"]["width"], node  # the name fits its box
    text = str(seen["bodyText"])
    for name in expected:
        assert name in text


def test_no_two_nodes_are_drawn_on_top_of_each_other(seen: dict[str, object]) -> None:
    nodes = seen["nodes"]
    assert isinstance(nodes, list)
    for i, a in enumerate(nodes):
        for b in nodes[i + 1 :]:
            if a["region"] != b["region"]:
                continue
            x = a["box"]["left"] < b["box"]["right"] and b["box"]["left"] < a["box"]["right"]
            y = a["box"]["top"] < b["box"]["bottom"] and b["box"]["top"] < a["box"]["bottom"]
            assert not (x and y), (a["label"], b["label"])


def test_the_page_loads_with_the_network_off(seen: dict[str, object]) -> None:
    requests = seen["requests"]
    assert isinstance(requests, list)
    assert [r for r in requests if not str(r).startswith("file://")] == []
    assert len(requests) == 1  # the page itself; no script, style, font or image from anywhere
    assert seen["scripts"] == 0


def test_colours_match_the_verdicts(seen: dict[str, object]) -> None:
    def rgb(hex_colour: str) -> str:
        value = hex_colour.lstrip("#")
        return "rgb({}, {}, {})".format(*(int(value[i : i + 2], 16) for i in (0, 2, 4)))

    nodes = seen["nodes"]
    assert isinstance(nodes, list)
    by_label = {node["label"]: node for node in nodes}
    assert by_label["orders-Broker-1"]["verdict"] == "COMPLIANT"
    assert by_label["lonely-Broker-1"]["verdict"] == "NON_COMPLIANT"
    assert by_label["events-rabbit"]["verdict"] == "NOT_APPLICABLE"
    for node in nodes:
        assert node["fill"] == rgb(picture.COLOURS[node["verdict"]][0]), node


def test_a_screenshot_was_taken(seen: dict[str, object]) -> None:
    screenshot = seen["screenshot"]
    assert isinstance(screenshot, Path)
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size > 20_000
