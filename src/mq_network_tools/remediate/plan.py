"""mq-network-plan: print the plan that replaces a broker with a network of brokers.

It reads the source broker (DescribeBroker, DescribeUser, its current configuration) and prints
either a CloudFormation template or the equivalent AWS CLI commands. It creates nothing itself,
never deletes, and never handles a password: the plan takes them from a Secrets Manager secret
or from NoEcho template parameters. The plan is mesh_plan.py's, which the SSM Automation
document builds from too (mesh.py), so the console and the remediation build the same mesh.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shlex
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from mq_network.core import OPENWIRE_PORT, RESOURCE_TYPE, endpoint_domain
from mq_network_tools.remediate.mesh_plan import (
    CHECKLIST,
    MESH_MODES,
    PEER_MARKER,
    Member,
    MeshError,
    MeshPlan,
    configuration_tags,
    member_tags,
    mesh_xml,
    password_slots,
    plan_mesh,
    read_source,
    uri_wrapping,
)

_PEER = PEER_MARKER + "{}@@"


def cloudformation(plan: MeshPlan, secret_arn: str | None) -> str:
    """A template (JSON, which is YAML) that creates the members, then gives each its mesh configuration."""
    slots = password_slots(plan.users)
    parameters = {} if secret_arn else _cfn_password_parameters(plan, slots)
    resources: dict[str, Any] = {}
    outputs: dict[str, Any] = {}
    for member in plan.members:
        logical = f"Member{member.number}"
        resources[logical] = _cfn_broker(plan, member, secret_arn, slots)
        outputs[f"{logical}Id"] = {"Description": member.name, "Value": {"Ref": logical}}
        if member.number > 1:  # member 1 declares no connector: the others' duplex connectors reach it
            resources.update(_cfn_mesh_configuration(plan, member))
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


def _cfn_password_parameters(plan: MeshPlan, slots: dict[str, str]) -> dict[str, Any]:
    """One NoEcho parameter per user when there is no secret: the template never holds a password."""
    return {
        slots[user["Username"]]: {
            "Type": "String",
            "NoEcho": True,
            "MinLength": 12,
            "Description": f"Password of user {user['Username']} on every member (never stored in the plan)",
        }
        for user in plan.users
    }


def _cfn_broker(plan: MeshPlan, member: Member, secret_arn: str | None, slots: dict[str, str]) -> dict[str, Any]:
    """A member's AWS::AmazonMQ::Broker, on the source's configuration until its mesh one is associated."""
    users = [
        {
            "Username": user["Username"],
            "Password": (
                f"{{{{resolve:secretsmanager:{secret_arn}:SecretString:{user['Username']}}}}}"
                if secret_arn
                else {"Ref": slots[user["Username"]]}
            ),
            "Groups": user["Groups"],
            "ConsoleAccess": user["ConsoleAccess"],
        }
        for user in plan.users
    ]
    # The settings are CreateBroker's arguments, which AWS::AmazonMQ::Broker names alike.
    broker: dict[str, Any] = {
        **plan.broker_settings,
        "BrokerName": member.name,
        "Configuration": plan.source_configuration,
        "Users": users,
        "Tags": _cfn_tags(member_tags(plan, member)),
    }
    return {"Type": RESOURCE_TYPE, "Properties": broker}


def _cfn_mesh_configuration(plan: MeshPlan, member: Member) -> dict[str, Any]:
    """Member n's mesh configuration (duplex links to members 1..n-1, whose endpoints CloudFormation
    fills in) and its association with the member."""
    logical = f"Member{member.number}"
    peers = [_PEER.format(peer.number) for peer in plan.members[: member.number - 1]]
    xml = mesh_xml(plan.source_xml, peers, plan.network_user, plan.keep_comments)
    configuration = {
        "Type": "AWS::AmazonMQ::Configuration",
        "Properties": {
            "Name": f"{member.name}-mesh",
            "EngineType": "ACTIVEMQ",
            "EngineVersion": plan.broker_settings["EngineVersion"],
            "Description": f"{member.name}: the source's configuration, linked to members 1..{member.number - 1}",
            "Data": {"Fn::Base64": {"Fn::Join": ["", _xml_parts(xml, plan.members)]}},
            "Tags": _cfn_tags(configuration_tags(plan, member)),
        },
    }
    association = {
        "Type": "AWS::AmazonMQ::ConfigurationAssociation",
        "Properties": {
            "Broker": {"Ref": logical},
            "Configuration": {
                "Id": {"Fn::GetAtt": [f"{logical}Mesh", "Id"]},
                "Revision": {"Fn::GetAtt": [f"{logical}Mesh", "Revision"]},
            },
        },
    }
    return {f"{logical}Mesh": configuration, f"{logical}MeshAssociation": association}


def _xml_parts(xml: str, members: Sequence[Member]) -> list[Any]:
    """The mesh XML as Fn::Join parts: each @@PEERn@@ marker becomes member n's endpoints."""
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
    """A bash script of AWS CLI calls doing what the template does; passwords read at run time.

    Nothing read from AWS ever becomes shell code: names, tags and usernames are single-quoted
    (shlex), the configuration XML and the user list travel base64-encoded inside single quotes and
    reach the CLI as files (`--data file://`, `--users file://`) in a private directory (mode 700,
    removed on exit), broker IDs from create-broker are checked against Amazon MQ's ID shape before
    they are used, and passwords never appear on a command line.
    """
    slots = password_slots(plan.users)  # refuses a user listed twice, whichever way the passwords come
    lines = [
        *_script_preamble(plan),
        *(_script_users_from_secret(secret_arn) if secret_arn else _script_users_from_prompts(plan, slots)),
        *_script_create_members(plan),
        *_script_wait_for_members(plan),
        *_script_mesh_configurations(plan),
        "",
        *(f"# {line}" for line in _full_checklist().splitlines()),
    ]
    return "\n".join(lines) + "\n"


