"""Copy src/mq_network_tools/mesh.py into template.yaml's SSM Automation document, verbatim.

The document's aws:executeScript step must run the tested module; tests/test_mesh.py fails when
the two differ. Run this (or `make embed`) after changing mesh.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEGIN = "              Script: |\n"
END = "            outputs:\n"
INDENT = " " * 16


def main() -> int:
    template = (ROOT / "template.yaml").read_text()
    source = (ROOT / "src" / "mq_network_tools" / "mesh.py").read_text()
    start = template.index(BEGIN) + len(BEGIN)
    end = template.index(END, start)
    block = "".join(INDENT + line if line.strip() else "\n" for line in source.splitlines(keepends=True))
    updated = template[:start] + block + template[end:]
    if updated != template:
        (ROOT / "template.yaml").write_text(updated)
        print("template.yaml: mesh.py embedded")
    return 0


if __name__ == "__main__":
    sys.exit(main())
