"""Pictures of the network from the audit's results: one HTML page, Graphviz DOT, or Mermaid.

Brokers are nodes (colour: verdict; shape: deployment mode; peers outside the audit dashed),
bridges are edges (a plain line both ways, an arrow one way). In name mode no connector is read:
brokers are grouped by their mesh name (`orders-Broker-1..3`) and the page says so.

The HTML page is self-contained (no script, no font or style from anywhere): its layout is
computed here, in Python, so no layout binary is needed. Components of at most 12 brokers sit on
a circle sized so that no two labels meet; larger ones, and the brokers alone, on a grid. DOT
gives Graphviz's own layout to those who have it. Every text from AWS is escaped for its format.
"""

from __future__ import annotations

import html as html_text
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from mq_network.core import COMPLIANT, MEMBER_NAME_PATTERN, NON_COMPLIANT, NOT_APPLICABLE

COLOURS = {  # verdict -> (fill, stroke)
    COMPLIANT: ("#c8e6c9", "#2e7d32"),
    NON_COMPLIANT: ("#ffcdd2", "#c62828"),
    NOT_APPLICABLE: ("#eeeeee", "#757575"),
    "EXTERNAL": ("#ffffff", "#455a64"),
}
_MEMBER = re.compile(MEMBER_NAME_PATTERN)
_CHAR = 7.4  # px per character of 13px sans-serif, a generous average
_HEIGHT = 46
_GAP = 48
_CIRCLE_LIMIT = 12
_ROW_WIDTH = 1500


class Node(NamedTuple):
    key: str
    label: str
    detail: str  # broker ID and mode, or "external"
    kind: str  # "broker" | "external"
    verdict: str  # COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE, or EXTERNAL
    standby: bool  # ACTIVE_STANDBY_MULTI_AZ (drawn with a double border)


class Edge(NamedTuple):
    source: str
    target: str
    both_ways: bool


class Region(NamedTuple):
    account: str
    region: str
    nodes: dict[str, Node]
    edges: list[Edge]
    groups: list[list[str]]  # connected components (or mesh-name groups in name mode)


def regions(rows: Iterable[Any], linked: bool) -> list[Region]:
    """The audit's rows as one graph per (account, region)."""
    by_place: dict[tuple[str, str], list[Any]] = {}
    for row in rows:
        by_place.setdefault((row.account, row.region), []).append(row)
    found = []
    for (account, region), members in sorted(by_place.items()):
        nodes: dict[str, Node] = {}
        for row in members:
            mode = "active/standby" if row.mode == "ACTIVE_STANDBY_MULTI_AZ" else row.mode.lower().replace("_", " ")
            nodes[row.broker_id] = Node(
                row.broker_id, row.name, f"{row.broker_id} · {mode}", "broker", row.verdict, mode == "active/standby"
            )
        edges: dict[frozenset[str], Edge] = {}
        for row in members:
            for peer, label, direction, kind in row.links:
                if peer not in nodes:
                    detail = "outside this region: exists" if kind == "verified" else "external, not verified"
                    nodes[peer] = Node(peer, label, detail, "external", "EXTERNAL", False)
                pair = frozenset((row.broker_id, peer))
                if direction == "both":
                    edges[pair] = Edge(row.broker_id, peer, True)
                elif pair not in edges:
                    source, target = (row.broker_id, peer) if direction == "out" else (peer, row.broker_id)
                    edges[pair] = Edge(source, target, False)
        groups = _components(nodes, edges.values()) if linked else _mesh_groups(nodes)
        found.append(Region(account, region, nodes, sorted(edges.values()), groups))
    return found


def _components(nodes: Mapping[str, Node], edges: Iterable[Edge]) -> list[list[str]]:
    neighbours: dict[str, set[str]] = {key: set() for key in nodes}
    for edge in edges:
        neighbours[edge.source].add(edge.target)
        neighbours[edge.target].add(edge.source)
    seen: set[str] = set()
    groups = []
    for key in sorted(nodes, key=lambda k: nodes[k].label):
        if key in seen:
            continue
        group, stack = [], [key]
        seen.add(key)
        while stack:
            current = stack.pop()
            group.append(current)
            for other in sorted(neighbours[current]):
                if other not in seen:
                    seen.add(other)
                    stack.append(other)
        groups.append(sorted(group, key=lambda k: nodes[k].label))
    return sorted(groups, key=lambda g: (-len(g), nodes[g[0]].label))


