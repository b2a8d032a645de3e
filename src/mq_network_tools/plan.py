"""mq-network-plan: print the plan that replaces a broker with a network of brokers.

It reads the source broker (DescribeBroker, DescribeUser, its current configuration) and prints
either a CloudFormation template or the equivalent AWS CLI commands. It creates nothing itself,
never deletes, and never handles a password: the plan takes them from a Secrets Manager secret
or from NoEcho template parameters. The planning logic is mesh.py's, shared with the SSM
Automation document, so the console and the remediation build the same mesh.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from .mesh import (
    CHECKLIST,
    MESH_MODES,
    Member,
    MeshError,
    MeshPlan,
    configuration_tags,
    instance_labels,
    member_tags,
    mesh_xml,
    openwire_uri,
    plan_mesh,
    read_source,
    uri_wrapping,
)

_PEER = "@@PEER{}@@"


def cloudformation(plan: MeshPlan, secret_arn: str | None) -> str:
    """A template (JSON, which is YAML) that creates the members, then gives each its mesh configuration."""
    parameters: dict[str, Any] = {}
    resources: dict[str, Any] = {}
    outputs: dict[str, Any] = {}
    for user in plan.users:
        if not secret_arn:
            parameters[_password_parameter(user["Username"])] = {
                "Type": "String",
                "NoEcho": True,
                "MinLength": 12,
                "Description": f"Password of user {user['Username']} on every member (never stored in the plan)",
            }
    current = plan.broker_settings
    for member in plan.members:
        logical = f"Member{member.number}"
        users = [
            {
                "Username": user["Username"],
                "Password": (
                    f"{{{{resolve:secretsmanager:{secret_arn}:SecretString:{user['Username']}}}}}"
                    if secret_arn
                    else {"Ref": _password_parameter(user["Username"])}
                ),
                "Groups": user["Groups"],
                "ConsoleAccess": user["ConsoleAccess"],
            }
            for user in plan.users
        ]
        # The settings are CreateBroker's arguments, which AWS::AmazonMQ::Broker names alike.
        broker: dict[str, Any] = {
            **current,
            "BrokerName": member.name,
            "Configuration": plan.source_configuration,
            "Users": users,
            "Tags": _cfn_tags(member_tags(plan, member)),
        }
        resources[logical] = {"Type": "AWS::AmazonMQ::Broker", "Properties": broker}
        outputs[f"{logical}Id"] = {"Description": member.name, "Value": {"Ref": logical}}
        if member.number == 1:
            continue  # member 1 declares no connector: the others' duplex connectors reach it
        peers = [_PEER.format(peer.number) for peer in plan.members[: member.number - 1]]
        xml = mesh_xml(plan.source_xml, peers, plan.network_user)
        resources[f"{logical}Mesh"] = {
            "Type": "AWS::AmazonMQ::Configuration",
            "Properties": {
                "Name": f"{member.name}-mesh",
                "EngineType": "ACTIVEMQ",
                "EngineVersion": current["EngineVersion"],
                "Description": f"{member.name}: the source's configuration, linked to members 1..{member.number - 1}",
                "Data": {"Fn::Base64": {"Fn::Join": ["", _xml_parts(xml, plan.members)]}},
                "Tags": _cfn_tags(configuration_tags(plan, member)),
            },
        }
        resources[f"{logical}MeshAssociation"] = {
            "Type": "AWS::AmazonMQ::ConfigurationAssociation",
            "Properties": {
                "Broker": {"Ref": logical},
                "Configuration": {
                    "Id": {"Fn::GetAtt": [f"{logical}Mesh", "Id"]},
                    "Revision": {"Fn::GetAtt": [f"{logical}Mesh", "Revision"]},
                },
            },
        }
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": (
            f"Network of brokers replacing {plan.source_name} ({plan.source_id}), made by mq-network-plan. "
            "It never deletes the source broker: see the checklist at the end."
        ),
        **({"Parameters": parameters} if parameters else {}),
        "Resources": resources,
        "Outputs": outputs,
    }
    checklist = "\n".join(f"# {line}" for line in _full_checklist().splitlines())
    return json.dumps(template, indent=2) + "\n" + checklist + "\n"


def _xml_parts(xml: str, members: Sequence[Member]) -> list[Any]:
    parts: list[Any] = []
    for piece in re.split(r"(@@PEER\d+@@)", xml):
        peer = re.fullmatch(r"@@PEER(\d+)@@", piece)
        if not peer:
            parts.append(piece)
            continue
        member = members[int(peer.group(1)) - 1]
        endpoints = {"Fn::Join": [",", {"Fn::GetAtt": [f"Member{member.number}", "OpenWireEndpoints"]}]}
        prefix, suffix = uri_wrapping(member.mode == "ACTIVE_STANDBY_MULTI_AZ")
        parts += [prefix, endpoints, suffix]
    return parts


def cli(plan: MeshPlan, secret_arn: str | None) -> str:
    """A bash script of AWS CLI calls doing what the template does; passwords read at run time."""
    q = shlex.quote
    lines = [
        "#!/usr/bin/env bash",
        f"# Network of brokers replacing {plan.source_name} ({plan.source_id}) in {plan.region}, "
        f"made by mq-network-plan: {len(plan.members)} members. It never deletes the source broker.",
        "set -euo pipefail",
        f"REGION={q(plan.region)}",
    ]
    users = json.dumps(list(plan.users))
    if secret_arn:
        lines += [
            f"SECRET_ARN={q(secret_arn)}",
            '# Users with their passwords, from the secret ({"<username>": "<password>"}); never echoed.',
            "users_json() {",
            '  aws secretsmanager get-secret-value --region "$REGION" --secret-id "$SECRET_ARN" \\',
            "    --query SecretString --output text | python3 -c 'import json, sys; s = json.load(sys.stdin); "
            'print(json.dumps([{**u, "Password": s[u["Username"]]} for u in json.loads(sys.argv[1])]))\' '
            f"{q(users)}",
            "}",
        ]
    else:
        lines += ["# Passwords are asked for once, never echoed nor written down."]
        for user in plan.users:
            variable = _password_parameter(user["Username"]).upper()
            lines.append(f"read -rsp {q('Password for ' + user['Username'] + ': ')} {variable}; echo")
            lines.append(f"export {variable}")
        mapping = {u["Username"]: _password_parameter(u["Username"]).upper() for u in plan.users}
        lines += [
            "users_json() {",
            "  python3 -c 'import json, os, sys; m = json.loads(sys.argv[2]); "
            'print(json.dumps([{**u, "Password": os.environ[m[u["Username"]]]} for u in json.loads(sys.argv[1])]))\' '
            f"{q(users)} {q(json.dumps(mapping))}",
            "}",
        ]
    settings = plan.broker_settings
    lines += [
        'SOURCE_CONFIG=$(aws mq describe-broker --region "$REGION" --broker-id '
        f'{q(plan.source_id)} --query "Configurations.Current" --output json)',
        "",
        "# 1. Create the members (each starts on the source's configuration).",
    ]
    for member in plan.members:
        options = [
            f"--broker-name {q(member.name)}",
            f"--deployment-mode {member.mode}",
            "--engine-type ACTIVEMQ",
            f"--engine-version {q(settings['EngineVersion'])}",
            f"--host-instance-type {q(settings['HostInstanceType'])}",
            "--publicly-accessible" if settings["PubliclyAccessible"] else "--no-publicly-accessible",
            "--auto-minor-version-upgrade"
            if settings["AutoMinorVersionUpgrade"]
            else "--no-auto-minor-version-upgrade",
            f"--subnet-ids {' '.join(q(s) for s in settings['SubnetIds'])}",
            f"--authentication-strategy {q(settings['AuthenticationStrategy'])}",
            '--configuration "$SOURCE_CONFIG"',
            '--users "$(users_json)"',
            f"--tags {q(json.dumps(member_tags(plan, member)))}",
        ]
        if settings.get("SecurityGroups"):
            options.append(f"--security-groups {' '.join(q(g) for g in settings['SecurityGroups'])}")
        for key, flag in (
            ("EncryptionOptions", "--encryption-options"),
            ("Logs", "--logs"),
            ("MaintenanceWindowStartTime", "--maintenance-window-start-time"),
        ):
            if settings.get(key):
                options.append(f"{flag} {q(json.dumps(settings[key]))}")
        if settings.get("StorageType"):
            options.append(f"--storage-type {q(settings['StorageType'])}")
        body = " \\\n    ".join(options)
        lines.append(
            f'B{member.number}=$(aws mq create-broker --region "$REGION" \\\n    {body} \\\n'
            "    --query BrokerId --output text)"
        )
    lines += [
        "",
        "# 2. Wait until every member is RUNNING (creation takes about 15 to 30 minutes).",
        f"for id in {' '.join(f'$B{m.number}' for m in plan.members)}; do",
        '  until [ "$(aws mq describe-broker --region "$REGION" --broker-id "$id" \\',
        '      --query BrokerState --output text)" = RUNNING ]; do',
        "    sleep 60",
        "  done",
        "done",
        "",
        "# 3. Give members 2..n their mesh configuration (duplex links to the members before them),",
        "#    and reboot them (they have no clients yet) so that it takes effect.",
        "SUFFIX=.mq.$REGION.amazonaws.com",
    ]
    for member in plan.members[1:]:
        peers = [
            openwire_uri([f"{label}$SUFFIX" for label in instance_labels(f"${{B{peer.number}}}", peer.mode)])
            for peer in plan.members[: member.number - 1]
        ]
        xml = mesh_xml(plan.source_xml, peers, plan.network_user)
        lines += [
            f'C{member.number}=$(aws mq create-configuration --region "$REGION" --name {q(member.name + "-mesh")} '
            f"--engine-type ACTIVEMQ --engine-version {q(settings['EngineVersion'])} "
            f"--tags {q(json.dumps(configuration_tags(plan, member)))} "
            "--query Id --output text)",
            f'R{member.number}=$(aws mq update-configuration --region "$REGION" --configuration-id "$C{member.number}" '
            f'--data "$(base64 -w0 <<XML\n{_heredoc_safe(xml)}\nXML\n)" --query LatestRevision.Revision --output text)',
            f'aws mq update-broker --region "$REGION" --broker-id "$B{member.number}" '
            f'--configuration "Id=$C{member.number},Revision=$R{member.number}"',
            f'aws mq reboot-broker --region "$REGION" --broker-id "$B{member.number}"',
        ]
    lines += ["", *(f"# {line}" for line in _full_checklist().splitlines())]
    return "\n".join(lines) + "\n"


def _cfn_tags(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]


def _heredoc_safe(xml: str) -> str:
    """The XML inside an unquoted heredoc: only ${B<n>} and $SUFFIX expand; nothing else can."""
    escaped = xml.replace("\\", "\\\\").replace("`", "\\`").replace("$", "\\$")
    return re.sub(r"\\\$(\{B\d+\}|SUFFIX)", r"$\1", escaped)


def _password_parameter(username: str) -> str:
    return "Password" + "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", username) if part)


def _full_checklist() -> str:
    return "What a person must still do:\n" + CHECKLIST


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    parser = argparse.ArgumentParser(
        prog="mq-network-plan",
        description="Print the plan (CloudFormation or AWS CLI) for a network of brokers that replaces a broker. "
        "It creates nothing, deletes nothing and never handles a password.",
    )
    parser.add_argument("broker_id", help="the source broker's ID (b-...), as the rule's results name it")
    parser.add_argument("--size", type=int, default=3, help="members in the mesh (default 3)")
    parser.add_argument("--deployment-mode", choices=MESH_MODES, help="default: the source's mode")
    parser.add_argument("--subnet-ids", help="comma-separated, when the mode needs other subnets than the source's")
    parser.add_argument("--output", choices=("cloudformation", "cli"), default="cloudformation")
    parser.add_argument(
        "--password-secret-arn",
        help='Secrets Manager secret {"<username>": "<password>"} for the users; without it the template '
        "takes NoEcho parameters and the script asks",
    )
    parser.add_argument("--region", help="default: the session's region")
    parser.add_argument("--profile")
    parser.add_argument("--endpoint-url", help="send every call to this endpoint (a moto server, an emulator)")
    args = parser.parse_args(argv)
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        session = boto3.Session(profile_name=args.profile, region_name=args.region)
        region = session.region_name or "us-east-1"
        mq = session.client("mq", region_name=region, endpoint_url=args.endpoint_url)
        description, users, xml = read_source(mq, args.broker_id)
        subnets = [s.strip() for s in args.subnet_ids.split(",")] if args.subnet_ids else None
        plan = plan_mesh(description, users, xml, region, args.size, args.deployment_mode, subnets)
    except MeshError as err:
        stderr.write(f"mq-network-plan: {err}\n")
        return 2
    except (ClientError, BotoCoreError) as err:
        stderr.write(f"mq-network-plan: cannot read broker {args.broker_id}: {err}\n")
        return 2
    render = cloudformation if args.output == "cloudformation" else cli
    stdout.write(render(plan, args.password_secret_arn))
    return 0


if __name__ == "__main__":
    sys.exit(main())
