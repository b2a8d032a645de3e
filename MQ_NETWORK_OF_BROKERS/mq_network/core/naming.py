"""The one definition of a network member's name and of the tags that mark a built mesh.

The rule's annotation, mq-network-plan and the SSM remediation all name members with
`member_name`, so what the annotation suggests is what the remediation builds. Standard library
only: the SSM Automation document embeds this module, after vocabulary.py (scripts/embed_mesh_script.py).
"""

from __future__ import annotations

import hashlib

from mq_network.core.vocabulary import MEMBER_SUFFIX

NAME_LIMIT = 50  # Amazon MQ broker names
MAX_MESH_SIZE = 21  # member n declares n-1 connectors; Amazon MQ allows 20 per broker
# Every member of one mesh shares one prefix, sized for the longest suffix a mesh can have.
_PREFIX_LIMIT = NAME_LIMIT - len(f"{MEMBER_SUFFIX}{MAX_MESH_SIZE}")

SOURCE_TAG = "mq-network-of-brokers:source-broker"  # the broker a member replaces
MEMBER_TAG = "mq-network-of-brokers:member"  # the member's number in its mesh
BUILD_TAG = "mq-network-of-brokers:build"  # "in-progress" until its connectors are applied, then "complete"
BUILD_IN_PROGRESS = "in-progress"
BUILD_COMPLETE = "complete"


def mesh_prefix(source_name: str) -> str:
    """What every member's name starts with: the source's name, or, when too long, its beginning
    and a hash of the whole name (two long names sharing a beginning still get different meshes)."""
    if len(source_name) <= _PREFIX_LIMIT:
        return source_name
    digest = hashlib.sha256(source_name.encode()).hexdigest()[:6]
    return f"{source_name[: _PREFIX_LIMIT - len(digest) - 1].rstrip('-_')}-{digest}"


def member_name(source_name: str, index: int) -> str:
    """`<source>-Broker-<index>`, within Amazon MQ's 50 characters for every index of a mesh."""
    return f"{mesh_prefix(source_name)}{MEMBER_SUFFIX}{index}"