def _script_preamble(plan: MeshPlan) -> list[str]:
    """Strict bash, a private work directory removed on exit, the ID check, and the users without passwords."""
    q = shlex.quote
    users_b64 = base64.b64encode(json.dumps(list(plan.users)).encode()).decode()
    return [
        "#!/usr/bin/env bash",
        f"# Network of brokers replacing {_comment(plan.source_name)} ({_comment(plan.source_id)}) in "
        f"{_comment(plan.region)}, made by mq-network-plan: {len(plan.members)} members. "
        "It never deletes the source broker.",
        "set -euo pipefail",
        "umask 077",
        "WORK=$(mktemp -d)  # private: the user list with passwords lives here while the script runs",
        "trap 'rm -rf \"$WORK\"' EXIT",
        f"REGION={q(plan.region)}",
        "check_id() {  # a broker or configuration ID as Amazon MQ makes them, or stop",
        '  [[ "$1" =~ ^[bc]-[0-9a-fA-F-]{1,64}$ ]] || { echo "unexpected ID: $1" >&2; exit 1; }',
        "}",
        f'printf %s {q(users_b64)} | base64 -d > "$WORK/users-plain.json"',
    ]


def _script_users_from_secret(secret_arn: str) -> list[str]:
    """$WORK/users.json with each password from the Secrets Manager secret, never on a command line."""
    return [
        f"SECRET_ARN={shlex.quote(secret_arn)}",
        '# Users with their passwords, from the secret ({"<username>": "<password>"}); never echoed.',
        'aws secretsmanager get-secret-value --region "$REGION" --secret-id "$SECRET_ARN" \\',
        '  --query SecretString --output text > "$WORK/secret.json"',
        "python3 - \"$WORK\" <<'PY'",
        "import json, pathlib, sys",
        "work = pathlib.Path(sys.argv[1])",
        'secret = json.loads((work / "secret.json").read_text())',
        'users = json.loads((work / "users-plain.json").read_text())',
        'out = [{**u, "Password": secret[u["Username"]]} for u in users]',
        '(work / "users.json").write_text(json.dumps(out))',
        "PY",
    ]


