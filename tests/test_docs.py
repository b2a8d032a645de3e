"""The documentation holds together: every relative link resolves, and the source map in
docs/development.md lists exactly the modules that exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
MAPPED_TREES = ("MQ_NETWORK_OF_BROKERS/mq_network", "src/mq_network_tools")
# [text](target) and ![alt](target), outside code; a target may carry a #fragment or a "title".
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


def _prose(markdown: str) -> str:
    """The text outside fenced code blocks and inline code spans (links there are not links)."""
    return re.sub(r"`[^`\n]*`", "", _strip_fences(markdown))


def _anchors(markdown: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens."""
    anchors = set()
    for heading in re.findall(r"^#+\s+(.*)$", _strip_fences(markdown), re.MULTILINE):
        anchor = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        anchors.add(anchor)
    return anchors


def _strip_fences(markdown: str) -> str:
    return re.sub(r"^```.*?^```", "", markdown, flags=re.MULTILINE | re.DOTALL)


def relative_links(document: Path) -> list[str]:
    return [
        target
        for target in LINK.findall(_prose(document.read_text()))
        if not re.match(r"^[a-z][a-z0-9+.-]*:", target)  # http:, https:, mailto: are not files
    ]


@pytest.mark.parametrize("document", DOCUMENTS, ids=[str(d.relative_to(ROOT)) for d in DOCUMENTS])
def test_every_relative_link_points_at_an_existing_file_and_heading(document: Path) -> None:
    broken = []
    for target in relative_links(document):
        path, _, fragment = target.partition("#")
        resolved = (document.parent / path).resolve() if path else document
        if not resolved.exists():
            broken.append(
                f"{target}: no file {resolved.relative_to(ROOT) if resolved.is_relative_to(ROOT) else resolved}"
            )
        elif fragment and resolved.suffix == ".md" and fragment not in _anchors(resolved.read_text()):
            broken.append(f"{target}: no heading #{fragment} in {resolved.relative_to(ROOT)}")
    assert broken == [], f"{document.relative_to(ROOT)} links to what does not exist: {broken}"


def test_the_documents_link_to_one_another_from_the_readme() -> None:
    linked = {(ROOT / target.partition("#")[0]).resolve() for target in relative_links(ROOT / "README.md")}
    unlinked = [d.relative_to(ROOT) for d in DOCUMENTS[1:] if d.resolve() not in linked]
    assert unlinked == [], f"docs/ files the README never links to: {unlinked}"


def test_the_link_checker_finds_a_broken_link(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("[ok](page.md) [gone](missing.md) `[code](not-a-link.md)` [web](https://example.com)\n")
    assert relative_links(page) == ["page.md", "missing.md"]


def source_map() -> list[str]:
    """The module paths the source map's table lists, in order."""
    text = (ROOT / "docs" / "development.md").read_text()
    section = text.split("\n## Source map\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([^`]+\.py)` \|", section, re.MULTILINE)


def test_the_source_map_lists_every_module_and_only_modules_that_exist() -> None:
    listed = source_map()
    existing = sorted(str(path.relative_to(ROOT)) for tree in MAPPED_TREES for path in (ROOT / tree).rglob("*.py"))
    missing = [module for module in existing if module not in listed]
    assert missing == [], (
        "modules the source map in docs/development.md does not list (add a row "
        f"'| `<path>` | what it holds |' for each): {missing}"
    )
    gone = [module for module in listed if not (ROOT / module).is_file()]
    assert gone == [], f"the source map in docs/development.md lists modules that do not exist: {gone}"
    assert len(listed) == len(set(listed)), "the source map lists a module twice"
