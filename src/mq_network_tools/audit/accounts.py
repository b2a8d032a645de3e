"""--source accounts (the default): every requested account and region, read with its own credentials.

Credentials come from the session (the current ones), each --profile, or a role assumed in each of
--accounts (the rule's ExecutionRoleName, as the organization rule uses it). Regions come from
--regions, the session, or with 'all' every region enabled for the account. Each (account, region)
is a Target, read by a pool of at most MAX_WORKERS threads with a client built in the main thread
(boto3 sessions are not thread-safe; clients are); a single target is read in the main thread.

Which account a target is: the role's, or else the one its brokers' ARNs name
(`arn:<partition>:mq:<region>:<account>:broker:...`), so that an audit with the current
credentials makes no STS call. Only when the ARNs cannot name it (a region failed and none listed a
broker, or an ARN is missing, malformed or names another account) does the audit ask STS
GetCallerIdentity; when that fails too, the account could not be read: one failure for it (region
"*") and none of its rows, as when its credentials fail.
"""

import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import nullcontext
from functools import partial
from typing import TYPE_CHECKING, Any, NamedTuple, TextIO, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from mq_network.aws.aws_calls import RETRY_CONFIG
from mq_network.core import ParameterError, RuleParameters, parse_parameters
from mq_network_tools.audit.rows import Audited, AuditError, Failure, Row, Summary, judged_row
from mq_network_tools.audit.sessions import SessionFactory, dummy_if_needed, make_session, reason, requested_regions

if TYPE_CHECKING:
    import argparse
    from concurrent.futures import ThreadPoolExecutor

    from mq_network.core import Resolver

MAX_WORKERS = 16
# A broker ARN's account: arn:<partition>:mq:<region>:<account>:broker:<name>:<id>.
_BROKER_ARN = re.compile(r"arn:[a-z-]+:mq:[a-z0-9-]+:(\d{12}):broker:")
_Outcome = TypeVar("_Outcome")


class Account(NamedTuple):
    """Where credentials for one account come from."""

    label: str  # what the user named: "current", a profile, or an account ID
    profile: str | None = None
    role_arn: str | None = None


class Target(NamedTuple):
    account: str  # the account ID; the Account's label while `named` is False
    region: str
    session_kwargs: Mapping[str, Any]
    named: bool = True  # False until the brokers' ARNs (or STS) name the account of these credentials


class Read(NamedTuple):
    """What audit_targets read: the rows, the failures, and the targets as named and judged."""

    rows: list[Row]
    failures: list[Failure]
    targets: list[Target]


class _Clients(NamedTuple):
    mq: Any
    config: Any  # AWS Config in the same account and region (connectors modes only), else None


def audit_accounts(
    args: "argparse.Namespace",
    params: RuleParameters,
    stderr: TextIO,
    session_factory: SessionFactory,
    endpoint: str | None,
) -> Audited:
    """Every requested account and region, judged; a progress line on stderr when it is a terminal."""
    started = time.monotonic()
    regions = requested_regions(args.regions)
    accounts = accounts_to_audit(args)
    targets, failures = plan_targets(accounts, regions, endpoint, session_factory)
    progress = Progress(stderr, len(targets)) if stderr.isatty() and targets else None
    read = audit_targets(targets, params, endpoint, session_factory, progress)
    failures += read.failures
    explicit = regions if regions and regions != ["all"] else None
    elapsed = time.monotonic() - started
    summary = Summary.of(read.rows, failures, accounts, read.targets, elapsed, explicit, params.check_mode)
    return Audited(read.rows, failures, summary)


def accounts_to_audit(args: "argparse.Namespace") -> list[Account]:
    """The accounts the options name, checked before any call."""
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


def plan_targets(
    accounts: Iterable[Account], regions: list[str] | None, endpoint: str | None, session_factory: SessionFactory
) -> tuple[list[Target], list[Failure]]:
    """(account, region) pairs with the credentials to read them; an account that fails is a failure
    of every region requested in it (region "*")."""
    targets: list[Target] = []
    failures: list[Failure] = []
    for account in accounts:
        try:
            kwargs, name, named = _credentials(account, regions, endpoint, session_factory)
            for region in _regions(regions, kwargs, endpoint, session_factory):
                targets.append(Target(name, region, kwargs, named))
        except (ClientError, BotoCoreError) as err:
            failures.append(Failure(account.label, "*", reason(err)))
    return targets, failures


