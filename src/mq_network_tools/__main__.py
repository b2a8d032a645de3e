"""`python -m mq_network_tools audit|plan|demo ...`: the console scripts without the venv's bin/."""

from __future__ import annotations

import sys
from collections.abc import Sequence

COMMANDS = {
    "audit": "mq_network_tools.audit.cli",
    "plan": "mq_network_tools.remediate.plan",
    "demo": "mq_network_tools.demo.cli",
    "check": "mq_network_tools.prevent.cli",
}


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in COMMANDS:
        sys.stderr.write(
            "usage: python -m mq_network_tools {audit,plan,demo,check} [options]\n"
            "  audit  the rule's verdicts across regions and accounts (mq-network-audit)\n"
            "  plan   the mesh that replaces a broker (mq-network-plan)\n"
            "  demo   the rule on an emulated account (mq-network-demo)\n"
            "  check  templates and Terraform plans before deployment (mq-network-check)\n"
        )
        return 0 if args[:1] in (["-h"], ["--help"]) else 2
    from importlib import import_module

    command: int = import_module(COMMANDS[args[0]]).main(args[1:])
    return command


if __name__ == "__main__":
    sys.exit(main())
