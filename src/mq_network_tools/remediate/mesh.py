"""The network of brokers that replaces a non-compliant Amazon MQ broker: plan it, then build it.

One file serves two users: `mq-network-plan` prints the plan (a CloudFormation template or AWS
CLI commands), and the SSM Automation document in template.yaml runs it (the document embeds
this file, after the rule's vocabulary.py, naming.py and configuration_xml.py, which it imports; a
test keeps them equal). So it imports only the standard library, those three modules, and boto3.

Safety: it never deletes anything, never invents or prints a password (they come from a Secrets
Manager secret, `{"<username>": "<password>", ...}`), never takes a mesh member for a source (no
snowball), reads the source's configuration with the rule's bounded reader, and converges: each
run checks what exists (members, their configurations' content, which revision each runs),
repairs what it can, names what it cannot, and refuses a name taken by anything else.
"""

from __future__ import annotations

import base64
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from mq_network.core import (
    BUILD_COMPLETE,
    BUILD_IN_PROGRESS,
    BUILD_TAG,
    CORE_NAMESPACE,
    MAX_MESH_SIZE,
    MEMBER_TAG,
    OPENWIRE_PORT,
    SOURCE_TAG,
    ConfigurationError,
    connector_uris,
    decode_revision,
    endpoint_domain,
    member_name,
    parse_configuration,
)

MESH_MODES = ("SINGLE_INSTANCE", "ACTIVE_STANDBY_MULTI_AZ")
PEER_MARKER = "@@PEER"  # printed plans put @@PEER<n>@@ where member n's endpoints go

# CreateBroker needs these EC2 permissions in the caller's policy: Amazon MQ makes (and, if the
# creation fails, removes) the broker's network interfaces on the caller's behalf. From the
# Amazon MQ Developer Guide, "IAM Permissions Required to Create an Amazon MQ Broker".
CREATE_BROKER_EC2_ACTIONS = (
    "ec2:CreateNetworkInterface",
    "ec2:DeleteNetworkInterface",
    "ec2:DetachNetworkInterface",
    "ec2:DescribeInternetGateways",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeRouteTables",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeVpcs",
)
CREATE_BROKER_EC2_MQ_ONLY_ACTIONS = (  # only with the condition ec2:AuthorizedService = mq.amazonaws.com
    "ec2:CreateNetworkInterfacePermission",
    "ec2:DeleteNetworkInterfacePermission",
    "ec2:DescribeNetworkInterfacePermissions",
)

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
    """The mesh for the broker `description` (DescribeBroker's answer) and its users (DescribeUser)."""
    source_id, name = description["BrokerId"], description["BrokerName"]
    tags = description.get("Tags") or {}
    if MEMBER_TAG in tags or SOURCE_TAG in tags:
        raise MeshError(
            f"Broker {name} ({source_id}) is member {tags.get(MEMBER_TAG, '?')} of the mesh built to replace "
            f"{tags.get(SOURCE_TAG, '?')}: a mesh member is never replaced by another mesh. Finish that mesh "
            "(run the remediation for its source again) instead."
        )
    engine = str(description.get("EngineType") or "").upper()
    if engine != "ACTIVEMQ":
        raise MeshError(
            f"Broker {name} ({source_id}) runs {description.get('EngineType')}: a network of brokers is an "
            "ActiveMQ feature. RabbitMQ gets high availability from CLUSTER_MULTI_AZ; nothing to plan."
        )
    if not 2 <= size <= MAX_MESH_SIZE:
        raise MeshError(f"--size {size}: a mesh has 2 to {MAX_MESH_SIZE} brokers (20 connectors per broker)")
    mode = deployment_mode or description.get("DeploymentMode") or "SINGLE_INSTANCE"
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
    members = tuple(Member(i, member_name(name, i), mode) for i in range(1, size + 1))
    taken = [m.name for m in members if m.name == name]
    if taken:
        raise MeshError(f"member name {taken[0]} equals the source's name")
    plain_users = tuple(
        {
            "Username": u["Username"],
            "Groups": list(u.get("Groups") or []),
            "ConsoleAccess": bool(u.get("ConsoleAccess")),
        }
        for u in users
    )
    password_slots(plain_users)  # refuses a user listed twice
    tags = {k: v for k, v in tags.items() if not k.startswith("mq-network-of-brokers:")}
    current = (description.get("Configurations") or {}).get("Current") or {}
    configuration = {"Id": current.get("Id"), "Revision": int(current.get("Revision") or 1)}
    network_user = plain_users[0]["Username"]
    return MeshPlan(
        source_id,
        name,
        region,
        members,
        network_user,
        settings,
        plain_users,
        tags,
        source_xml,
        configuration,
        keep_comments,
    )


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
        names = [_local(child.tag) if isinstance(child.tag, str) else "" for child in root]
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
    return [f"{label}{endpoint_domain(region)}" for label in instance_labels(broker_id, mode)]