def _credentials(
    account: Account, regions: list[str] | None, endpoint: str | None, session_factory: SessionFactory
) -> tuple[dict[str, Any], str, bool]:
    """The session's arguments for `account`, and its ID (a role's account) or its label (not named yet)."""
    if account.role_arn:
        home = regions[0] if regions and regions != ["all"] else None
        sts = session_factory(**dummy_if_needed({}, endpoint, session_factory)).client(
            "sts", region_name=home, endpoint_url=endpoint, config=RETRY_CONFIG
        )
        answer = sts.assume_role(RoleArn=account.role_arn, RoleSessionName="mq-network-audit")["Credentials"]
        kwargs = {
            "aws_access_key_id": answer["AccessKeyId"],
            "aws_secret_access_key": answer["SecretAccessKey"],
            "aws_session_token": answer["SessionToken"],
        }
        return kwargs, account.label, True
    kwargs = dummy_if_needed({"profile_name": account.profile} if account.profile else {}, endpoint, session_factory)
    if session_factory(**kwargs).get_credentials() is None:
        raise AuditError(
            f"no AWS credentials for {account.label}: configure a profile, environment variables or SSO, or try --demo"
        )
    return kwargs, account.label, False


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
        ec2 = session.client(
            "ec2", region_name=session.region_name or "us-east-1", endpoint_url=endpoint, config=RETRY_CONFIG
        )
        enabled = ec2.describe_regions(AllRegions=False)["Regions"]
        return sorted(r["RegionName"] for r in enabled)
    except (ClientError, BotoCoreError):
        return sorted(session.get_available_regions("mq"))  # the SDK's list, opt-in regions included


def audit_targets(
    targets: Sequence[Target],
    params: RuleParameters,
    endpoint: str | None,
    session_factory: SessionFactory = make_session,
    progress: "Progress | None" = None,
    workers: int = MAX_WORKERS,
) -> Read:
    """Evaluate every (account, region) target, at most `workers` at a time.

    Every target's brokers are listed first, which names the accounts (their ARNs) and, in
    connectors modes, verifies a peer in another region or account the audit read from those
    lists (no extra call); the others go to the aggregator (--aggregator-name), if any. Each
    region's configurations come from AWS Config's inventory where it records them, from
    DescribeBroker otherwise.
    """
    clients = _clients(targets, params, endpoint, session_factory)
    with _pool(len(targets), workers) as pool:
        listed, unlisted = _list_brokers(pool, clients)
        named, failures, dropped = _name_accounts(targets, listed, unlisted, endpoint, session_factory)
        failures += [
            Failure(named[i].account, named[i].region, reason(err)) for i, err in unlisted.items() if i not in dropped
        ]
        listed = {i: brokers for i, brokers in listed.items() if i not in dropped}  # whose account is unknown
        resolver = _audit_resolver(named, listed, params, clients) if params.checks_connectors else None
        judge = partial(_judged_rows, named, clients, listed, params, resolver)
        rows, judged_failures = _judge(pool, judge, named, listed, progress)
    rows.sort(key=lambda r: (r.account, r.region, r.name))
    return Read(rows, sorted(failures + judged_failures), [t for i, t in enumerate(named) if i not in dropped])


def _pool(targets: int, workers: int) -> "ThreadPoolExecutor | nullcontext[None]":
    """Worker threads for several targets; one target (the usual terminal run) is read in this thread,
    without starting a pool and handing each call to its thread."""
    if targets <= 1 or workers <= 1:
        return nullcontext()
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(max_workers=min(workers, targets))


def _clients(
    targets: Sequence[Target], params: RuleParameters, endpoint: str | None, session_factory: SessionFactory
) -> list[_Clients]:
    """Every target's clients, built here in the main thread from one session per account (which
    also loads each service model once); each is then used by one worker."""
    clients = []
    for target in targets:
        session = session_factory(**target.session_kwargs)
        mq = session.client("mq", region_name=target.region, endpoint_url=endpoint, config=RETRY_CONFIG)
        config = (
            session.client("config", region_name=target.region, endpoint_url=endpoint, config=RETRY_CONFIG)
            if params.checks_connectors
            else None
        )
        clients.append(_Clients(mq, config))
    return clients


def _list_brokers(
    pool: "ThreadPoolExecutor | None", clients: Sequence[_Clients]
) -> tuple[dict[int, list[dict[str, Any]]], dict[int, Exception]]:
    """ListBrokers in every target (one call per 100 brokers): the brokers by target, and the failures."""
    from mq_network.aws.aws_calls import list_broker_summaries

    listed: dict[int, list[dict[str, Any]]] = {}
    unlisted: dict[int, Exception] = {}
    for index, outcome in _each(pool, lambda i: list_broker_summaries(clients[i].mq), range(len(clients))):
        if isinstance(outcome, Exception):
            unlisted[index] = outcome
        else:
            listed[index] = outcome
    return listed, unlisted


