"""mq-network-audit: the rule's verdicts for every broker, across regions and accounts, from a terminal.

It runs the rule's own code (mq_network.runner.judging and parse_parameters), so a broker gets the same
verdict here as in AWS Config. Regions and accounts are read concurrently; each (account, region)
builds its own session and clients, since boto3 sessions are not thread-safe.

As a pipeline gate it fails closed: exit 0 only when every requested account and region was read
and nothing is non-compliant; 1 when something is non-compliant; 3 when any requested account or
region could not be read (unless --allow-partial); 2 for usage errors. Everything it prints from
AWS (names, annotations, error messages) is escaped: no terminal control sequence, no spreadsheet
formula.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import TYPE_CHECKING, Any, NamedTuple, TextIO

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from mq_network.core import COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE, ParameterError, RuleParameters, parse_parameters

if TYPE_CHECKING:
    from mq_network.core import BrokerFacts, Resolver, Verdict

from mq_network_tools.cli_options import add_rule_options, printable, rule_options

AUDIT_CONFIG = Config(retries={"mode": "adaptive", "total_max_attempts": 10}, connect_timeout=10, read_timeout=30)
MAX_WORKERS = 16
FIELDS = ("account", "region", "broker_id", "name", "mode", "engine", "verdict", "annotation")
EXIT_OK, EXIT_NON_COMPLIANT, EXIT_USAGE, EXIT_PARTIAL = 0, 1, 2, 3
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")  # OWASP: cells a spreadsheet would evaluate
_COLOURS = {COMPLIANT: "\033[32m", NON_COMPLIANT: "\033[31m", NOT_APPLICABLE: "\033[90m"}


class Account(NamedTuple):
    """Where credentials for one account come from."""

    label: str  # what the user named: "current", a profile, or an account ID
    profile: str | None = None
    role_arn: str | None = None


class Target(NamedTuple):
    account: str
    region: str
    session_kwargs: Mapping[str, Any]


class Row(NamedTuple):
    account: str
    region: str
    broker_id: str
    name: str
    mode: str
    engine: str
    verdict: str
    annotation: str
    # Each direct bridge: (peer broker ID or "external:<id or host>", its label, "both"|"out"|"in").
    # Empty in name mode (no connector is read). In JSON and the pictures, not in table or CSV.
    links: tuple[tuple[str, str, str, str], ...] = ()


def judged_row(account: str, region: str, broker: BrokerFacts, verdict: Verdict, evidence: object = None) -> Row:
    """One broker's line of every output, whichever source read it."""
    return Row(
        account,
        region,
        broker.broker_id,
        broker.label,
        broker.deployment_mode or "",
        broker.engine_type or "",
        verdict.compliance,
        verdict.annotation,
        tuple((link.node, link.label, link.direction, link.kind) for link in getattr(evidence, "links", ())),
    )


class Failure(NamedTuple):
    account: str
    region: str
    reason: str


class AuditError(Exception):
    """A usage or credential problem: nothing was audited (exit status 2)."""


SessionFactory = Callable[..., boto3.Session]


def make_session(**kwargs: Any) -> boto3.Session:
    """A session for one account's credentials (the tests replace this to inject failures).

    Every session shares one botocore data loader, so the service models and the endpoint data are
    parsed once per process, not once per session.
    """
    import botocore.session

    core = botocore.session.Session()
    core.register_component("data_loader", _data_loader())
    return boto3.Session(botocore_session=core, **kwargs)


@functools.cache
def _data_loader() -> Any:
    import botocore.loaders

    return botocore.loaders.create_loader()


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


def requested_regions(text: str | None) -> list[str] | None:
    """The --regions list, checked against the regions the SDK knows, before any call.

    None: the session's region; ["all"]: every enabled region. Names are lower-cased.
    """
    if text is None:
        return None
    if text.strip().lower() == "all":
        return ["all"]
    regions = list(dict.fromkeys(r.strip().lower() for r in text.split(",") if r.strip()))
    if not regions:
        raise AuditError("--regions is empty: give region names, comma-separated, or 'all'")
    known = known_regions()
    unknown = [r for r in regions if r not in known]
    if unknown:
        raise AuditError(
            f"unknown region(s) {', '.join(printable(r) for r in unknown)}; known regions: {', '.join(sorted(known))}"
        )
    return regions