def _mesh_groups(nodes: Mapping[str, Node]) -> list[list[str]]:
    groups: dict[str, list[str]] = {}
    for key, node in nodes.items():
        match = _MEMBER.fullmatch(node.label)
        groups.setdefault(match["mesh"] if match else f"\0{key}", []).append(key)
    ordered = [sorted(g, key=lambda k: nodes[k].label) for g in groups.values()]
    return sorted(ordered, key=lambda g: (-len(g), nodes[g[0]].label))


# --- HTML ----------------------------------------------------------------------------------------


def html(rows: Sequence[Any], failures: Sequence[Any], summary: Any) -> str:
    linked = getattr(summary, "check_mode", "name") != "name"
    parts = [
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        "<title>Amazon MQ network of brokers</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>Amazon MQ network of brokers</h1>",
        f'<p class="summary">{_e(summary.line())}</p>',
    ]
    if not linked:
        parts.append(
            '<p class="note" id="links-not-read">CheckMode name: network connectors were not read, so no link is '
            "drawn; brokers are grouped by their mesh name (<code>&lt;mesh&gt;-Broker-&lt;n&gt;</code>). Run with "
            "<code>--check-mode connectors</code> to see the links.</p>"
        )
    parts.append(_legend())
    for place in regions(rows, linked):
        parts.append(f'<section class="region"><h2>{_e(place.account)} · {_e(place.region)}</h2>')
        parts.append(_svg(place, linked))
        parts.append("</section>")
    if failures:
        parts.append('<h2>Not read</h2><ul class="failures">')
        parts += [f"<li>{_e(f.account)} {_e(f.region)}: {_e(f.reason)}</li>" for f in failures]
        parts.append("</ul>")
    parts.append(_table(rows))
    parts.append("</body></html>\n")
    return "\n".join(parts)


_STYLE = (
    "body{font-family:'DejaVu Sans',Arial,sans-serif;margin:24px;color:#212121}"
    "h1{font-size:22px}h2{font-size:17px;margin:28px 0 8px}"
    ".summary{font-size:14px}.note{background:#fff8e1;border:1px solid #ffe082;padding:8px 12px;font-size:13px}"
    "svg{display:block;max-width:100%;height:auto;border:1px solid #e0e0e0;background:#fafafa}"
    "svg text{font-size:13px;font-family:'DejaVu Sans',Arial,sans-serif}svg text.detail{font-size:10px;fill:#555}"
    "table{border-collapse:collapse;font-size:12px;margin-top:24px}td,th{border:1px solid #ddd;padding:4px 6px;"
    "vertical-align:top;text-align:left}td.COMPLIANT{background:#c8e6c9}td.NON_COMPLIANT{background:#ffcdd2}"
    "td.NOT_APPLICABLE{background:#eeeeee}.legend svg{border:none;background:none}"
)


def _legend() -> str:
    items = []
    x = 10
    for label, verdict, standby, external, width in (
        ("compliant", COMPLIANT, False, False, 130),
        ("non-compliant", NON_COMPLIANT, False, False, 130),
        ("not applicable", NOT_APPLICABLE, False, False, 130),
        ("active/standby", COMPLIANT, True, False, 130),
        ("peer outside the region", "EXTERNAL", False, True, 230),
    ):
        items.append(_shape(x, 8, width, 30, verdict, standby, external, label, "", "legend-node"))
        x += width + 16
    items.append(f'<line x1="{x}" y1="23" x2="{x + 60}" y2="23" class="edge both" stroke="#37474f" stroke-width="2"/>')
    items.append(f'<text x="{x + 66}" y="27">both ways</text>')
    x += 150
    items.append(
        f'<line x1="{x}" y1="23" x2="{x + 60}" y2="23" class="edge one-way" stroke="#37474f" stroke-width="2" '
        'marker-end="url(#arrow)"/>'
    )
    items.append(f'<text x="{x + 66}" y="27">one way</text>')
    width = x + 150
    return (
        f'<div class="legend"><svg width="{width}" height="46" viewBox="0 0 {width} 46" role="img" '
        f'aria-label="legend">{_ARROW}{"".join(items)}</svg></div>'
    )


