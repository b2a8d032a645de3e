"""mq-network-plan: print the plan that replaces a broker with a network of brokers.

It reads the source broker (DescribeBroker, DescribeUser, its current configuration) and prints
either a CloudFormation template or the equivalent AWS CLI commands. It creates nothing itself,
never deletes, and never handles a password: the plan takes them from a Secrets Manager secret
or from NoEcho template parameters. The planning logic is mesh.py's, shared with the SSM
Automation document, so the console and the remediation build the same mesh.
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

from mq_network_tools.remediate.mesh import (
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
    parameters: dict[str, Any] = {}
    resources: dict[str, Any] = {}
    outputs: dict[str, Any] = {}
    slots = password_slots(plan.users)
    for user in plan.users:
        if not secret_arn:
            parameters[slots[user["Username"]]] = {
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
                    else {"Ref": slots[user["Username"]]}
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
        xml = mesh_xml(plan.source_xml, peers, plan.network_user, plan.keep_comments)
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
    """A bash script of AWS CLI calls doing what the template does; passwords read at run time.

    Nothing read from AWS ever becomes shell code: names, tags and usernames are single-quoted
    (shlex), the configuration XML and the user list travel base64-encoded inside single quotes and
    reach the CLI as files (`--data file://`, `--users file://`) in a private directory (mode 700,
    removed on exit), broker IDs from create-broker are checked against Amazon MQ's ID shape before
    they are used, and passwords never appear on a command line.
    """
    q = shlex.quote
    slots = password_slots(plan.users)
    users_b64 = base64.b64encode(json.dumps(list(plan.users)).encode()).decode()
    lines = [
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
    if secret_arn:
        lines += [
            f"SECRET_ARN={q(secret_arn)}",
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
    else:
        lines += ["# Passwords are asked for once each, never echoed nor written anywhere but $WORK."]
        for user in plan.users:
            variable = slots[user["Username"]].upper()
            lines.append(f"read -rsp {q('Password for ' + user['Username'] + ': ')} {variable}; echo")
            lines.append(f"export {variable}")
        slots_b64 = base64.b64encode(json.dumps({u: v.upper() for u, v in slots.items()}).encode()).decode()
        lines += [
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
            f"--deployment-mode {q(member.mode)}",
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
        body = " \\\n    ".join(options)
        lines.append(
            f'B{member.number}=$(aws mq create-broker --region "$REGION" \\\n    {body} \\\n'
            "    --query BrokerId --output text)"
        )
        lines.append(f'check_id "$B{member.number}"')
    lines += [
        'rm -f "$WORK/users.json"  # the passwords are no longer needed',
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
        "#    and reboot them (they have no clients yet) so that it takes effect. The XML is data:",
        "#    decoded to a file, its @@PEERn@@ markers replaced by the (checked) member IDs.",
        f"SUFFIX={q(_endpoint_suffix(plan.region))}",
    ]
    for member in plan.members[1:]:
        peers = [_PEER.format(peer.number) for peer in plan.members[: member.number - 1]]
        xml = mesh_xml(plan.source_xml, peers, plan.network_user, plan.keep_comments)
        n = member.number
        lines += [
            f"XML=$(printf %s {q(base64.b64encode(xml.encode()).decode())} | base64 -d)",
        ]
        for peer in plan.members[: member.number - 1]:
            hosts = ",".join(
                f"ssl://${{B{peer.number}}}-{i}$SUFFIX:61617"
                for i in range(1, (2 if peer.mode == "ACTIVE_STANDBY_MULTI_AZ" else 1) + 1)
            )
            prefix, suffix = uri_wrapping(peer.mode == "ACTIVE_STANDBY_MULTI_AZ")
            lines.append(f'XML=${{XML//{_PEER.format(peer.number)}/"{prefix}{hosts}{suffix}"}}')
        lines += [
            f'printf %s "$XML" | base64 -w0 > "$WORK/mesh-{n}.b64"',
            f'C{n}=$(aws mq create-configuration --region "$REGION" --name {q(member.name + "-mesh")} '
            f"--engine-type ACTIVEMQ --engine-version {q(settings['EngineVersion'])} "
            f"--tags {q(json.dumps(configuration_tags(plan, member)))} "
            "--query Id --output text)",
            f'check_id "$C{n}"',
            f'R{n}=$(aws mq update-configuration --region "$REGION" --configuration-id "$C{n}" '
            f'--data "file://$WORK/mesh-{n}.b64" --query LatestRevision.Revision --output text)',
            f'[[ "$R{n}" =~ ^[0-9]+$ ]] || {{ echo "unexpected revision: $R{n}" >&2; exit 1; }}',
            f'aws mq update-broker --region "$REGION" --broker-id "$B{n}" --configuration "Id=$C{n},Revision=$R{n}"',
            f'aws mq reboot-broker --region "$REGION" --broker-id "$B{n}"',
        ]
    lines += ["", *(f"# {line}" for line in _full_checklist().splitlines())]
    return "\n".join(lines) + "\n"


def _endpoint_suffix(region: str) -> str:
    return f".mq.{region}.amazonaws.com" + (".cn" if region.startswith("cn-") else "")


def _comment(text: str) -> str:
    """Text safe inside a shell comment line: no newline can end the comment."""
    return re.sub(r"[\x00-\x1f\x7f]", "?", text)


def _cfn_tags(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]


def _full_checklist() -> str:
    return "What a person must still do:\n" + CHECKLIST


TEMPLATE_BODY_LIMIT = 51_200  # bytes CloudFormation takes inline (--template-body); beyond, from S3
DEMO_SOURCE = "cc-project5-broker"


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
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


def _read_plan(args: argparse.Namespace) -> MeshPlan:
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