def _script_users_from_prompts(plan: MeshPlan, slots: dict[str, str]) -> list[str]:
    """$WORK/users.json with each password asked once (not echoed), passed through the environment."""
    q = shlex.quote
    lines = ["# Passwords are asked for once each, never echoed nor written anywhere but $WORK."]
    for user in plan.users:
        variable = slots[user["Username"]].upper()
        lines.append(f"read -rsp {q('Password for ' + user['Username'] + ': ')} {variable}; echo")
        lines.append(f"export {variable}")
    slots_b64 = base64.b64encode(json.dumps({u: v.upper() for u, v in slots.items()}).encode()).decode()
    return [
        *lines,
        f'printf %s {q(slots_b64)} | base64 -d > "$WORK/slots.json"',
        "python3 - \"$WORK\" <<'PY'",
        "import json, os, pathlib, sys",
        "work = pathlib.Path(sys.argv[1])",
        'slots = json.loads((work / "slots.json").read_text())',
        'users = json.loads((work / "users-plain.json").read_text())',
        'out = [{**u, "Password": os.environ[slots[u["Username"]]]} for u in users]',
        '(work / "users.json").write_text(json.dumps(out))',
        "PY",
    ]


def _script_create_members(plan: MeshPlan) -> list[str]:
    """Step 1: create-broker for each member on the source's configuration, each ID checked; then
    the file holding the passwords goes."""
    lines = [
        'SOURCE_CONFIG=$(aws mq describe-broker --region "$REGION" --broker-id '
        f'{shlex.quote(plan.source_id)} --query "Configurations.Current" --output json)',
        "",
        "# 1. Create the members (each starts on the source's configuration).",
    ]
    for member in plan.members:
        body = " \\\n    ".join(_script_create_broker_options(plan, member))
        lines.append(
            f'B{member.number}=$(aws mq create-broker --region "$REGION" \\\n    {body} \\\n'
            "    --query BrokerId --output text)"
        )
        lines.append(f'check_id "$B{member.number}"')
    return [*lines, 'rm -f "$WORK/users.json"  # the passwords are no longer needed']