_ARROW = (
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" '
    'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#37474f"/></marker></defs>'
)


def _width(node: Node) -> float:
    text = _CHAR * max(len(node.label), len(node.detail) * 0.75) + 24
    return max(120.0, text * (1.3 if node.kind == "external" else 1.0))  # an ellipse holds less


def layout(place: Region, linked: bool = True) -> dict[str, tuple[float, float]]:
    """Centre of every node: each group laid out alone, groups placed in rows; nothing overlaps."""
    positions: dict[str, tuple[float, float]] = {}
    x = y = float(_GAP)
    row_height = 0.0
    for group in place.groups:
        local, (width, height) = _group_layout(group, place.nodes, circle=linked)
        if x > _GAP and x + width > _ROW_WIDTH:
            x, y, row_height = float(_GAP), y + row_height + _GAP, 0.0
        for key, (px, py) in local.items():
            positions[key] = (x + px, y + py)
        x += width + _GAP
        row_height = max(row_height, height)
    return positions


def _group_layout(
    group: Sequence[str], nodes: Mapping[str, Node], circle: bool = True
) -> tuple[dict[str, tuple[float, float]], tuple[float, float]]:
    widths = [_width(nodes[k]) for k in group]
    widest = max(widths)
    if len(group) == 1:
        return {group[0]: (widths[0] / 2, _HEIGHT / 2)}, (widths[0], _HEIGHT)
    if len(group) == 2 and circle:  # side by side
        first, second = widths
        places = {group[0]: (first / 2, _HEIGHT / 2), group[1]: (first + _GAP * 2 + second / 2, _HEIGHT / 2)}
        return places, (first + _GAP * 2 + second, _HEIGHT)
    if circle and len(group) <= _CIRCLE_LIMIT:
        # Neighbours on the circle sit a chord apart; the chord clears the widest box and its gap.
        count = len(group)
        radius = (widest + _GAP) / (2 * math.sin(math.pi / count))
        places = {}
        for index, key in enumerate(group):
            angle = -math.pi / 2 + 2 * math.pi * index / count
            places[key] = (radius * math.cos(angle), radius * math.sin(angle))
        min_x = min(px - _width(nodes[k]) / 2 for k, (px, _) in places.items())
        min_y = min(py for _, py in places.values()) - _HEIGHT / 2
        max_x = max(px + _width(nodes[k]) / 2 for k, (px, _) in places.items())
        max_y = max(py for _, py in places.values()) + _HEIGHT / 2
        shifted = {k: (px - min_x, py - min_y) for k, (px, py) in places.items()}
        return shifted, (max_x - min_x, max_y - min_y)
    columns = max(1, int(_ROW_WIDTH // (widest + _GAP)))
    places = {}
    for index, key in enumerate(group):
        row, column = divmod(index, columns)
        places[key] = (column * (widest + _GAP) + widest / 2, row * (_HEIGHT + _GAP * 1.5) + _HEIGHT / 2)
    rows = math.ceil(len(group) / columns)
    return places, (min(columns, len(group)) * (widest + _GAP) - _GAP, rows * (_HEIGHT + _GAP * 1.5))


def _svg(place: Region, linked: bool) -> str:
    positions = layout(place, linked)
    width = max(x + _width(place.nodes[k]) / 2 for k, (x, _) in positions.items()) + _GAP
    height = max(y for _, y in positions.values()) + _HEIGHT / 2 + _GAP
    parts = [
        f'<svg width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
        f'aria-label="brokers of {_e(place.account)} in {_e(place.region)}">',
        _ARROW,
    ]
    if not linked:
        for index, group in enumerate(place.groups):
            if len(group) > 1:
                xs = [positions[k][0] for k in group]
                ys = [positions[k][1] for k in group]
                left = min(x - _width(place.nodes[k]) / 2 for k, x in zip(group, xs, strict=True)) - 12
                right = max(x + _width(place.nodes[k]) / 2 for k, x in zip(group, xs, strict=True)) + 12
                top = min(ys) - _HEIGHT / 2 - 12
                parts.append(
                    f'<rect class="mesh-group" data-group="{index}" x="{left:.1f}" y="{top:.1f}" '
                    f'width="{right - left:.1f}" height="{max(ys) - min(ys) + _HEIGHT + 24:.1f}" rx="12" '
                    'fill="none" stroke="#90a4ae" stroke-dasharray="6 4"/>'
                )
    for edge in place.edges:
        parts.append(_edge(edge, positions, place.nodes))
    for key, (x, y) in positions.items():
        node = place.nodes[key]
        w = _width(node)
        parts.append(
            _shape(
                x - w / 2,
                y - _HEIGHT / 2,
                w,
                _HEIGHT,
                node.verdict,
                node.standby,
                node.kind == "external",
                node.label,
                node.detail,
                "node",
                key,
            )
        )
    parts.append("</svg>")
    return "".join(parts)


def _shape(
    x: float,
    y: float,
    w: float,
    h: float,
    verdict: str,
    standby: bool,
    external: bool,
    label: str,
    detail: str,
    css: str,
    key: str = "",
) -> str:
    fill, stroke = COLOURS[verdict]
    data = f' data-key="{_e(key)}" data-verdict="{verdict}" data-label="{_e(label)}"' if key else ""
    parts = [f'<g class="{css}{" external" if external else ""}{" standby" if standby else ""}"{data}>']
    if external:
        parts.append(
            f'<ellipse class="box" cx="{x + w / 2:.1f}" cy="{y + h / 2:.1f}" rx="{w / 2:.1f}" ry="{h / 2:.1f}" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="1.5" stroke-dasharray="5 3"/>'
        )
    else:
        parts.append(
            f'<rect class="box" x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="6" fill="{fill}" '
            f'stroke="{stroke}" stroke-width="2"/>'
        )
        if standby:
            parts.append(
                f'<rect x="{x + 4:.1f}" y="{y + 4:.1f}" width="{w - 8:.1f}" height="{h - 8:.1f}" rx="4" fill="none" '
                f'stroke="{stroke}" stroke-width="1"/>'
            )
    middle = y + h / 2
    if detail:
        parts.append(
            f'<text class="label" x="{x + w / 2:.1f}" y="{middle - 2:.1f}" text-anchor="middle">{_e(label)}</text>'
        )
        parts.append(
            f'<text class="detail" x="{x + w / 2:.1f}" y="{middle + 13:.1f}" text-anchor="middle">{_e(detail)}</text>'
        )
    else:
        parts.append(
            f'<text class="label" x="{x + w / 2:.1f}" y="{middle + 4:.1f}" text-anchor="middle">{_e(label)}</text>'
        )
    parts.append("</g>")
    return "".join(parts)


def _edge(edge: Edge, positions: Mapping[str, tuple[float, float]], nodes: Mapping[str, Node]) -> str:
    (x1, y1), (x2, y2) = positions[edge.source], positions[edge.target]
    # End the line at the target box's border, so that an arrow head stays visible.
    dx, dy = x2 - x1, y2 - y1
    w2, h2 = _width(nodes[edge.target]) / 2, _HEIGHT / 2
    scale = min(w2 / abs(dx) if dx else math.inf, h2 / abs(dy) if dy else math.inf)
    ex, ey = x2 - dx * min(scale, 1.0), y2 - dy * min(scale, 1.0)
    kind = "both" if edge.both_ways else "one-way"
    arrow = "" if edge.both_ways else ' marker-end="url(#arrow)"'
    return (
        f'<line class="edge {kind}" data-from="{_e(edge.source)}" data-to="{_e(edge.target)}" x1="{x1:.1f}" '
        f'y1="{y1:.1f}" x2="{ex:.1f}" y2="{ey:.1f}" stroke="#37474f" stroke-width="2"{arrow}/>'
    )


def _table(rows: Sequence[Any]) -> str:
    head = "".join(
        f"<th>{h}</th>" for h in ("Account", "Region", "Broker ID", "Name", "Mode", "Engine", "Verdict", "Annotation")
    )
    body = []
    for row in rows:
        cells = [row.account, row.region, row.broker_id, row.name, row.mode, row.engine]
        body.append(
            "<tr>"
            + "".join(f"<td>{_e(c)}</td>" for c in cells)
            + f'<td class="{_e(row.verdict)}">{_e(row.verdict)}</td><td>{_e(row.annotation)}</td></tr>'
        )
    return f'<table id="results"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def _e(text: object) -> str:
    return html_text.escape(str(text), quote=True)


# --- DOT and Mermaid -------------------------------------------------------------------------------


def dot(rows: Sequence[Any], failures: Sequence[Any], summary: Any) -> str:
    linked = getattr(summary, "check_mode", "name") != "name"
    lines = [
        "digraph mq_network_of_brokers {",
        '  graph [rankdir=LR, fontname="DejaVu Sans", labelloc=t];',
        '  node [fontname="DejaVu Sans", fontsize=11, style="filled,rounded", shape=box];',
        '  edge [color="#37474f"];',
    ]
    for index, place in enumerate(regions(rows, linked)):
        lines.append(f'  subgraph "cluster_{index}" {{')
        lines.append(f"    label={_dot(f'{place.account} {place.region}')};")
        for key, node in place.nodes.items():
            fill, stroke = COLOURS[node.verdict]
            shape = 'shape=ellipse, style="dashed"' if node.kind == "external" else "shape=box"
            double = ", peripheries=2" if node.standby else ""
            lines.append(
                f"    {_dot(key)} [label={_dot(node.label + chr(10) + node.detail)}, {shape}, fillcolor={_dot(fill)}, "
                f"color={_dot(stroke)}{double}];"
            )
        lines.append("  }")
        for edge in place.edges:
            attributes = " [dir=none]" if edge.both_ways else ""
            lines.append(f"  {_dot(edge.source)} -> {_dot(edge.target)}{attributes};")
    if not linked:
        lines.append('  label="CheckMode name: network connectors were not read; no link is drawn";')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot(text: str) -> str:
    """A DOT quoted string: backslashes and quotes escaped, newlines as \\n, nothing else special."""
    cleaned = re.sub(r"[\x00-\x09\x0b-\x1f\x7f]", "?", text)
    return '"' + cleaned.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def mermaid(rows: Sequence[Any], failures: Sequence[Any], summary: Any) -> str:
    linked = getattr(summary, "check_mode", "name") != "name"
    lines = ["flowchart LR"]
    ids: dict[tuple[int, str], str] = {}
    classes: dict[str, list[str]] = {}
    for index, place in enumerate(regions(rows, linked)):
        lines.append(f'  subgraph r{index}["{_mm(place.account + " " + place.region)}"]')
        for key, node in place.nodes.items():
            ident = ids.setdefault((index, key), f"n{len(ids)}")
            text = _mm(node.label)
            shape = f'(("{text}"))' if node.kind == "external" else f'[["{text}"]]' if node.standby else f'["{text}"]'
            lines.append(f"    {ident}{shape}")
            classes.setdefault(node.verdict, []).append(ident)
        lines.append("  end")
        for edge in place.edges:
            link = "---" if edge.both_ways else "-->"
            lines.append(f"  {ids[(index, edge.source)]} {link} {ids[(index, edge.target)]}")
    for verdict, (fill, stroke) in COLOURS.items():
        lines.append(f"  classDef {verdict} fill:{fill},stroke:{stroke}")
    for verdict, members in classes.items():
        lines.append(f"  class {','.join(members)} {verdict}")
    if not linked:
        lines.insert(1, "  %% CheckMode name: network connectors were not read; no link is drawn")
    return "\n".join(lines) + "\n"


def _mm(text: str) -> str:
    """Mermaid label text: quotes and the characters Mermaid reads as markup, as entity codes."""
    cleaned = re.sub(r"[\x00-\x1f\x7f]", " ", text)
    return "".join(f"#{ord(c)};" if c in '"#;<>`[]{}()|' else c for c in cleaned)
