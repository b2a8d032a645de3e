"""The mesh that replaces a non-compliant Amazon MQ broker, as a plan: what to build, not building it.

Read the source broker (`read_source`), decide its members, their settings, tags and mesh
configurations (`plan_mesh`, `mesh_xml`, the peers' URIs). Both remediations build from this one
plan, so they build the same mesh: `mq-network-plan` (plan.py) prints it as CloudFormation or AWS
CLI commands, and the SSM Automation step (mesh.py) builds it. template.yaml's document embeds
this file (scripts/embed_mesh_script.py), so it imports only the standard library and the rule's
naming.py and configuration_xml.py.

Safety: the plan never takes a mesh member for a source (no snowball), reads the source's
configuration with the rule's bounded reader, refuses what it cannot copy (LDAP, no users, an
unreadable configuration) with the reason and the fix, and holds no password: each user gets a
slot that a Secrets Manager secret or a person fills.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any, NamedTuple

from mq_network.core import (
    BUILD_IN_PROGRESS,
    BUILD_TAG,
    CORE_NAMESPACE,
    MAX_MESH_SIZE,
    MEMBER_TAG,
    OPENWIRE_PORT,
    SOURCE_TAG,
    ConfigurationError,
    decode_revision,
    endpoint_domain,
    member_name,
    parse_configuration,
)

MESH_MODES = ("SINGLE_INSTANCE", "ACTIVE_STANDBY_MULTI_AZ")
PEER_MARKER = "@@PEER"  # printed plans put @@PEER<n>@@ where member n's endpoints go

CHECKLIST = """Before the source broker goes (this plan never deletes it):
  1. Wait until every new broker is RUNNING with its mesh configuration applied (a member gets
     it at its next reboot; rebooting a new broker that has no clients yet is harmless).
  2. Repoint producers to the mesh (failover: transport URIs listing the members), then consumers.
  3. Drain the source: stop its producers, let its consumers empty every queue.
  4. Check in the source broker's console (or its CloudWatch metrics) that every queue's
     QueueSize is 0 and no client is connected.
  5. Only then delete the source broker, by hand."""


class MeshError(ValueError):
    """The source broker cannot be replaced this way; the message says why and what to do."""


class Member(NamedTuple):
    number: int
    name: str
    mode: str


class MeshPlan(NamedTuple):
    source_id: str
    source_name: str
    region: str
    members: tuple[Member, ...]
    network_user: str
    broker_settings: dict[str, Any]  # CreateBroker arguments shared by every member (no users, no name)
    users: tuple[dict[str, Any], ...]  # Username, Groups, ConsoleAccess: passwords come later
    source_tags: dict[str, str]
    source_xml: str
    source_configuration: dict[str, Any]  # {"Id": ..., "Revision": n}: what members start on
    keep_comments: bool = False  # copy the source configuration's XML comments into the members'


def password_slots(users: Any) -> dict[str, str]:
    """Username -> the name of the one template parameter or shell variable holding its password.

    Numbered, so that no two users can share one ("app.user" and "app_user", "admin" and "ADMIN"
    would, by their names alone); the name part only helps a person tell them apart.
    """
    slots: dict[str, str] = {}
    for number, user in enumerate(users, start=1):
        name = user["Username"]
        if name in slots:
            raise MeshError(f"user {name!r} is listed twice: each user needs exactly one password")
        readable = "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", name) if part)[:40]
        slots[name] = f"Password{number}{readable}"
    if len({slot.upper() for slot in slots.values()}) != len(slots):  # cannot happen: numbered
        raise MeshError("two users would share one password slot: " + ", ".join(slots))
    return slots


def plan_mesh(
    description: dict[str, Any],
    users: list[dict[str, Any]],
    source_xml: str,
    region: str,
    size: int = 3,
    deployment_mode: str | None = None,
    subnet_ids: list[str] | None = None,
    keep_comments: bool = False,
) -> MeshPlan:
    """The mesh for the broker `description` (DescribeBroker's answer) and its users (DescribeUser).

    Everything that can stop the build is refused here, before anything is created: a half-built
    mesh is worse than none.
    """
    name = description["BrokerName"]
    mode = deployment_mode or description.get("DeploymentMode") or "SINGLE_INSTANCE"
    _refuse_mesh_member(description)
    _refuse_unmeshable(description, size, mode)
    _refuse_uncopyable(name, users, source_xml)
    settings = _broker_settings(description, mode, subnet_ids)
    members = _members(name, size, mode)
    plain_users = _plain_users(users)
    tags = {k: v for k, v in (description.get("Tags") or {}).items() if not k.startswith("mq-network-of-brokers:")}
    current = (description.get("Configurations") or {}).get("Current") or {}
    configuration = {"Id": current.get("Id"), "Revision": int(current.get("Revision") or 1)}
    return MeshPlan(
        description["BrokerId"],
        name,
        region,
        members,
        plain_users[0]["Username"],
        settings,
        plain_users,
        tags,
        source_xml,
        configuration,
        keep_comments,
    )


def _refuse_mesh_member(description: dict[str, Any]) -> None:
    """A mesh member is never a source: replacing it would snowball into meshes of meshes."""
    tags = description.get("Tags") or {}
    if MEMBER_TAG in tags or SOURCE_TAG in tags:
        raise MeshError(
            f"Broker {description['BrokerName']} ({description['BrokerId']}) is member {tags.get(MEMBER_TAG, '?')} "
            f"of the mesh built to replace {tags.get(SOURCE_TAG, '?')}: a mesh member is never replaced by another "
            "mesh. Finish that mesh (run the remediation for its source again) instead."
        )


def _refuse_unmeshable(description: dict[str, Any], size: int, mode: str) -> None:
    """A broker whose engine, mode or authentication no mesh of this shape can carry, with the way out."""
    source_id, name = description["BrokerId"], description["BrokerName"]
    engine = str(description.get("EngineType") or "").upper()
    if engine != "ACTIVEMQ":
        raise MeshError(
            f"Broker {name} ({source_id}) runs {description.get('EngineType')}: a network of brokers is an "
            "ActiveMQ feature. RabbitMQ gets high availability from CLUSTER_MULTI_AZ; nothing to plan."
        )
    if not 2 <= size <= MAX_MESH_SIZE:
        raise MeshError(f"--size {size}: a mesh has 2 to {MAX_MESH_SIZE} brokers (20 connectors per broker)")
    if mode not in MESH_MODES:
        raise MeshError(f"deployment mode {mode} cannot join a network of brokers: use {' or '.join(MESH_MODES)}")
    if str(description.get("AuthenticationStrategy") or "SIMPLE").upper() == "LDAP":
        names = ", ".join(member_name(name, i) for i in range(1, min(size, MAX_MESH_SIZE) + 1))
        raise MeshError(
            f"Broker {name} uses LDAP authentication, whose service account password cannot be read back, "
            f"so no plan is printed. Instead: create the members ({names}) yourself with the source's "
            "settings and your LDAP server settings, give members 2..n duplex networkConnectors to the "
            "members before them (README, 'Remediate'), then run the rule in connectors mode to check them."
        )


def _refuse_uncopyable(name: str, users: list[dict[str, Any]], source_xml: str) -> None:
    """What the members copy (a user for the connectors, the configuration) must be there and readable."""
    if not users:
        raise MeshError(f"Broker {name} has no users: a network connector needs a user common to every member")
    if not source_xml.strip():
        raise MeshError(f"Broker {name} reports no current configuration to copy")
    try:
        parse_configuration(source_xml)  # refused now, not halfway through a build
    except ConfigurationError as err:
        raise MeshError(f"Broker {name}'s configuration cannot be copied: {err}") from None
    if PEER_MARKER in source_xml:
        raise MeshError(f"Broker {name}'s configuration contains {PEER_MARKER!r}, which the plan uses as a marker")


def _broker_settings(description: dict[str, Any], mode: str, subnet_ids: list[str] | None) -> dict[str, Any]:
    """CreateBroker's arguments every member shares: the source's, in `mode`, without what is read-only."""
    subnets = list(subnet_ids or description.get("SubnetIds") or [])
    wanted = 2 if mode == "ACTIVE_STANDBY_MULTI_AZ" else 1
    if len(subnets) < wanted:
        raise MeshError(f"{mode} needs {wanted} subnets in different Availability Zones: pass --subnet-ids")
    settings: dict[str, Any] = {
        "DeploymentMode": mode,
        "EngineType": "ACTIVEMQ",
        "EngineVersion": description["EngineVersion"],
        "HostInstanceType": description["HostInstanceType"],
        "PubliclyAccessible": bool(description.get("PubliclyAccessible")),
        "AutoMinorVersionUpgrade": bool(description.get("AutoMinorVersionUpgrade", True)),
        "SubnetIds": subnets[:wanted],
        "AuthenticationStrategy": description.get("AuthenticationStrategy") or "SIMPLE",
    }
    for key in ("SecurityGroups", "EncryptionOptions", "Logs", "MaintenanceWindowStartTime", "StorageType"):
        if description.get(key):
            settings[key] = description[key]
    if isinstance(settings.get("Logs"), dict):  # DescribeBroker adds read-only log details
        settings["Logs"] = {k: v for k, v in settings["Logs"].items() if k in ("General", "Audit")}
    return settings


def _members(source_name: str, size: int, mode: str) -> tuple[Member, ...]:
    """Members 1..size, named by the rule's naming.py; none may take the source's own name."""
    members = tuple(Member(i, member_name(source_name, i), mode) for i in range(1, size + 1))
    taken = [m.name for m in members if m.name == source_name]
    if taken:
        raise MeshError(f"member name {taken[0]} equals the source's name")
    return members


def _plain_users(users: list[dict[str, Any]]) -> tuple[dict[str, Any], ...]:
    """The users every member gets, without passwords (those come later, one slot each)."""
    plain_users = tuple(
        {
            "Username": u["Username"],
            "Groups": list(u.get("Groups") or []),
            "ConsoleAccess": bool(u.get("ConsoleAccess")),
        }
        for u in users
    )
    password_slots(plain_users)  # refuses a user listed twice
    return plain_users


def mesh_xml(source_xml: str, peer_uris: list[str], network_user: str, keep_comments: bool = False) -> str:
    """The source's configuration with its <networkConnectors> replaced by duplex links to `peer_uris`.

    Each pair of members is linked once: member n declares connectors to members 1..n-1. Read with
    the rule's bounded reader; the source's comments are dropped unless `keep_comments`.
    """
    ET.register_namespace("", CORE_NAMESPACE)
    try:
        root = parse_configuration(source_xml, keep_comments=keep_comments)
    except ConfigurationError as err:
        raise MeshError(f"the source broker's configuration cannot be copied: {err}") from None
    namespace = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    for old in [child for child in root if child.tag == f"{namespace}networkConnectors"]:
        root.remove(old)
    if peer_uris:
        block = ET.Element(f"{namespace}networkConnectors")
        for number, uri in enumerate(peer_uris, start=1):
            ET.SubElement(
                block,
                f"{namespace}networkConnector",
                {"name": f"mesh-{number}", "uri": uri, "duplex": "true", "userName": network_user},
            )
        # ActiveMQ's schema wants the broker's child elements in alphabetical order.
        names = [_element_name(child.tag) if isinstance(child.tag, str) else "" for child in root]
        position = next((i for i, n in enumerate(names) if n and n > "networkConnectors"), len(names))
        root.insert(position, block)
    return '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + ET.tostring(root, encoding="unicode")


def uri_wrapping(active_standby: bool) -> tuple[str, str]:
    """What surrounds a peer's comma-separated transports: masterslave: when it has two instances.

    The form Amazon MQ documents for an active/standby peer. A duplex static:(failover:(...))
    without maxReconnectAttempts=0 loses the way back for good once the peer fails over (seen on
    real ActiveMQ 5.17: tests/activemq), and the rule counts it as one-way.
    """
    return ("masterslave:(", ")") if active_standby else ("static:(", ")")


def openwire_uri(hosts: list[str]) -> str:
    """A connector URI for one peer from its instances' hosts."""
    prefix, suffix = uri_wrapping(len(hosts) > 1)
    return prefix + ",".join(f"ssl://{host}:{OPENWIRE_PORT}" for host in hosts) + suffix


def instance_labels(broker_id: str, mode: str) -> list[str]:
    """The first DNS label of each instance's endpoint: `<broker-id>-1` (and `-2` when active/standby)."""
    count = 2 if mode == "ACTIVE_STANDBY_MULTI_AZ" else 1
    return [f"{broker_id}-{n}" for n in range(1, count + 1)]


def instance_hosts(broker_id: str, region: str, mode: str) -> list[str]:
    """Each instance's endpoint host in the region's partition (.amazonaws.com.cn in China): a peer's address."""
    return [f"{label}{endpoint_domain(region)}" for label in instance_labels(broker_id, mode)]


def member_tags(plan: MeshPlan, member: Member) -> dict[str, str]:
    """A member broker's tags: the source's, the two that let a later run recognise it, and the
    build state the rule reads (NOT_APPLICABLE while "in-progress": never a remediation source)."""
    return {**plan.source_tags, **configuration_tags(plan, member), BUILD_TAG: BUILD_IN_PROGRESS}


def configuration_tags(plan: MeshPlan, member: Member) -> dict[str, str]:
    """The tags that tie a member or its mesh configuration to its source and number: how a rerun finds them."""
    return {SOURCE_TAG: plan.source_id, MEMBER_TAG: str(member.number)}


def _element_name(tag: str) -> str:
    """An element's name without its XML namespace."""
    return tag.rsplit("}", 1)[-1]


def read_source(mq: Any, broker_id: str) -> tuple[dict[str, Any], list[dict[str, Any]], str]:
    """DescribeBroker, DescribeUser for each user, and the current configuration's XML."""
    description = mq.describe_broker(BrokerId=broker_id)
    users = [mq.describe_user(BrokerId=broker_id, Username=u["Username"]) for u in description.get("Users") or []]
    current = (description.get("Configurations") or {}).get("Current") or {}
    xml = ""
    if current.get("Id") and str(description.get("EngineType", "")).upper() == "ACTIVEMQ":
        data = mq.describe_configuration_revision(
            ConfigurationId=current["Id"], ConfigurationRevision=str(current["Revision"])
        )["Data"]
        try:
            xml = decode_revision(str(data or ""))
        except ConfigurationError as err:
            raise MeshError(f"the source broker's configuration cannot be read: {err}") from None
    return description, users, xml