@functools.cache
def known_regions() -> set[str]:
    """Every region of every partition in botocore's endpoint data (no call is made)."""
    data = _data_loader().load_data("endpoints")
    return {region for partition in data.get("partitions", []) for region in partition.get("regions", {})}


_FROM_ENVIRONMENT = object()


def run_audit(
    args: argparse.Namespace,
    params: RuleParameters,
    stdout: TextIO,
    stderr: TextIO,
    session_factory: SessionFactory | None = None,
    endpoint: Any = _FROM_ENVIRONMENT,
) -> int:
    session_factory = _one_session_per_credentials(session_factory or make_session)
    started = time.monotonic()
    if endpoint is _FROM_ENVIRONMENT:
        endpoint = args.endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None
    if getattr(args, "source", "accounts") == "aggregator":
        from mq_network_tools.audit.aggregator import run_organization

        return run_organization(args, params, stdout, stderr, session_factory, endpoint)
    regions = requested_regions(args.regions)
    accounts = _accounts(args)
    targets, failures = _targets(accounts, regions, endpoint, session_factory)
    progress = _Progress(stderr, len(targets)) if stderr.isatty() and targets else None
    rows, target_failures = audit_targets(targets, params, endpoint, session_factory, progress)
    failures += target_failures
    elapsed = time.monotonic() - started
    explicit = regions if regions and regions != ["all"] else None
    summary = Summary.of(rows, failures, accounts, targets, elapsed, explicit, params.check_mode)
    return finish(rows, failures, summary, args, stdout, stderr)


def finish(
    rows: Sequence[Row],
    failures: Sequence[Failure],
    summary: Summary,
    args: argparse.Namespace,
    stdout: TextIO,
    stderr: TextIO,
) -> int:
    """Write the results, the failures and the summary; the exit status (whatever the source)."""
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


def _one_session_per_credentials(factory: SessionFactory) -> SessionFactory:
    """Sessions are costly to make (each loads botocore's data and registers its handlers): one per
    set of credentials, reused for STS, the region list and every client. Used from the main thread
    only (sessions are not thread-safe; the clients made from them are)."""
    made: dict[tuple[tuple[str, Any], ...], boto3.Session] = {}

    def make(**kwargs: Any) -> boto3.Session:
        key = tuple(sorted(kwargs.items()))
        if key not in made:
            made[key] = factory(**kwargs)
        return made[key]

    return make


class Summary(NamedTuple):
    brokers: int
    verdicts: dict[str, int]
    accounts_requested: int
    accounts_read: int
    regions_requested: int
    regions_read: int
    failures: int
    seconds: float
    check_mode: str = "name"
    note: str = ""  # what the source could not tell (the aggregator's items carry no broker state)

    @classmethod
    def of(
        cls,
        rows: Sequence[Row],
        failures: Sequence[Failure],
        accounts: Sequence[Account],
        targets: Sequence[Target],
        elapsed: float,
        regions: Sequence[str] | None = None,
        check_mode: str = "name",
    ) -> Summary:
        failed = {(f.account, f.region) for f in failures}
        read = [t for t in targets if (t.account, t.region) not in failed]
        requested = set(regions or ()) | {t.region for t in targets} | {f.region for f in failures if f.region != "*"}
        return cls(
            brokers=len(rows),
            verdicts={kind: sum(row.verdict == kind for row in rows) for kind in _COLOURS},
            accounts_requested=len(accounts),
            accounts_read=len({t.account for t in read}),
            regions_requested=len(requested),
            regions_read=len({t.region for t in read}),
            failures=len(failures),
            seconds=round(elapsed, 2),
            check_mode=check_mode,
        )

    def line(self) -> str:
        count = self.verdicts
        return (
            f"{_count(self.brokers, 'broker')}: {count[COMPLIANT]} compliant, {count[NON_COMPLIANT]} "
            f"non-compliant, {count[NOT_APPLICABLE]} not applicable; read {self.accounts_read} of "
            f"{_count(self.accounts_requested, 'account')} and {self.regions_read} of "
            f"{_count(self.regions_requested, 'region')}, {_count(self.failures, 'failure')}; {self.seconds:.1f} s"
            + (f"; {printable(self.note)}" if self.note else "")
        )