def member_tags(plan: MeshPlan, member: Member) -> dict[str, str]:
    """A member broker's tags: the source's, the two that let a later run recognise it, and the
    build state the rule reads (NOT_APPLICABLE while "in-progress": never a remediation source)."""
    return {**plan.source_tags, **configuration_tags(plan, member), BUILD_TAG: BUILD_IN_PROGRESS}


def configuration_tags(plan: MeshPlan, member: Member) -> dict[str, str]:
    return {SOURCE_TAG: plan.source_id, MEMBER_TAG: str(member.number)}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


# --- reading the source -------------------------------------------------------------------------


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


# --- building it: the SSM Automation steps ------------------------------------------------------


def passwords_from_secret(secrets: Any, secret_arn: str, usernames: list[str]) -> dict[str, str]:
    """Each user's password from a JSON secret {"<username>": "<password>"}; never logged."""
    try:
        values = json.loads(secrets.get_secret_value(SecretId=secret_arn)["SecretString"])
    except (KeyError, ValueError) as err:
        raise MeshError(
            f'secret {secret_arn} must hold JSON such as {{"admin": "..."}}: {type(err).__name__}'
        ) from None
    missing = [u for u in usernames if not isinstance(values.get(u), str) or not values[u]]
    if missing:
        raise MeshError(f"secret {secret_arn} has no password for user(s) {', '.join(missing)}")
    return {u: values[u] for u in usernames}


def find_members(mq: Any, plan: MeshPlan) -> dict[str, str]:
    """The members that exist already: name -> broker ID. A name taken by another broker is refused."""
    wanted = {m.name for m in plan.members}
    found: dict[str, str] = {}
    for page in _paged(mq.list_brokers, "ListBrokers"):
        for summary in page.get("BrokerSummaries") or []:
            if summary.get("BrokerName") in wanted:
                tags = mq.describe_broker(BrokerId=summary["BrokerId"]).get("Tags") or {}
                if tags.get(SOURCE_TAG) != plan.source_id:
                    raise MeshError(
                        f"a broker named {summary['BrokerName']} exists and was not made for {plan.source_id} "
                        f"(tag {SOURCE_TAG}): rename or remove it, or choose another --size"
                    )
                found[summary["BrokerName"]] = summary["BrokerId"]
    return found


def create_members(mq: Any, plan: MeshPlan, passwords: dict[str, str]) -> dict[str, str]:
    """Create the members that are missing (each starts on the source's configuration)."""
    existing = find_members(mq, plan)
    for member in plan.members:
        if member.name in existing:
            continue
        users = [{**user, "Password": passwords[user["Username"]]} for user in plan.users]
        answer = mq.create_broker(
            BrokerName=member.name,
            Configuration=plan.source_configuration,
            Users=users,
            Tags=member_tags(plan, member),
            **plan.broker_settings,
        )
        existing[member.name] = answer["BrokerId"]
    return existing


def connect_members(mq: Any, plan: MeshPlan, member_ids: dict[str, str]) -> tuple[list[str], list[str]]:
    """Bring every member to its finished state; return (pending, failed), each "name: why".

    Finished: RUNNING, and (members 2..n) running the latest revision of its mesh configuration,
    whose content carries exactly its connectors. Each run checks all of that against what AWS
    says, so a run stopped anywhere (after CreateConfiguration, before the reboot, ...) is
    repaired by the next: a configuration without its connectors gets a revision with them, a
    member on the wrong revision is moved and rebooted (it has no clients yet). A finished member
    is tagged build=complete, and the rule judges it from then on. A member that failed to be
    created is reported with the fix: this code never deletes anything.
    """
    pending: list[str] = []
    failed: list[str] = []
    configurations = _mesh_configurations(mq, plan)
    for member in plan.members:
        broker_id = member_ids[member.name]
        broker = mq.describe_broker(BrokerId=broker_id)
        state = broker.get("BrokerState")
        if state == "CREATION_FAILED":
            failed.append(
                f"{member.name} ({broker_id}) is CREATION_FAILED: delete it (aws mq delete-broker --broker-id "
                f"{broker_id}), check the subnets and security groups, and run the remediation again"
            )
            continue
        if state != "RUNNING":
            pending.append(f"{member.name}: {state}")
            continue
        peers = [
            openwire_uri(instance_hosts(member_ids[peer.name], plan.region, peer.mode))
            for peer in plan.members[: member.number - 1]
        ]
        if peers and not _on_mesh_configuration(mq, plan, member, broker, peers, configurations):
            pending.append(f"{member.name}: rebooting onto its mesh configuration")
            continue
        if (broker.get("Tags") or {}).get(BUILD_TAG) != BUILD_COMPLETE:
            mq.create_tags(
                ResourceArn=broker["BrokerArn"], Tags={**configuration_tags(plan, member), BUILD_TAG: BUILD_COMPLETE}
            )
    return pending, failed


