"""mq-network-audit --source aggregator: the whole organization from one AWS Config aggregator.

A central team's aggregator already holds every account's and region's `AWS::AmazonMQ::Broker`
items. One paged advanced query (SelectAggregateResourceConfig, 100 items a page) gives all of
them from one account, where the per-account path assumes a role in every account and lists
every region. Each item becomes the same `BrokerFacts` the rule judges, and `decide` gives the
verdict: one decision wherever it is asked for.

What the items cannot tell is said, never guessed: AWS Config records no broker state (a broker
being deleted is judged as if it ran; said once in the summary with the newest capture time), and
no configuration XML (connectors and both modes read each distinct revision through the member
role, `--role-name`, and refuse to start without it). Sources the aggregator failed to collect
from are failures ("could not be read", exit 3 unless --allow-partial). A query that repeats its
NextToken, or pages without end, stops the run (exit 3). Every call retries throttling as the
rule's calls do (botocore standard mode, 10 attempts).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, NamedTuple

from botocore.exceptions import BotoCoreError, ClientError

from mq_network.aws import aws_calls
from mq_network.aws.aws_calls import QUERY_PAGE, RETRY_CONFIG
from mq_network.core import (
    DELETED_STATUSES,
    NOT_READ,
    RESOURCE_TYPE,
    BrokerFacts,
    RuleParameters,
    Tags,
    Unreadable,
    decide,
    recorded_configuration,
)
from mq_network_tools.audit.rows import (
    Audited,
    AuditError,
    Failure,
    Row,
    SourceUnreadableError,
    Summary,
    count_verdicts,
    judged_row,
)
from mq_network_tools.audit.sessions import dummy_if_needed, known_regions, reason, requested_regions
from mq_network_tools.cli_options import printable

# Every field the decision reads, and where the broker is. The flat ConfigurationId/Revision pair is
# the one AWS Config fills (CloudFormation's schema made the nested Configuration write-only).
ORGANIZATION_QUERY = (
    "SELECT resourceId, resourceName, accountId, awsRegion, arn, configurationItemStatus, "
    "configurationItemCaptureTime, resourceCreationTime, configuration.BrokerName, configuration.DeploymentMode, "
    "configuration.EngineType, configuration.ConfigurationId, configuration.ConfigurationRevision, tags "
    f"WHERE resourceType = '{RESOURCE_TYPE}'"
)
MAX_PAGES = 50_000  # 5 million items: far beyond any organization's brokers; a query past it is broken
STATUS_PAGE = 100
MAX_WORKERS = 16


class PagingError(RuntimeError):
    """An answer that would page forever (a NextToken seen before, or no end): the run stops."""


class Organization(NamedTuple):
    """What the aggregator says: its current broker items, its sources, and those that failed."""

    items: list[dict[str, Any]]
    deleted: int
    sources: list[tuple[str, str]]  # (account or source ID, region) of every source it reports
    failures: list[Failure]
    newest_capture: str | None
    calls: dict[str, int]


def _pages(
    call: Callable[..., Mapping[str, Any]],
    operation: str,
    aggregator: str,
    request: Mapping[str, Any],
    calls: dict[str, int],
) -> Iterator[Mapping[str, Any]]:
    """aws_calls.pages (a NextToken given twice ends the paging), counted, and bounded by MAX_PAGES; a
    token repeated or not a string, or too many pages, is a PagingError: the audit stops (exit 3)."""

    def counted(**kwargs: Any) -> Mapping[str, Any]:
        calls[operation] = calls.get(operation, 0) + 1
        answer = call(**kwargs)
        token = answer.get("NextToken")
        if token and not isinstance(token, str):
            raise PagingError(
                f"{operation} on aggregator {aggregator} returned a NextToken that is not text: the run stops"
            )
        return answer

    try:
        for page, answer in enumerate(aws_calls.pages(counted, operation, request), start=1):
            yield answer
            if page >= MAX_PAGES and answer.get("NextToken"):
                raise PagingError(
                    f"{operation} on aggregator {aggregator} was still paging after {MAX_PAGES} pages: "
                    "the run stops rather than page without end"
                )
    except aws_calls.RepeatedTokenError:
        raise PagingError(
            f"{operation} on aggregator {aggregator} returned a NextToken a second time (after "
            f"{calls.get(operation, 0)} pages): the query would never end, so the run stops. Fix: run it "
            "again; if it persists, report it to AWS Support"
        ) from None


def select_all(config_client: Any, aggregator: str, expression: str, calls: dict[str, int]) -> Iterator[dict[str, Any]]:
    """Every result of one advanced query over the aggregator, page after page of 100.

    Results that are not JSON objects are skipped (they name no broker). Raises PagingError when a
    NextToken comes back a second time or the pages exceed MAX_PAGES.
    """
    request = {"Expression": expression, "ConfigurationAggregatorName": aggregator, "Limit": QUERY_PAGE}
    for answer in _pages(
        config_client.select_aggregate_resource_config, "SelectAggregateResourceConfig", aggregator, request, calls
    ):
        yield from aws_calls.result_rows(answer)


def source_statuses(config_client: Any, aggregator: str, calls: dict[str, int]) -> list[dict[str, Any]]:
    """DescribeConfigurationAggregatorSourcesStatus, every page (a repeated token stops the run)."""
    request = {"ConfigurationAggregatorName": aggregator, "Limit": STATUS_PAGE}
    call = config_client.describe_configuration_aggregator_sources_status
    return [
        dict(status)
        for answer in _pages(call, "DescribeConfigurationAggregatorSourcesStatus", aggregator, request, calls)
        for status in answer.get("AggregatedSourceStatusList") or []
        if isinstance(status, Mapping)
    ]


def read_organization(config_client: Any, aggregator: str) -> Organization:
    """The aggregator's definition, its sources' status, and every broker item it holds.

    Raises ClientError (the aggregator itself unreadable) and PagingError; a failed source is a
    Failure of that account and region, never a silent hole.
    """
    calls: dict[str, int] = {"DescribeConfigurationAggregators": 1}
    described = config_client.describe_configuration_aggregators(ConfigurationAggregatorNames=[aggregator])
    if not described.get("ConfigurationAggregators"):
        raise LookupError(f"AWS Config has no aggregator {aggregator!r} in this account and region")
    failures: list[Failure] = []
    sources: list[tuple[str, str]] = []
    for status in source_statuses(config_client, aggregator, calls):
        where = (str(status.get("SourceId") or "?"), str(status.get("AwsRegion") or "*"))
        sources.append(where)
        state = status.get("LastUpdateStatus")
        if state != "SUCCEEDED":
            detail = f"{status.get('LastErrorCode') or state}: {status.get('LastErrorMessage') or ''}".strip(": ")
            failures.append(
                Failure(
                    *where,
                    f"could not be read: aggregator {aggregator} reports this source {state} ({detail}); "
                    "its brokers may be missing or out of date",
                )
            )
    newest: dict[tuple[str, str, str], dict[str, Any]] = {}
    for row in select_all(config_client, aggregator, ORGANIZATION_QUERY, calls):
        broker_id = row.get("resourceId")
        if not isinstance(broker_id, str) or not broker_id:
            continue
        key = (str(row.get("accountId")), str(row.get("awsRegion")), broker_id)
        earlier = newest.get(
            key
        )  # the same broker on two pages (Config recorded it between them): the newest item wins
        if earlier is None or str(row.get("configurationItemCaptureTime")) >= str(
            earlier.get("configurationItemCaptureTime")
        ):
            newest[key] = row
    current = {key: row for key, row in newest.items() if row.get("configurationItemStatus") not in DELETED_STATUSES}
    deleted = len(newest) - len(current)
    captures = [
        str(r["configurationItemCaptureTime"]) for r in current.values() if r.get("configurationItemCaptureTime")
    ]
    return Organization(
        list(current.values()), deleted, list(dict.fromkeys(sources)), failures, max(captures, default=None), calls
    )


def item_facts(row: Mapping[str, Any]) -> BrokerFacts:
    """The decision's facts from one advanced-query item. No state: AWS Config records none."""
    found = row.get("configuration")
    configuration: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    return BrokerFacts(
        broker_id=str(row["resourceId"]),
        name=_text(configuration.get("BrokerName")) or _text(row.get("resourceName")),
        deployment_mode=_text(configuration.get("DeploymentMode")),
        engine_type=_text(configuration.get("EngineType")),
        state=None,
        arn=_text(row.get("arn")),
        tags=_tags(row.get("tags")),
        configuration=recorded_configuration(configuration) or NOT_READ,  # the rule's one reading of the record
        created=_time(row.get("resourceCreationTime")),
    )