def audit_targets(
    targets: Sequence[Target],
    params: RuleParameters,
    endpoint: str | None,
    session_factory: SessionFactory = make_session,
    progress: _Progress | None = None,
    workers: int = MAX_WORKERS,
) -> tuple[list[Row], list[Failure]]:
    """Evaluate every (account, region) target, at most `workers` at a time.

    In connectors modes the audit first lists every target's brokers, so that a peer in another
    region or account it reads is verified from its own results (no extra call); the others go to
    the aggregator (--aggregator), if any. Each region's configurations come from AWS Config's
    inventory where it records them, from DescribeBroker otherwise.
    """
    # Imported here, not at the top: the rule's gathering is needed only once a target is read
    # (a usage error, or --source aggregator in name mode, never loads it).
    from mq_network.aws.aws_calls import list_broker_summaries
    from mq_network.runner.judging import evaluate_region

    rows: list[Row] = []
    failures: list[Failure] = []
    # Clients are thread-safe, sessions are not: every client is built here, in this thread, from
    # one session per account (which also loads the service model once), then used by one worker.
    clients = []
    configs = []
    for target in targets:
        session = session_factory(**target.session_kwargs)
        clients.append(session.client("mq", region_name=target.region, endpoint_url=endpoint, config=AUDIT_CONFIG))
        configs.append(
            session.client("config", region_name=target.region, endpoint_url=endpoint, config=AUDIT_CONFIG)
            if params.checks_connectors
            else None
        )
    pool = ThreadPoolExecutor(max_workers=max(1, min(workers, len(targets))))
    listed: dict[int, list[dict[str, Any]]] = {}
    resolver: Resolver | None = None
    if params.checks_connectors:
        for index, outcome in _each(pool, targets, lambda i: list_broker_summaries(clients[i])):
            if isinstance(outcome, Exception):
                failures.append(Failure(targets[index].account, targets[index].region, _reason(outcome)))
            else:
                listed[index] = outcome
        resolver = _audit_resolver(targets, listed, params, configs)

    def one(index: int) -> list[Row]:
        target = targets[index]
        notes: list[str] = []
        judged = evaluate_region(clients[index], params, configs[index], notes, listed.get(index), resolver)
        return [
            judged_row(target.account, target.region, broker, verdict, evidence) for broker, verdict, evidence in judged
        ]

    remaining = [i for i in range(len(targets)) if not params.checks_connectors or i in listed]
    for index, outcome in _each(pool, targets, one, remaining):
        if isinstance(outcome, Exception):
            failures.append(Failure(targets[index].account, targets[index].region, _reason(outcome)))
        else:
            rows.extend(outcome)
        if progress:
            progress.done(targets[index])
    pool.shutdown()
    if progress:
        progress.finish()
    rows.sort(key=lambda r: (r.account, r.region, r.name))
    failures.sort()
    return rows, failures


def _each(
    pool: ThreadPoolExecutor,
    targets: Sequence[Target],
    work: Callable[[int], Any],
    indexes: Sequence[int] | None = None,
) -> Iterable[tuple[int, Any]]:
    """(index, result or the exception it raised) for each target, as they finish."""
    futures = {pool.submit(work, i): i for i in (range(len(targets)) if indexes is None else indexes)}
    for future in as_completed(futures):
        try:
            yield futures[future], future.result()
        except Exception as err:
            yield futures[future], err


def _audit_resolver(
    targets: Sequence[Target], listed: Mapping[int, list[dict[str, Any]]], params: RuleParameters, configs: list[Any]
) -> Resolver:
    """Peers the audit listed itself (any region, any account read); the rest from the aggregator."""
    from mq_network.aws.peer_lookup import aggregator_resolver
    from mq_network.core import listed_resolver

    known: dict[str, tuple[str, str, str | None]] = {}
    for index, summaries in listed.items():
        for summary in summaries:
            broker_id = summary.get("BrokerId")
            if isinstance(broker_id, str):
                known[broker_id.lower()] = (targets[index].account, targets[index].region, summary.get("BrokerState"))
    fallback = None
    if params.aggregator_name and configs and configs[0] is not None:
        fallback = aggregator_resolver(configs[0], params.aggregator_name)
    return listed_resolver(known, fallback)