def _on_mesh_configuration(
    mq: Any, plan: MeshPlan, member: Member, broker: dict[str, Any], peers: list[str], configurations: dict[str, str]
) -> bool:
    """Whether the member already runs a revision carrying exactly `peers`; if not, set that up."""
    config_name = f"{member.name}-mesh"
    if config_name not in configurations:
        created = mq.create_configuration(
            Name=config_name,
            EngineType="ACTIVEMQ",
            EngineVersion=plan.broker_settings["EngineVersion"],
            Tags=configuration_tags(plan, member),
        )
        configurations[config_name] = created["Id"]
    config_id = configurations[config_name]
    latest = mq.describe_configuration(ConfigurationId=config_id)["LatestRevision"]["Revision"]
    data = mq.describe_configuration_revision(ConfigurationId=config_id, ConfigurationRevision=str(latest))["Data"]
    if connector_uris(str(data or "")) != sorted(peers):
        xml = mesh_xml(plan.source_xml, peers, plan.network_user, plan.keep_comments)
        answer = mq.update_configuration(ConfigurationId=config_id, Data=base64.b64encode(xml.encode()).decode())
        latest = answer["LatestRevision"]["Revision"]
    wanted = {"Id": config_id, "Revision": latest}
    configured = broker.get("Configurations") or {}
    if _same(configured.get("Current"), wanted):
        return True
    if not _same(configured.get("Pending"), wanted):
        mq.update_broker(BrokerId=broker["BrokerId"], Configuration=wanted)
    mq.reboot_broker(BrokerId=broker["BrokerId"])
    return False


def _same(found: Any, wanted: dict[str, Any]) -> bool:
    return (
        isinstance(found, dict)
        and found.get("Id") == wanted["Id"]
        and str(found.get("Revision")) == str(wanted["Revision"])
    )


def _mesh_configurations(mq: Any, plan: MeshPlan) -> dict[str, str]:
    names = {f"{m.name}-mesh" for m in plan.members}
    found = {}
    for page in _paged(mq.list_configurations, "ListConfigurations"):
        for configuration in page.get("Configurations") or []:
            if configuration.get("Name") in names:
                tags = configuration.get("Tags") or {}
                if tags.get(SOURCE_TAG) not in (None, plan.source_id):
                    raise MeshError(f"configuration {configuration['Name']} belongs to another source broker")
                found[configuration["Name"]] = configuration["Id"]
    return found


def _paged(call: Callable[..., Any], operation: str) -> Iterator[Any]:
    """Each page of a paged Amazon MQ call (100 a page); a NextToken given twice stops the step.

    botocore's paginators catch only a token repeated at once; one that comes round again after
    other pages would keep the step asking forever.
    """
    seen: set[str] = set()
    token = None
    while True:
        page = call(MaxResults=100, **({"NextToken": token} if token else {}))
        yield page
        token = page.get("NextToken")
        if not token:
            return
        if token in seen:
            raise MeshError(f"{operation} answered a NextToken it had already given: its pages would never end")
        seen.add(token)


def _automation_plan(events: dict[str, Any], mq: Any) -> MeshPlan:
    description, users, xml = read_source(mq, events["BrokerId"])
    return plan_mesh(
        description,
        users,
        xml,
        region=mq.meta.region_name,
        size=int(events.get("MeshSize") or 3),
        deployment_mode=events.get("DeploymentMode") or None,
    )


def automation_build_mesh(events: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """The SSM Automation step: create the missing members, bring each to its finished state.

    The document runs it again every few minutes while members are pending, at most MaxRounds
    times; it fails (ending the automation FAILED with the reason) as soon as a member failed to
    be created, or when members are still pending in the last round.
    """
    import boto3

    mq = boto3.client("mq")
    plan = _automation_plan(events, mq)
    secrets = boto3.client("secretsmanager")
    passwords = passwords_from_secret(secrets, events["PasswordSecretArn"], [u["Username"] for u in plan.users])
    members = create_members(mq, plan, passwords)
    pending, failed = connect_members(mq, plan, members)
    if failed:
        raise MeshError("the mesh cannot be finished: " + "; ".join(failed))
    round_number, max_rounds = automation_round(events), int(events.get("MaxRounds") or 24)
    if pending and round_number >= max_rounds:
        raise MeshError(
            f"the mesh is not finished after {round_number} rounds (MaxRounds {max_rounds}): "
            + "; ".join(pending)
            + ". Check those brokers in the Amazon MQ console, then run the remediation again: it resumes."
        )
    return {
        "Members": json.dumps(members, sort_keys=True),
        "Pending": len(pending),
        "Waiting": "; ".join(pending),
        "Round": round_number,
        "Checklist": CHECKLIST,
    }


def automation_round(events: dict[str, Any]) -> int:
    """Which run of the BuildMesh step this is, counted from the automation's own execution record."""
    execution_id = str(events.get("ExecutionId") or "")
    if not re.fullmatch(r"[0-9a-f-]{36}", execution_id):
        return int(events.get("Round") or 1)  # outside SSM (tests, a person calling it)
    import boto3

    execution = boto3.client("ssm").get_automation_execution(AutomationExecutionId=execution_id)
    steps = execution["AutomationExecution"].get("StepExecutions") or []
    return max(1, sum(1 for step in steps if step.get("StepName") == "BuildMesh"))