def _script_create_broker_options(plan: MeshPlan, member: Member) -> list[str]:
    """create-broker's options for a member: the plan's shared settings, its name and tags, all quoted."""
    q = shlex.quote
    settings = plan.broker_settings
    options = [
        f"--broker-name {q(member.name)}",
        f"--deployment-mode {q(member.mode)}",
        "--engine-type ACTIVEMQ",
        f"--engine-version {q(settings['EngineVersion'])}",
        f"--host-instance-type {q(settings['HostInstanceType'])}",
        "--publicly-accessible" if settings["PubliclyAccessible"] else "--no-publicly-accessible",
        "--auto-minor-version-upgrade" if settings["AutoMinorVersionUpgrade"] else "--no-auto-minor-version-upgrade",
        f"--subnet-ids {' '.join(q(s) for s in settings['SubnetIds'])}",
        f"--authentication-strategy {q(settings['AuthenticationStrategy'])}",
        '--configuration "$SOURCE_CONFIG"',
        '--users "file://$WORK/users.json"',
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
    return options


def _script_wait_for_members(plan: MeshPlan) -> list[str]:
    """Step 2: a member's endpoints and configuration can change only once it is RUNNING."""
    return [
        "",
        "# 2. Wait until every member is RUNNING (creation takes about 15 to 30 minutes).",
        f"for id in {' '.join(f'$B{m.number}' for m in plan.members)}; do",
        '  until [ "$(aws mq describe-broker --region "$REGION" --broker-id "$id" \\',
        '      --query BrokerState --output text)" = RUNNING ]; do',
        "    sleep 60",
        "  done",
        "done",
    ]


def _script_mesh_configurations(plan: MeshPlan) -> list[str]:
    """Step 3: members 2..n get their mesh configuration and a reboot (they have no clients yet)."""
    lines = [
        "",
        "# 3. Give members 2..n their mesh configuration (duplex links to the members before them),",
        "#    and reboot them (they have no clients yet) so that it takes effect. The XML is data:",
        "#    decoded to a file, its @@PEERn@@ markers replaced by the (checked) member IDs.",
        f"SUFFIX={shlex.quote(_endpoint_suffix(plan.region))}",
    ]
    for member in plan.members[1:]:
        lines += _script_member_mesh_configuration(plan, member)
    return lines


def _script_member_mesh_configuration(plan: MeshPlan, member: Member) -> list[str]:
    """Member n's mesh XML with its peers' hosts filled in from the checked IDs, then create-configuration,
    update-configuration, update-broker and reboot-broker, each answer checked before it is used."""
    q = shlex.quote
    peers = [_PEER.format(peer.number) for peer in plan.members[: member.number - 1]]
    xml = mesh_xml(plan.source_xml, peers, plan.network_user, plan.keep_comments)
    n = member.number
    lines = [f"XML=$(printf %s {q(base64.b64encode(xml.encode()).decode())} | base64 -d)"]
    for peer in plan.members[: member.number - 1]:
        hosts = ",".join(
            f"ssl://${{B{peer.number}}}-{i}$SUFFIX:{OPENWIRE_PORT}"
            for i in range(1, (2 if peer.mode == "ACTIVE_STANDBY_MULTI_AZ" else 1) + 1)
        )
        prefix, suffix = uri_wrapping(peer.mode == "ACTIVE_STANDBY_MULTI_AZ")
        lines.append(f'XML=${{XML//{_PEER.format(peer.number)}/"{prefix}{hosts}{suffix}"}}')
    return [
        *lines,
        f'printf %s "$XML" | base64 -w0 > "$WORK/mesh-{n}.b64"',
        f'C{n}=$(aws mq create-configuration --region "$REGION" --name {q(member.name + "-mesh")} '
        f"--engine-type ACTIVEMQ --engine-version {q(plan.broker_settings['EngineVersion'])} "
        f"--tags {q(json.dumps(configuration_tags(plan, member)))} "
        "--query Id --output text)",
        f'check_id "$C{n}"',
        f'R{n}=$(aws mq update-configuration --region "$REGION" --configuration-id "$C{n}" '
        f'--data "file://$WORK/mesh-{n}.b64" --query LatestRevision.Revision --output text)',
        f'[[ "$R{n}" =~ ^[0-9]+$ ]] || {{ echo "unexpected revision: $R{n}" >&2; exit 1; }}',
        f'aws mq update-broker --region "$REGION" --broker-id "$B{n}" --configuration "Id=$C{n},Revision=$R{n}"',
        f'aws mq reboot-broker --region "$REGION" --broker-id "$B{n}"',
    ]


def _endpoint_suffix(region: str) -> str:
    """What follows `<broker-id>-<n>` in an endpoint host in the region's partition, for the script's peers."""
    return endpoint_domain(region)


def _comment(text: str) -> str:
    """Text safe inside a shell comment line: no newline can end the comment."""
    return re.sub(r"[\x00-\x1f\x7f]", "?", text)


def _cfn_tags(tags: dict[str, str]) -> list[dict[str, str]]:
    """Tags as CloudFormation lists them (Key/Value pairs), where the Amazon MQ API takes a map."""
    return [{"Key": key, "Value": value} for key, value in tags.items()]


def _full_checklist() -> str:
    """What a person must still do, ending every plan: the plan never deletes the source broker."""
    return "What a person must still do:\n" + CHECKLIST


TEMPLATE_BODY_LIMIT = 51_200  # bytes CloudFormation takes inline (--template-body); beyond, from S3
DEMO_SOURCE = "cc-project5-broker"


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """mq-network-plan: read the source (or the demo's), print its plan; 2 when it cannot be planned."""
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    parser = _parser()
    args = parser.parse_args(argv)
    if args.demo and (args.broker_id or args.profile or args.endpoint_url):
        parser.error("--demo plans for its own emulated broker: give no broker ID, --profile or --endpoint-url")
    if not args.demo and not args.broker_id:
        parser.error("give the source broker's ID (b-...), or --demo")
    try:
        plan = _demo_plan(args) if args.demo else _read_plan(args)
    except MeshError as err:
        stderr.write(f"mq-network-plan: {err}\n")
        return 2
    except Exception as err:
        stderr.write(f"mq-network-plan: cannot read broker {args.broker_id}: {type(err).__name__}: {err}\n")
        return 2
    render = cloudformation if args.output == "cloudformation" else cli
    text = render(plan, args.password_secret_arn)
    if not args.out:
        stdout.write(text)
        _size_note(text, args, "the plan", stderr)
        return 0
    with open(args.out, "w", encoding="utf-8") as handle:
        handle.write(text)
    stderr.write(f"mq-network-plan: wrote {args.out} ({len(text.encode()):,} bytes)\n")
    _size_note(text, args, args.out, stderr)
    return 0


def _parser() -> argparse.ArgumentParser:
    """mq-network-plan's options: the source, the mesh's shape, the output, passwords, where AWS is."""
    parser = argparse.ArgumentParser(
        prog="mq-network-plan",
        description="Print the plan (CloudFormation or AWS CLI) for a network of brokers that replaces a broker. "
        "It creates nothing, deletes nothing and never handles a password.",
    )
    parser.add_argument(
        "broker_id", nargs="?", help="the source broker's ID (b-...), as the rule's results name it (not with --demo)"
    )
    parser.add_argument("--size", type=int, default=3, help="members in the mesh (default 3)")
    parser.add_argument("--deployment-mode", choices=MESH_MODES, help="default: the source's mode")
    parser.add_argument("--subnet-ids", help="comma-separated, when the mode needs other subnets than the source's")
    parser.add_argument("--output", choices=("cloudformation", "cli"), default="cloudformation")
    parser.add_argument(
        "--out",
        metavar="FILE",
        help="write the plan to FILE (mesh.json for CloudFormation, mesh.sh for the CLI) instead of stdout",
    )
    parser.add_argument(
        "--keep-comments", action="store_true", help="copy the source configuration's XML comments into the members'"
    )
    parser.add_argument(
        "--password-secret-arn",
        help='Secrets Manager secret {"<username>": "<password>"} for the users; without it the template '
        "takes NoEcho parameters and the script asks",
    )
    parser.add_argument("--region", help="default: the session's region")
    parser.add_argument("--profile")
    parser.add_argument("--endpoint-url", help="send every call to this endpoint (a moto server, an emulator)")
    parser.add_argument(
        "--demo", action="store_true", help=f"plan for an emulated source broker ({DEMO_SOURCE}), no credentials"
    )
    return parser


def _read_plan(args: argparse.Namespace) -> MeshPlan:
    """The plan for a real broker, read with the profile, region and endpoint the options name."""
    import boto3

    session = boto3.Session(profile_name=args.profile, region_name=args.region)
    region = session.region_name or "us-east-1"
    mq = session.client("mq", region_name=region, endpoint_url=args.endpoint_url)
    description, users, xml = read_source(mq, args.broker_id)
    subnets = [s.strip() for s in args.subnet_ids.split(",")] if args.subnet_ids else None
    return plan_mesh(description, users, xml, region, args.size, args.deployment_mode, subnets, args.keep_comments)


def _demo_plan(args: argparse.Namespace) -> MeshPlan:
    """The plan for the demo account's lonely broker, on moto in this process (nothing leaves it)."""
    from mq_network_tools.demo import emulator

    emulator.use_fake_credentials()
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        os.environ.pop(name, None)
    from moto import mock_aws

    with mock_aws(), emulator.PagedListBrokers():  # moto answering in Amazon MQ's shapes (base64 revisions)
        import boto3

        mq = boto3.client("mq", region_name=emulator.REGION)
        broker_id = emulator.seed_brokers(mq, [emulator.BrokerSeed(DEMO_SOURCE)])[DEMO_SOURCE]
        description, users, xml = read_source(mq, broker_id)
        subnets = [s.strip() for s in args.subnet_ids.split(",")] if args.subnet_ids else ["subnet-0demo0000000000"]
        return plan_mesh(
            description, users, xml, emulator.REGION, args.size, args.deployment_mode, subnets, args.keep_comments
        )


def _size_note(text: str, args: argparse.Namespace, where: str, stderr: TextIO) -> None:
    """On stderr, when the template is too large to pass inline: how to deploy it from S3 instead."""
    size = len(text.split("\n# What a person must still do", 1)[0].encode())
    if args.output != "cloudformation" or size <= TEMPLATE_BODY_LIMIT:
        return
    stderr.write(
        f"mq-network-plan: the template is {size:,} bytes, over the {TEMPLATE_BODY_LIMIT:,} bytes CloudFormation "
        "takes inline: deploy it from S3, for example\n"
        f"  aws cloudformation deploy --template-file {shlex.quote(args.out or 'mesh.json')} "
        "--stack-name mesh --s3-bucket <your-bucket>\n"
    )


if __name__ == "__main__":
    sys.exit(main())