def judge(
    organization: Organization,
    params: RuleParameters,
    member_clients: Callable[[tuple[str, str]], Any] | None = None,
    resolver: Any = None,
    workers: int = MAX_WORKERS,
) -> tuple[list[Row], list[Failure]]:
    """Every item's verdict, by the rule's own `decide`.

    Name mode needs nothing more. Connectors and both need each region's network: `member_clients`
    (account, region) -> an Amazon MQ client through the member role, or an exception saying why
    there is none; each distinct configuration revision is read once (gather.network_evidence).
    """
    facts: dict[tuple[str, str], list[BrokerFacts]] = {}
    for row in organization.items:
        facts.setdefault((str(row.get("accountId")), str(row.get("awsRegion"))), []).append(item_facts(row))
    rows: list[Row] = []
    failures: list[Failure] = []
    if not params.checks_connectors:
        for (account, region), brokers in facts.items():
            rows += [judged_row(account, region, b, decide(b, params)) for b in brokers]
        return _sorted(rows), failures
    from mq_network.aws.broker_reads import network_evidence

    def one(place: tuple[str, str]) -> tuple[list[Row], list[Failure]]:
        account, region = place
        brokers = facts[place]
        client = member_clients(place) if member_clients else ValueError("no member role")
        failed: list[Failure] = []
        if isinstance(client, Exception):
            failed.append(Failure(account, region, f"could not read configurations: {reason(client)}"))
            evidence: Mapping[str, Any] = dict.fromkeys(
                (b.broker_id for b in brokers), Unreadable(f"the member role could not be used ({reason(client)})")
            )
        else:
            evidence = network_evidence(
                client, brokers, resolver=resolver, count_unverified=params.count_unverified_peers
            )
        judged = []
        for broker in brokers:
            found = evidence.get(broker.broker_id)
            if found is None:
                found = Unreadable("its network was not read")
            judged.append(judged_row(account, region, broker, decide(broker, params, found), found))
        return judged, failed

    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(facts)))) as pool:
        for judged, failed in pool.map(one, sorted(facts)):
            rows += judged
            failures += failed
    return _sorted(rows), failures


