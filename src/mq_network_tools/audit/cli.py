"""mq-network-audit: the rule's verdicts for every broker, across regions and accounts, from a terminal.

It runs the rule's own code (mq_network.runner.judging and parse_parameters), so a broker gets the same
verdict here as in AWS Config. This module holds the options, the choice of source and the exit
status; accounts.py reads every account and region (the default), aggregator.py one AWS Config
aggregator (--source aggregator); both give rows.py's rows, which output.py writes.

As a pipeline gate it fails closed: exit 0 only when every requested account and region was read
and nothing is non-compliant; 1 when something is non-compliant; 3 when any requested account or
region could not be read (unless --allow-partial); 2 for usage errors. Everything it prints from
AWS (names, annotations, error messages) is escaped: no terminal control sequence, no spreadsheet
formula.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from mq_network.core import NON_COMPLIANT, ParameterError, RuleParameters, parse_parameters
from mq_network_tools.audit import sessions
from mq_network_tools.audit.output import OUTPUTS, write_results
from mq_network_tools.audit.rows import Audited, AuditError, SourceUnreadableError
from mq_network_tools.audit.sessions import SessionFactory, requested_regions
from mq_network_tools.cli_options import add_rule_options, printable, rule_options

EXIT_OK, EXIT_NON_COMPLIANT, EXIT_USAGE, EXIT_PARTIAL = 0, 1, 2, 3


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        params = parse_parameters(rule_options(args))
    except ParameterError as err:
        stderr.write(f"mq-network-audit: {err}\n")
        return EXIT_USAGE
    try:
        regions = requested_regions(args.regions)
        if args.source == "aggregator":
            _refuse_for_aggregator(args, params)
            if args.demo:
                return _organization_demo(args, params, stdout, stderr)
            return run_audit(args, params, stdout, stderr)
        if args.demo:
            _refuse_with_demo(args)
            from mq_network_tools.audit.demo_organization import DEMO_REGIONS, emulated_account

            with emulated_account():
                demo_args = argparse.Namespace(**{**vars(args), "regions": ",".join(regions or DEMO_REGIONS)})
                return run_audit(demo_args, params, stdout, stderr, endpoint=None)
        return run_audit(args, params, stdout, stderr)
    except AuditError as err:
        stderr.write(f"mq-network-audit: {err}\n")
        return EXIT_USAGE
    except BrokenPipeError:  # the reader (head, less) left: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_NON_COMPLIANT
    except Exception as err:
        stderr.write(f"mq-network-audit: the audit could not finish: {type(err).__name__}: {printable(str(err))}\n")
        return EXIT_PARTIAL


def _refuse_for_aggregator(args: argparse.Namespace, params: RuleParameters) -> None:
    """--source aggregator's usage errors, all found before any call."""
    if not params.aggregator_name:
        raise AuditError("--source aggregator needs --aggregator-name NAME (the AWS Config aggregator to query)")
    if args.accounts:
        raise AuditError("--source aggregator audits every account the aggregator covers: drop --accounts")
    if args.profile and len(args.profile) > 1:
        raise AuditError("--source aggregator reads one aggregator: give at most one --profile (its account's)")
    if params.checks_connectors and not args.role_name:
        raise AuditError(
            f"--check-mode {params.check_mode} needs each broker's configuration XML, which AWS Config does not "
            "record: give --role-name (the member role, to read only those configurations), or use --check-mode name"
        )
    if args.demo and (args.endpoint_url or args.profile):
        raise AuditError("--demo audits its own emulated organization in this process; drop --endpoint-url/--profile")


def _organization_demo(args: argparse.Namespace, params: RuleParameters, stdout: TextIO, stderr: TextIO) -> int:
    from mq_network_tools.audit.demo_organization import DEMO_AGGREGATOR, emulated_organization

    if params.aggregator_name != DEMO_AGGREGATOR:
        raise AuditError(f"--demo --source aggregator emulates one aggregator: --aggregator-name {DEMO_AGGREGATOR}")
    with emulated_organization():
        return run_audit(args, params, stdout, stderr, endpoint=None)


def _refuse_with_demo(args: argparse.Namespace) -> None:
    given = [
        option
        for option, value in (
            ("--endpoint-url", args.endpoint_url),
            ("--profile", args.profile),
            ("--role-name", args.role_name),
            ("--accounts", args.accounts),
        )
        if value
    ]
    if given:
        raise AuditError(
            f"--demo audits its own emulated account in this process; it cannot be combined with {', '.join(given)}"
        )