def _name_accounts(
    targets: Sequence[Target],
    listed: Mapping[int, list[dict[str, Any]]],
    unlisted: Mapping[int, Exception],
    endpoint: str | None,
    session_factory: SessionFactory,
) -> tuple[list[Target], list[Failure], set[int]]:
    """The targets with their accounts named (module docstring); the accounts that could not be named
    (one failure each, region "*"), and the targets of those accounts, which are not judged."""
    named = list(targets)
    failures: list[Failure] = []
    dropped: set[int] = set()
    by_label: dict[str, list[int]] = {}
    for index, target in enumerate(targets):
        if not target.named:
            by_label.setdefault(target.account, []).append(index)
    for label, indexes in by_label.items():
        arns = [summary.get("BrokerArn") for i in indexes for summary in listed.get(i, ())]
        account = _account_in(arns)
        if account is None and (arns or any(i in unlisted for i in indexes)):  # a row or a failure must name it
            try:
                account = _caller_account(targets[indexes[0]], endpoint, session_factory)
            except (ClientError, BotoCoreError) as err:
                failures.append(Failure(label, "*", reason(err)))
                dropped.update(indexes)
                continue
        if account is not None:
            for index in indexes:
                named[index] = targets[index]._replace(account=account, named=True)
    return named, failures, dropped


def _account_in(arns: Sequence[object]) -> str | None:
    """The one account every broker ARN names; None when there is none, or one is not a broker ARN,
    or they name different accounts."""
    accounts = set()
    for arn in arns:
        found = _BROKER_ARN.match(arn) if isinstance(arn, str) else None
        if found is None:
            return None
        accounts.add(found.group(1))
    return accounts.pop() if len(accounts) == 1 else None


def _caller_account(target: Target, endpoint: str | None, session_factory: SessionFactory) -> str:
    """STS GetCallerIdentity's account for the target's credentials."""
    session = session_factory(**target.session_kwargs)
    sts = session.client(
        "sts", region_name=session.region_name or target.region, endpoint_url=endpoint, config=RETRY_CONFIG
    )
    return str(sts.get_caller_identity()["Account"])


def _judge(
    pool: "ThreadPoolExecutor | None",
    judge: Callable[[int], list[Row]],
    targets: Sequence[Target],
    listed: Mapping[int, list[dict[str, Any]]],
    progress: "Progress | None",
) -> tuple[list[Row], list[Failure]]:
    """Every listed target that has brokers, judged in the pool (a region without any has nothing to
    judge, and listing it again would cost a call); the progress line counts every target."""
    judged = [i for i, brokers in listed.items() if brokers]
    if progress:
        for index in sorted(set(range(len(targets))) - set(judged)):  # failed, or nothing to judge
            progress.done(targets[index])
    rows: list[Row] = []
    failures: list[Failure] = []
    for index, outcome in _each(pool, judge, judged):
        if isinstance(outcome, Exception):
            failures.append(Failure(targets[index].account, targets[index].region, reason(outcome)))
        else:
            rows.extend(outcome)
        if progress:
            progress.done(targets[index])
    if progress:
        progress.finish()
    return rows, failures


def _judged_rows(
    targets: Sequence[Target],
    clients: Sequence[_Clients],
    listed: Mapping[int, list[dict[str, Any]]],
    params: RuleParameters,
    resolver: "Resolver | None",
    index: int,
) -> list[Row]:
    """One target's brokers, judged by the rule's own code (runner.judging), as output rows."""
    from mq_network.runner.judging import evaluate_region

    target = targets[index]
    notes: list[str] = []
    judged = evaluate_region(clients[index].mq, params, clients[index].config, notes, listed[index], resolver)
    return [
        judged_row(target.account, target.region, broker, verdict, evidence) for broker, verdict, evidence in judged
    ]


def _each(
    pool: "ThreadPoolExecutor | None", work: Callable[[int], _Outcome], indexes: Iterable[int]
) -> Iterable[tuple[int, _Outcome | Exception]]:
    """(index, result or the exception it raised) for each index, as they finish (in order without a pool)."""
    if pool is None:
        for index in indexes:
            try:
                yield index, work(index)
            except Exception as err:
                yield index, err
        return
    from concurrent.futures import as_completed

    futures = {pool.submit(work, i): i for i in indexes}
    for future in as_completed(futures):
        try:
            yield futures[future], future.result()
        except Exception as err:
            yield futures[future], err


def _audit_resolver(
    targets: Sequence[Target],
    listed: Mapping[int, list[dict[str, Any]]],
    params: RuleParameters,
    clients: Sequence[_Clients],
) -> "Resolver":
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
    if params.aggregator_name and clients and clients[0].config is not None:
        fallback = aggregator_resolver(clients[0].config, params.aggregator_name)
    return listed_resolver(known, fallback)


class Progress:
    """[done/total] account region, rewritten in place on a terminal's stderr."""

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