def write_results(
    rows: Sequence[Row],
    failures: Sequence[Failure],
    summary: Summary,
    output: str,
    out: TextIO,
    colour: bool = False,
) -> None:
    if output == "json":
        import json  # each output imports only what it writes with

        document = {
            "results": [
                {
                    **row._asdict(),
                    "links": [dict(zip(("to", "label", "direction", "kind"), link, strict=True)) for link in row.links],
                }
                for row in rows
            ],
            "failures": [failure._asdict() for failure in failures],
            "summary": summary._asdict(),
        }
        json.dump(document, out, indent=2)
        out.write("\n")
    elif output == "csv":
        import csv

        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(FIELDS)
        writer.writerows([_spreadsheet_safe(printable(str(value))) for value in row[: len(FIELDS)]] for row in rows)
    elif output in ("html", "dot", "mermaid"):
        from mq_network_tools.audit import picture

        render = {"html": picture.html, "dot": picture.dot, "mermaid": picture.mermaid}[output]
        out.write(render(rows, failures, summary))
    else:
        _table(rows, out, colour)


def _spreadsheet_safe(cell: str) -> str:
    """OWASP's rule for CSV injection: a cell a spreadsheet would evaluate starts with a quote."""
    return "'" + cell if cell.startswith(_FORMULA_PREFIXES) else cell


def _table(rows: Sequence[Row], out: TextIO, colour: bool) -> None:
    headers = ("ACCOUNT", "REGION", "BROKER ID", "NAME", "MODE", "ENGINE", "VERDICT", "ANNOTATION")
    cleaned = [[printable(str(value)) for value in row[: len(FIELDS)]] for row in rows]
    widths = [max([len(h), *(len(row[i]) for row in cleaned)]) for i, h in enumerate(headers[:-1])]
    out.write("  ".join(h.ljust(w) for h, w in zip(headers[:-1], widths, strict=True)) + "  ANNOTATION\n")
    for row, values in zip(rows, cleaned, strict=True):
        cells = [value.ljust(width) for value, width in zip(values[:-1], widths, strict=True)]
        if colour:
            cells[6] = f"{_COLOURS.get(row.verdict, '')}{cells[6]}\033[0m"
        out.write("  ".join(cells) + "  " + values[-1] + "\n")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _accounts(args: argparse.Namespace) -> list[Account]:
    if args.accounts and not args.role_name:
        raise AuditError("--accounts needs --role-name (the role to assume in each account)")
    if args.role_name:
        if not args.accounts:
            raise AuditError("--role-name needs --accounts (the account IDs to assume it in)")
        try:
            parse_parameters({"ExecutionRoleName": args.role_name})
        except ParameterError as err:
            raise AuditError(str(err).replace("ExecutionRoleName", "--role-name")) from None
        ids = [a.strip() for a in args.accounts.split(",") if a.strip()]
        bad = [a for a in ids if not (a.isdigit() and len(a) == 12)]
        if bad or not ids:
            raise AuditError(f"--accounts takes 12-digit account IDs, comma-separated; got {', '.join(bad) or 'none'}")
        partition = args.partition
        return [Account(a, role_arn=f"arn:{partition}:iam::{a}:role/{args.role_name}") for a in ids]
    if args.profile:
        return [Account(profile, profile=profile) for profile in args.profile]
    return [Account("current")]


def _targets(
    accounts: Iterable[Account], regions: list[str] | None, endpoint: str | None, session_factory: SessionFactory
) -> tuple[list[Target], list[Failure]]:
    """(account, region) pairs with the credentials to read them; an account that fails is a failure
    of every region requested in it (region "*")."""
    targets: list[Target] = []
    failures: list[Failure] = []
    for account in accounts:
        try:
            kwargs, account_id = _credentials(account, regions, endpoint, session_factory)
            for region in _regions(regions, kwargs, endpoint, session_factory):
                targets.append(Target(account_id, region, kwargs))
        except (ClientError, BotoCoreError) as err:
            failures.append(Failure(account.label, "*", _reason(err)))
    return targets, failures