_FROM_ENVIRONMENT = object()


def run_audit(
    args: argparse.Namespace,
    params: RuleParameters,
    stdout: TextIO,
    stderr: TextIO,
    session_factory: SessionFactory | None = None,
    endpoint: Any = _FROM_ENVIRONMENT,
) -> int:
    """Read the chosen source, write what it read; the exit status."""
    session_factory = sessions.one_session_per_credentials(session_factory or sessions.make_session)
    if endpoint is _FROM_ENVIRONMENT:
        endpoint = args.endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None
    try:
        if getattr(args, "source", "accounts") == "aggregator":
            from mq_network_tools.audit.aggregator import audit_organization

            audited = audit_organization(args, params, session_factory, endpoint)
        else:
            from mq_network_tools.audit.accounts import audit_accounts

            audited = audit_accounts(args, params, stderr, session_factory, endpoint)
    except SourceUnreadableError as err:
        stderr.write(f"mq-network-audit: exit 3: {err}\n")
        return EXIT_PARTIAL
    return finish(audited, args, stdout, stderr)


def finish(audited: Audited, args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    """Write the results, the failures and the summary; the exit status (whatever the source)."""
    rows, failures, summary = audited
    write_results(rows, failures, summary, args.output, stdout, colour=stdout.isatty())
    for failure in failures:
        stderr.write(
            f"error: account {printable(failure.account)} region {printable(failure.region)}: "
            f"{printable(failure.reason)}\n"
        )
    (stdout if args.output == "table" else stderr).write(summary.line() + "\n")
    if failures and not args.allow_partial:
        stderr.write(
            "mq-network-audit: exit 3: not every requested account and region could be read "
            "(--allow-partial accepts what could)\n"
        )
        return EXIT_PARTIAL
    return EXIT_NON_COMPLIANT if any(row.verdict == NON_COMPLIANT for row in rows) else EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mq-network-audit",
        description=(
            "Audit Amazon MQ brokers for MQ_NETWORK_OF_BROKERS across regions and accounts, with the rule's "
            "own code. Exit status: 0 every requested account and region read, nothing non-compliant; 1 any "
            "non-compliant; 2 usage or credential errors; 3 an account or region could not be read (a gate "
            "must not pass while blind; --allow-partial accepts what could be read)."
        ),
    )
    where = parser.add_argument_group("where to look")
    where.add_argument(
        "--regions",
        help="'all' (every region enabled for the account) or a comma-separated list; default: the session's region",
    )
    where.add_argument(
        "--source",
        choices=("accounts", "aggregator"),
        default="accounts",
        help="accounts (default): list brokers in each account and region; aggregator: every account and region "
        "an AWS Config aggregator covers (--aggregator-name), in one paged query from its account, no role needed "
        "in name mode (connectors and both read configurations through --role-name)",
    )
    where.add_argument("--profile", action="append", help="an AWS profile to audit (repeatable)")
    where.add_argument(
        "--role-name",
        "--execution-role-name",
        help="assume this role in each of --accounts: the rule's ExecutionRoleName, as the organization mode uses it",
    )
    where.add_argument("--accounts", help="account IDs for --role-name, comma-separated")
    where.add_argument("--partition", default="aws", help="partition of --accounts' role ARNs (default: aws)")
    where.add_argument(
        "--endpoint-url",
        help="send every call to this endpoint (a moto server, an emulator); AWS_ENDPOINT_URL works too",
    )
    where.add_argument(
        "--demo",
        action="store_true",
        help="audit an emulated account in two regions, in this process: no credentials, no network",
    )
    where.add_argument(
        "--allow-partial",
        action="store_true",
        help="exit 0 or 1 on what could be read, even if some account or region failed (default: exit 3)",
    )
    add_rule_options(parser)
    parser.add_argument(
        "--output",
        choices=OUTPUTS,
        default="table",
        help="table (default; the summary line follows it), json (an object: results, one per broker, with "
        "its links; failures; summary), csv, html (one self-contained page: a picture of each region's brokers "
        "and links, then the table), dot (Graphviz) or mermaid; the summary goes to stderr except for table",
    )
    return parser


if __name__ == "__main__":
    sys.exit(main())
