"""Bundle mesh.py, with the modules it imports, into template.yaml's SSM Automation document.

The document's aws:executeScript step runs one script with the standard library and boto3 only,
so the bundle is the rule's vocabulary.py, naming.py and configuration_xml.py (the shared words,
the one definition of member names, the one bounded configuration reader and its networkConnector
reader), then remediate/mesh_plan.py (what to build, shared with
mq-network-plan) and remediate/mesh.py (the step that builds it), in that order, with their
`from mq_network...` imports dropped. tests/test_mesh.py fails when the document's script differs
from `bundle()`, and runs the bundle alone. scripts/generate.py (`make generate`) writes it into
template.yaml with the other generated parts: run it after changing any of PARTS.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PARTS = (
    ROOT / "MQ_NETWORK_OF_BROKERS" / "mq_network" / "core" / "vocabulary.py",
    ROOT / "MQ_NETWORK_OF_BROKERS" / "mq_network" / "core" / "naming.py",
    ROOT / "MQ_NETWORK_OF_BROKERS" / "mq_network" / "core" / "configuration_xml.py",
    ROOT / "src" / "mq_network_tools" / "remediate" / "mesh_plan.py",
    ROOT / "src" / "mq_network_tools" / "remediate" / "mesh.py",
)
BEGIN = "              Script: |\n"
END = "            outputs:\n"
INDENT = " " * 16
_PACKAGE_IMPORT = re.compile(r"^from mq_network[\w.]* import (\([^)]*\)|[^\n]*)\n", re.M)
_FUTURE = "from __future__ import annotations\n"


def bundle() -> str:
    """The PARTS as one script: the future import once, first; no package imports."""
    pieces = []
    for path in PARTS:
        text = _PACKAGE_IMPORT.sub("", path.read_text()).replace(_FUTURE, "")
        pieces.append(f"# ---- {path.relative_to(ROOT)} ----\n{text.strip()}\n")
    return _FUTURE + "\n" + "\n\n".join(pieces)


if __name__ == "__main__":  # its former use: now one of the parts `make generate` writes
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from generate import main

    sys.exit(main())