def _credentials(
    account: Account, regions: list[str] | None, endpoint: str | None, session_factory: SessionFactory
) -> tuple[dict[str, Any], str]:
    home = regions[0] if regions and regions != ["all"] else None
    if account.role_arn:
        sts = session_factory(**_dummy_if_needed({}, endpoint, session_factory)).client(
            "sts", region_name=home, endpoint_url=endpoint, config=AUDIT_CONFIG
        )
        answer = sts.assume_role(RoleArn=account.role_arn, RoleSessionName="mq-network-audit")["Credentials"]
        kwargs = {
            "aws_access_key_id": answer["AccessKeyId"],
            "aws_secret_access_key": answer["SecretAccessKey"],
            "aws_session_token": answer["SessionToken"],
        }
        return kwargs, account.label
    kwargs = _dummy_if_needed({"profile_name": account.profile} if account.profile else {}, endpoint, session_factory)
    session = session_factory(**kwargs)
    if session.get_credentials() is None:
        raise AuditError(
            f"no AWS credentials for {account.label}: configure a profile, environment variables or SSO, or try --demo"
        )
    region = home or session.region_name or "us-east-1"
    identity = session.client("sts", region_name=region, endpoint_url=endpoint, config=AUDIT_CONFIG)
    return kwargs, str(identity.get_caller_identity()["Account"])


def _dummy_if_needed(kwargs: dict[str, Any], endpoint: str | None, session_factory: SessionFactory) -> dict[str, Any]:
    """An endpoint (a moto server, an emulator) with no credentials configured gets dummy ones:
    emulators want signed requests, and no real account can be reached through them."""
    if endpoint and "profile_name" not in kwargs and session_factory(**kwargs).get_credentials() is None:
        return {**kwargs, "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    return kwargs


def _regions(
    regions: list[str] | None, kwargs: Mapping[str, Any], endpoint: str | None, session_factory: SessionFactory
) -> list[str]:
    session = session_factory(**kwargs)
    if not regions:
        if not session.region_name:
            raise AuditError("no region: pass --regions, or set AWS_REGION or a profile's region")
        return [session.region_name]
    if regions != ["all"]:
        return regions
    try:
        ec2 = session.client("ec2", region_name=session.region_name or "us-east-1", endpoint_url=endpoint)
        enabled = ec2.describe_regions(AllRegions=False)["Regions"]
        return sorted(r["RegionName"] for r in enabled)
    except (ClientError, BotoCoreError):
        return sorted(session.get_available_regions("mq"))  # the SDK's list, opt-in regions included


def _reason(err: Exception) -> str:
    if isinstance(err, ClientError):
        error = err.response.get("Error", {})
        message = str(error.get("Message", ""))
        if message.lstrip().startswith("<"):  # an HTML error page from a proxy or an emulator
            message = "(an HTML page instead of an AWS answer)"
        return f"{error.get('Code', 'Error')}: {message}".strip()[:500]
    if isinstance(err, BotoCoreError):
        return str(err)[:500]
    return f"{type(err).__name__}: {err}"[:500]


class _Progress:
    def __init__(self, stream: TextIO, total: int) -> None:
        self._stream, self._total, self._done = stream, total, 0
        self._lock = threading.Lock()

    def done(self, target: Target) -> None:
        with self._lock:
            self._done += 1
            self._stream.write(f"\r\033[K[{self._done}/{self._total}] {target.account} {target.region}")
            self._stream.flush()

    def finish(self) -> None:
        self._stream.write("\r\033[K")
        self._stream.flush()


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
        choices=("table", "json", "csv", "html", "dot", "mermaid"),
        default="table",
        help="table (default; the summary line follows it), json (an object: results, one per broker, with "
        "its links; failures; summary), csv, html (one self-contained page: a picture of each region's brokers "
        "and links, then the table), dot (Graphviz) or mermaid; the summary goes to stderr except for table",
    )
    return parser


if __name__ == "__main__":
    sys.exit(main())
