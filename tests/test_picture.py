"""Issue 14: pictures of the network (HTML, Graphviz DOT, Mermaid), checked by the tools that read them."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from mq_network_tools.audit import cli as audit
from mq_network_tools.audit import picture
from mq_network_tools.audit.rows import Row, Summary

ROOT = Path(__file__).resolve().parent.parent
BROWSER = ROOT / "tests" / "browser"


def required(tool: str, what: str) -> None:
    """A tool the test needs: skipped loudly where it is missing, a failure under CI."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} must run in CI: {tool} is missing (make test installs it on Debian as root)")
    pytest.skip(f"PICTURE TEST SKIPPED: {tool} is not installed ({what})")


def demo(*options: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    status = audit.main(["--demo", *options], out, err)
    return status, out.getvalue()


def rows_of(*brokers: tuple[str, str, str, tuple[Any, ...]]) -> list[Row]:
    return [
        Row("123456789012", "us-east-1", name.lower(), name, mode, "ACTIVEMQ", verdict, f"about {name}", links)
        for name, mode, verdict, links in brokers
    ]


SUMMARY = Summary(0, {"COMPLIANT": 0, "NON_COMPLIANT": 0, "NOT_APPLICABLE": 0}, 1, 1, 1, 1, 0, 0.1, "connectors")


def test_the_html_page_is_self_contained_and_shows_every_broker_and_verdict() -> None:
    status, page = demo("--check-mode", "connectors", "--output", "html")
    assert status == 1
    assert "<script" not in page and "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in page and "@import" not in page and "url(" not in page.replace("url(#arrow)", "")
    for name in ("orders-Broker-1", "orders-Broker-2", "orders-Broker-3", "lonely-Broker-1", "events-rabbit"):
        assert re.search(rf'<g class="node[^"]*" data-key="[^"]+" data-verdict="\w+" data-label="{name}"', page), name
    assert 'data-label="events-rabbit"' in page and 'data-verdict="NOT_APPLICABLE" data-label="events-rabbit"' in page
    assert 'data-verdict="NON_COMPLIANT" data-label="lonely-Broker-1"' in page
    assert page.count('<line class="edge both"') >= 3  # the orders mesh and the cross-region pair
    assert '<table id="results">' in page and "Annotation" in page
    assert "links-not-read" not in page


def test_name_mode_groups_brokers_by_mesh_and_says_no_link_was_read() -> None:
    _, page = demo("--output", "html")
    assert 'id="links-not-read"' in page
    assert page.count('class="mesh-group"') == 1  # orders-Broker-1..3; lonely-Broker-1 is alone
    assert '<line class="edge' not in page


def test_one_way_links_are_arrows_and_duplex_links_plain_lines() -> None:
    rows = rows_of(
        ("a", "SINGLE_INSTANCE", "NON_COMPLIANT", (("b", "b", "out", "broker"),)),
        ("b", "ACTIVE_STANDBY_MULTI_AZ", "NON_COMPLIANT", (("a", "a", "in", "broker"),)),
        ("c", "SINGLE_INSTANCE", "COMPLIANT", (("external:far", "far.example.com", "both", "external"),)),
    )
    page = picture.html(rows, [], SUMMARY)
    assert re.search(r'<line class="edge one-way" data-from="a" data-to="b"[^>]*marker-end="url\(#arrow\)"', page)
    assert re.search(r'<line class="edge both" data-from="c" data-to="external:far"', page)
    assert '<g class="node external" data-key="external:far" data-verdict="EXTERNAL"' in page
    assert '<g class="node standby" data-key="b"' in page


def test_names_from_aws_are_escaped_in_every_format() -> None:
    evil = '<script>alert(1)</script>"\\\n'
    rows = rows_of((evil, "SINGLE_INSTANCE", "COMPLIANT", (("external:x", "x</text><script>", "both", "external"),)))
    page = picture.html(rows, [], SUMMARY)
    assert "<script" not in page
    dot = picture.dot(rows, [], SUMMARY)
    assert '\\"' in dot and "\\\\" in dot
    mermaid = picture.mermaid(rows, [], SUMMARY)
    assert "<script>" not in mermaid and '"<' not in mermaid


def boxes(page: picture.Region, linked: bool = True) -> list[tuple[float, float, float, float]]:
    positions = picture.layout(page, linked)
    return [
        (
            x - picture._width(page.nodes[k]) / 2,
            y - picture._HEIGHT / 2,
            x + picture._width(page.nodes[k]) / 2,
            y + picture._HEIGHT / 2,
        )
        for k, (x, y) in positions.items()
    ]


def overlapping(found: list[tuple[float, float, float, float]]) -> list[tuple[int, int]]:
    return [
        (i, j)
        for i, a in enumerate(found)
        for j, b in enumerate(found)
        if i < j and a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
    ]


@pytest.mark.parametrize("shape", ["alone", "meshes of 12", "one mesh of 50", "hub of 49", "named meshes"])
def test_fifty_brokers_in_a_region_never_overlap(shape: str) -> None:
    """Amazon MQ's default quota is 50 brokers a region; names up to its 50 characters."""
    names = [f"{'n' * (40 - len(str(i)))}{i}-Broker-{i % 3 + 1}" for i in range(50)]
    links: dict[int, tuple[Any, ...]] = {}
    if shape == "meshes of 12":
        links = {i: ((names[i - 1].lower(), names[i - 1], "both", "broker"),) for i in range(50) if i % 12}
    elif shape == "one mesh of 50":
        links = {i: ((names[i - 1].lower(), names[i - 1], "both", "broker"),) for i in range(1, 50)}
    elif shape == "hub of 49":
        links = {0: tuple((n.lower(), n, "both", "broker") for n in names[1:])}
    rows = rows_of(*((n, "SINGLE_INSTANCE", "COMPLIANT", links.get(i, ())) for i, n in enumerate(names)))
    linked = shape != "named meshes"
    [region] = picture.regions(rows, linked)
    assert overlapping(boxes(region, linked)) == []


def test_dot_renders_with_graphviz(tmp_path: Path) -> None:
    if shutil.which("dot") is None:
        required("Graphviz (dot)", "rendering the DOT output")
    _, text = demo("--check-mode", "connectors", "--output", "dot")
    done = subprocess.run(["dot", "-Tsvg"], input=text, capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "<svg" in done.stdout and "orders&#45;Broker&#45;1" in done.stdout
    assert done.stdout.count('class="node"') == 12  # 10 brokers and the 2 cross-region peers


def test_mermaid_is_accepted_by_mermaids_own_parser(tmp_path: Path) -> None:
    if shutil.which("node") is None or not (BROWSER / "node_modules" / "mermaid").exists():
        required("the mermaid npm package (npm ci --prefix tests/browser)", "parsing the Mermaid output")
    for mode in ("connectors", "name"):
        _, text = demo("--check-mode", mode, "--output", "mermaid")
        source = tmp_path / f"{mode}.mmd"
        source.write_text(text)
        done = subprocess.run(
            ["node", str(BROWSER / "parse_mermaid.mjs"), str(source)],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "flowchart-v2"
    broken = tmp_path / "broken.mmd"
    broken.write_text(text.replace("  end", "  end end (", 1))
    failed = subprocess.run(["node", str(BROWSER / "parse_mermaid.mjs"), str(broken)], capture_output=True, check=False)
    assert failed.returncode == 1  # the parser really parses


def test_the_audit_json_carries_each_brokers_links() -> None:
    _, text = demo("--check-mode", "connectors", "--output", "json")
    results = {row["name"]: row for row in json.loads(text)["results"]}
    assert {link["label"] for link in results["orders-Broker-1"]["links"]} == {"orders-Broker-2", "orders-Broker-3"}
    assert {link["direction"] for link in results["orders-Broker-1"]["links"]} == {"both"}
    assert results["lonely-Broker-1"]["links"] == []