def organization_resolver(organization: Organization, fallback: Any) -> Any:
    """Peers: every broker the aggregator's items hold is known to exist (with its account and
    region); the rest (deleted, unrecorded) are asked of the aggregator by ID. Thread-safe."""
    from mq_network.core import listed_resolver

    known = {
        str(row["resourceId"]).lower(): (str(row.get("accountId")), str(row.get("awsRegion")), None)
        for row in organization.items
    }
    resolve = listed_resolver(known, fallback)
    lock = threading.Lock()

    def locked(peers: Iterable[Any]) -> Mapping[str, Any]:
        with lock:
            return resolve(list(peers))

    return locked


def state_note(organization: Organization, aggregator: str) -> str:
    """What the items cannot tell, said once."""
    newest = (organization.newest_capture or "none")[:40]  # read from AWS: kept short, escaped when shown
    deleted = f"; {organization.deleted} deleted broker(s) left out" if organization.deleted else ""
    return (
        f"source: aggregator {aggregator}; AWS Config records no broker state, so a broker being deleted or that "
        f"failed to be created is judged as if running (newest item captured {newest}){deleted}"
    )


def _sorted(rows: list[Row]) -> list[Row]:
    return sorted(rows, key=lambda r: (r.account, r.region, r.name, r.broker_id))


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _tags(value: object) -> Tags:
    """Tags as advanced queries give them (a list of {key, value}), or a map; anything else unreadable."""
    if value is None:
        return {}
    if isinstance(value, Mapping):
        value = [{"key": k, "value": v} for k, v in value.items()]
    if not isinstance(value, list):
        return Unreadable("the AWS Config item's tags are not a list")
    tags: dict[str, str] = {}
    for tag in value:
        if not isinstance(tag, Mapping) or not isinstance(tag.get("key"), str) or not isinstance(tag.get("value"), str):
            return Unreadable("the AWS Config item's tags are not key/value strings")
        tags[tag["key"]] = tag["value"]
    return tags


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def audit_organization(
    args: Any,
    params: RuleParameters,
    session_factory: Callable[..., Any],
    endpoint: str | None,
) -> Audited:
    """`--source aggregator`: read the organization and judge it, for cli.finish to write as every audit
    is written. Raises AuditError (usage: no credentials, region or aggregator) and SourceUnreadableError
    (the aggregator could not be read: exit 3)."""
    import time

    started = time.monotonic()
    aggregator = str(params.aggregator_name)
    wanted = requested_regions(args.regions)
    session = _aggregator_session(args, aggregator, endpoint, session_factory)
    config = session.client("config", region_name=session.region_name, endpoint_url=endpoint, config=RETRY_CONFIG)
    organization = _read(config, aggregator, session.region_name)
    if wanted and wanted != ["all"]:
        organization = _in_regions(organization, set(wanted))
    clients = (
        _member_clients(organization, args, session, endpoint, session_factory) if params.checks_connectors else {}
    )
    resolver = None
    if params.checks_connectors:
        from mq_network.aws.peer_lookup import aggregator_resolver

        resolver = organization_resolver(organization, aggregator_resolver(config, aggregator))
    rows, judged_failures = judge(organization, params, clients.get, resolver)
    failures = sorted([*organization.failures, *judged_failures])
    failed = {(f.account, f.region) for f in failures}
    places = set(organization.sources) | {
        (str(r.get("accountId")), str(r.get("awsRegion"))) for r in organization.items
    }
    read = places - failed
    summary = Summary(
        brokers=len(rows),
        verdicts=count_verdicts(rows),
        accounts_requested=len({a for a, _ in places}),
        accounts_read=len({a for a, _ in read}),
        regions_requested=len({r for _, r in places}),
        regions_read=len({r for _, r in read}),
        failures=len(failures),
        seconds=round(time.monotonic() - started, 2),
        check_mode=params.check_mode,
        note=state_note(organization, aggregator),
    )
    return Audited(rows, failures, summary)


