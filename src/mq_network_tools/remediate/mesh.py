"""The SSM Automation step that builds the mesh replacing a non-compliant Amazon MQ broker.

template.yaml's document runs `automation_build_mesh` (embedded after the rule's naming.py and
configuration_xml.py and mesh_plan.py, which it imports; scripts/embed_mesh_script.py writes the
bundle and a test keeps it equal), so it imports only the standard library, those modules, and
boto3. What to build is mesh_plan.py's, shared with `mq-network-plan`.

Safety: it never deletes anything, never invents or prints a password (they come from a Secrets
Manager secret, `{"<username>": "<password>", ...}`), and converges: each run checks what exists
(members, their configurations' content, which revision each runs), repairs what it can, names
what it cannot, and refuses a name taken by anything else.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from mq_network.core import BUILD_COMPLETE, BUILD_TAG, SOURCE_TAG, connector_uris
from mq_network_tools.remediate.mesh_plan import (
    CHECKLIST,
    Member,
    MeshError,
    MeshPlan,
    configuration_tags,
    instance_hosts,
    member_tags,
    mesh_xml,
    openwire_uri,
    plan_mesh,
    read_source,
)

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
    """Whether a broker's Configurations entry is `wanted` (AWS answers the revision as a number or a string)."""
    return (
        isinstance(found, dict)
        and found.get("Id") == wanted["Id"]
        and str(found.get("Revision")) == str(wanted["Revision"])
    )


def _mesh_configurations(mq: Any, plan: MeshPlan) -> dict[str, str]:
    """The members' mesh configurations that exist (name -> ID), reused by a rerun; another source's is refused."""
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
    """The plan from the automation's inputs, read from AWS as mq-network-plan reads it: both build one mesh."""
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