def _aggregator_session(args: Any, aggregator: str, endpoint: str | None, session_factory: Callable[..., Any]) -> Any:
    """The session of the aggregator's account (--profile or the current credentials), with its region."""
    kwargs = dummy_if_needed({"profile_name": args.profile[0]} if args.profile else {}, endpoint, session_factory)
    session = session_factory(**kwargs)
    if session.get_credentials() is None:
        raise AuditError(
            "no AWS credentials for the aggregator's account: configure a profile, environment variables or SSO, "
            "or try --demo --source aggregator"
        )
    if not session.region_name:
        raise AuditError(f"no region: set AWS_REGION or a profile's region to aggregator {aggregator}'s region")
    return session


def _read(config: Any, aggregator: str, region: str) -> Organization:
    """read_organization, its failures said as the audit says them (a usage error, or exit 3)."""
    try:
        return read_organization(config, aggregator)
    except LookupError as err:
        raise AuditError(f"{err}: check --aggregator-name and the region ({region})") from None
    except ClientError as err:
        if reason(err).startswith("NoSuchConfigurationAggregatorException"):
            raise AuditError(
                f"AWS Config has no aggregator {aggregator!r} in {region}: check --aggregator-name "
                "and the region (aws configservice describe-configuration-aggregators lists them)"
            ) from None
        raise SourceUnreadableError(
            f"aggregator {aggregator} could not be read ({reason(err)}); "
            "its role needs config:SelectAggregateResourceConfig, config:DescribeConfigurationAggregators and "
            "config:DescribeConfigurationAggregatorSourcesStatus on it"
        ) from None
    except (PagingError, BotoCoreError) as err:
        raise SourceUnreadableError(printable(str(err)[:500])) from None


def _in_regions(organization: Organization, keep: set[str]) -> Organization:
    """Only the --regions asked for (an account-wide failure, region "*", stays)."""
    return organization._replace(
        items=[row for row in organization.items if row.get("awsRegion") in keep],
        sources=[s for s in organization.sources if s[1] in keep],
        failures=[f for f in organization.failures if f.region in keep or f.region == "*"],
    )


def _member_clients(
    organization: Organization, args: Any, session: Any, endpoint: str | None, session_factory: Callable[..., Any]
) -> dict[tuple[str, str], Any]:
    """An Amazon MQ client per (account, region) holding brokers, through the member role (one
    AssumeRole per account), or the exception that stopped it. Built here, in one thread."""
    places = sorted({(str(r.get("accountId")), str(r.get("awsRegion"))) for r in organization.items})
    sts = session.client("sts", region_name=session.region_name, endpoint_url=endpoint, config=RETRY_CONFIG)
    credentials: dict[str, Any] = {}
    clients: dict[tuple[str, str], Any] = {}
    for account, region in places:
        if not (account.isdigit() and len(account) == 12):
            clients[account, region] = ValueError(f"the aggregator's item names account {account[:40]!r}, not an ID")
            continue
        if region not in known_regions():
            clients[account, region] = ValueError(f"the aggregator's item names region {region[:40]!r}, not a region")
            continue
        if account not in credentials:
            role = f"arn:{args.partition}:iam::{account}:role/{args.role_name}"
            try:
                answer = sts.assume_role(RoleArn=role, RoleSessionName="mq-network-audit")["Credentials"]
                credentials[account] = {
                    "aws_access_key_id": answer["AccessKeyId"],
                    "aws_secret_access_key": answer["SecretAccessKey"],
                    "aws_session_token": answer["SessionToken"],
                }
            except (ClientError, BotoCoreError) as err:
                credentials[account] = err
        found = credentials[account]
        clients[account, region] = (
            found
            if isinstance(found, Exception)
            else session_factory(**found).client("mq", region_name=region, endpoint_url=endpoint, config=RETRY_CONFIG)
        )
    return clients
