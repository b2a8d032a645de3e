"""AWS access: every call the rule makes, the retry policy they share, and what each call cost.

All Amazon MQ APIs share one per-account throttling budget, so the rule makes as few calls as the
parameters allow (broker_reads.py decides which): ListBrokers in pages of 100, PutEvaluations in
batches of 100, and the per-broker reads only when a parameter needs them.

`AwsAccess` is one invocation's view of AWS: its clients (in the evaluated account, through an
assumed role when the parameters say so), the API calls they made, and the evaluations AWS
Config refused. Nothing about an invocation outlives it; only the botocore session (its loaded
service models) is kept across warm starts.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError

from mq_network.core.vocabulary import COMPLIANT, NON_COMPLIANT, RESOURCE_TYPE

# Standard mode retries throttling, 5xx and connection errors with jittered exponential backoff;
# 10 attempts ride out a burst of at least 9 consecutive throttling answers.
RETRY_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 10},
    connect_timeout=10,
    read_timeout=30,
)
PAGE_SIZE = 100  # ListBrokers' and ListConfigurations' maximum page.
EVALUATIONS_PER_CALL = 100  # PutEvaluations' maximum batch.
ROLE_SESSION_NAME = "MQNetworkOfBrokers"
ROLE_SESSION_SECONDS = 900  # the function's own timeout


class EvaluationsNotRecordedError(RuntimeError):
    """AWS Config refused some evaluations twice; the invocation fails so that Lambda retries it."""


class RepeatedTokenError(RuntimeError):
    """A paged answer gave a NextToken it had given before: following it would never end.

    Not a ClientError or ValueError (which would pass for one broker's failure, or for a parameter
    error): the invocation fails and Lambda retries it, rather than judge on pages that never end.
    """


def pages(call: Callable[..., Mapping[str, Any]], operation: str, request: Mapping[str, Any]) -> Iterator[Any]:
    """Each page of a paged call, following NextToken until an answer has none.

    A token seen before (on the last page or any earlier one: botocore's paginators catch only the
    first) raises RepeatedTokenError naming the operation, instead of asking for pages forever.
    """
    seen: set[str] = set()
    token: str | None = None
    while True:
        answer = call(**request, **({"NextToken": token} if token else {}))
        yield answer
        token = answer.get("NextToken")
        if not token:
            return
        if token in seen:
            raise RepeatedTokenError(
                f"{operation} answered a NextToken it had already given ({str(token)[:40]!r}, after "
                f"{len(seen) + 1} pages): its pages would never end, so the invocation fails and Lambda retries it"
            )
        seen.add(token)


@functools.cache
def rule_session() -> boto3.Session:
    """The process-wide session with the rule's retry policy (kept across warm starts).

    Never made boto3's default: only clients built through `AwsAccess` use it.
    """
    core = botocore.session.get_session()
    core.set_default_client_config(RETRY_CONFIG)
    return boto3.Session(botocore_session=core)


class AwsAccess:
    """One invocation's clients, and the API calls they made (counted once per call, not per retry).

    Has rdklib's `build_client(service)`, so the ConfigRule methods take it as their client factory.
    """

    def __init__(self, region: str | None, role_arn: str | None = None, session: boto3.Session | None = None) -> None:
        self.region = region
        self.role_arn = role_arn
        self.session = session or rule_session()
        self.api_calls: Counter[str] = Counter()
        self.refused = 0  # evaluations AWS Config refused at first
        self.resent = 0  # of those, sent a second time
        self._clients: dict[str, Any] = {}
        self._credentials: dict[str, str] | None = None

    def build_client(self, service: str, region: str | None = None, assume_role_mode: bool = True) -> Any:
        """A client in the evaluated account (through the role, when one is assumed), or, with
        `assume_role_mode=False`, with the function's own credentials (rdklib's signature)."""
        key = f"{service}:{region or self.region}:{assume_role_mode}"
        if key not in self._clients:
            credentials = self._role_credentials() if assume_role_mode else {}
            client = self.session.client(service, region_name=region or self.region, **credentials)
            client.meta.events.register("before-parameter-build", self._count)
            self._clients[key] = client
        return self._clients[key]

    def _role_credentials(self) -> dict[str, str]:
        if self.role_arn is None:
            return {}
        if self._credentials is None:
            sts = self.session.client("sts", region_name=self.region)
            sts.meta.events.register("before-parameter-build", self._count)
            answer = sts.assume_role(
                RoleArn=self.role_arn, RoleSessionName=ROLE_SESSION_NAME, DurationSeconds=ROLE_SESSION_SECONDS
            )
            credentials = answer["Credentials"]
            self._credentials = {
                "aws_access_key_id": credentials["AccessKeyId"],
                "aws_secret_access_key": credentials["SecretAccessKey"],
                "aws_session_token": credentials["SessionToken"],
            }
        return self._credentials

    def _count(self, model: Any, **_: Any) -> None:
        self.api_calls[f"{model.service_model.endpoint_prefix}.{model.name}"] += 1

    def send_evaluations(self, evaluations: Sequence[dict[str, Any]], result_token: str) -> None:
        """Send every evaluation, re-send those AWS Config refuses once, then fail naming the rest.

        An empty list is still sent once: AWS Config then records that the run happened.
        """
        config = self.build_client("config")
        test_mode = result_token == "TESTMODE"
        if not evaluations:
            config.put_evaluations(Evaluations=[], ResultToken=result_token, TestMode=test_mode)
            return
        refused = put_evaluations(config, evaluations, result_token, test_mode)
        if not refused:
            return
        self.refused += len(refused)
        self.resent += len(refused)
        still = put_evaluations(config, _originals(evaluations, refused), result_token, test_mode)
        if still:
            names = ", ".join(str(item.get("ComplianceResourceId")) for item in still)
            raise EvaluationsNotRecordedError(
                f"AWS Config refused {len(still)} evaluation(s) twice, for broker(s) {names}; "
                "the invocation fails so that Lambda retries it."
            )

    def earlier_results(self, rule_name: str) -> list[tuple[str, str]]:
        """(resource ID, type) of every COMPLIANT/NON_COMPLIANT result AWS Config holds for the rule."""
        config = self.build_client("config")
        found: list[tuple[str, str]] = []
        request = {"ConfigRuleName": rule_name, "ComplianceTypes": [COMPLIANT, NON_COMPLIANT], "Limit": 100}
        for answer in pages(
            config.get_compliance_details_by_config_rule,
            "GetComplianceDetailsByConfigRule",
            request,
        ):
            for result in answer.get("EvaluationResults") or []:
                qualifier = result["EvaluationResultIdentifier"]["EvaluationResultQualifier"]
                found.append((qualifier["ResourceId"], qualifier["ResourceType"]))
        return found


def _originals(sent: Sequence[dict[str, Any]], refused: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The evaluations as this run made them, for each one AWS Config echoed back as refused."""
    by_key = {(e["ComplianceResourceId"], e["ComplianceResourceType"]): e for e in sent}
    return [
        by_key.get((item.get("ComplianceResourceId"), item.get("ComplianceResourceType")), item) for item in refused
    ]


def put_evaluations(
    config_client: Any, evaluations: Sequence[dict[str, Any]], result_token: str, test_mode: bool
) -> list[dict[str, Any]]:
    """Send evaluations in batches of 100; return those AWS Config refused."""
    refused: list[dict[str, Any]] = []
    for batch in _batches(evaluations, EVALUATIONS_PER_CALL):
        answer = config_client.put_evaluations(Evaluations=batch, ResultToken=result_token, TestMode=test_mode)
        refused.extend(answer.get("FailedEvaluations") or [])
    return refused


INVENTORY_QUERY = (
    "SELECT resourceId, resourceName, configurationItemStatus, configuration.ConfigurationId, "
    "configuration.ConfigurationRevision, configuration.Configuration, tags "
    f"WHERE resourceType = '{RESOURCE_TYPE}'"
)
QUERY_PAGE = 100  # SelectResourceConfig's and SelectAggregateResourceConfig's maximum Limit
EXPRESSION_LIMIT = 4096  # an advanced query's Expression, at most (the API model's max length)
EXPRESSION_BUDGET = 3968  # what this rule lets one expression reach: 128 bytes short of the limit
_AGGREGATE_SELECT = (
    "SELECT resourceId, accountId, awsRegion, configurationItemStatus, resourceName "
    f"WHERE resourceType = '{RESOURCE_TYPE}' AND resourceId IN ({{listed}})"
)


def config_inventory(config_client: Any) -> list[dict[str, Any]]:
    """Every Amazon MQ broker AWS Config records in the client's region (one paged advanced query).

    Each result arrives as a JSON string; one that is not a JSON object is skipped (the broker then
    falls back to DescribeBroker, as one Config has not recorded).
    """
    return _select(
        config_client.select_resource_config,
        "SelectResourceConfig",
        {"Expression": INVENTORY_QUERY},
    )


def aggregate_queries(broker_ids: Sequence[str]) -> list[tuple[list[str], str]]:
    """The aggregator queries for these broker IDs: (the IDs, the expression), each expression at
    most EXPRESSION_BUDGET bytes (counted whole, in UTF-8), so that none is refused for its length.

    Broker IDs run to 64 characters: 80 of them in one IN (...) list made 5,556 characters. The IDs
    are interpolated: callers pass only IDs shaped like Amazon MQ's (peers.BROKER_ID), never text
    read from a configuration as it stands.
    """
    queries: list[tuple[list[str], str]] = []
    chunk: list[str] = []
    for broker_id in broker_ids:
        if chunk and len(_aggregate_expression([*chunk, broker_id]).encode()) > EXPRESSION_BUDGET:
            queries.append((chunk, _aggregate_expression(chunk)))
            chunk = []
        chunk.append(broker_id)
    if chunk:
        queries.append((chunk, _aggregate_expression(chunk)))
    return queries


def _aggregate_expression(broker_ids: Sequence[str]) -> str:
    return _AGGREGATE_SELECT.format(listed=", ".join(f"'{broker_id}'" for broker_id in broker_ids))


def aggregated_query(config_client: Any, aggregator: str, expression: str) -> list[dict[str, Any]]:
    """One aggregator query's rows (SelectAggregateResourceConfig, paged)."""
    return _select(
        config_client.select_aggregate_resource_config,
        "SelectAggregateResourceConfig",
        {"Expression": expression, "ConfigurationAggregatorName": aggregator},
    )


def aggregated_brokers(config_client: Any, aggregator: str, broker_ids: Sequence[str]) -> list[dict[str, Any]]:
    """What the aggregator records of these broker IDs, in any account and region it covers
    (every query of `aggregate_queries`; the first failure raises)."""
    found: list[dict[str, Any]] = []
    for _ids, expression in aggregate_queries(broker_ids):
        found += aggregated_query(config_client, aggregator, expression)
    return found


def aggregator_sources(config_client: Any, aggregator: str) -> dict[str, Any]:
    """The aggregator's definition (DescribeConfigurationAggregators): which accounts and regions it covers."""
    answer = config_client.describe_configuration_aggregators(ConfigurationAggregatorNames=[aggregator])
    aggregators = answer.get("ConfigurationAggregators") or []
    return dict(aggregators[0]) if aggregators else {}


def _select(call: Any, operation: str, request: dict[str, Any]) -> list[dict[str, Any]]:
    return [row for answer in pages(call, operation, {**request, "Limit": QUERY_PAGE}) for row in result_rows(answer)]


def result_rows(answer: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """The rows of one advanced-query page: each result that is a JSON object (others name nothing)."""
    import json

    for text in answer.get("Results") or []:
        try:
            row = json.loads(text)
        except (TypeError, ValueError):
            continue
        if isinstance(row, dict):
            yield row


def list_broker_summaries(mq_client: Any) -> list[dict[str, Any]]:
    """Every broker in the client's region, once each even if pages overlap while brokers change."""
    by_id: dict[Any, dict[str, Any]] = {}
    # Not botocore's paginator: it stops on a token repeated at once, not on one that comes round again.
    for page in pages(
        mq_client.list_brokers,
        "ListBrokers",
        {"MaxResults": PAGE_SIZE},
    ):
        for summary in page.get("BrokerSummaries") or []:
            key = next((summary[k] for k in ("BrokerId", "BrokerArn") if isinstance(summary.get(k), str)), id(summary))
            by_id.setdefault(key, summary)
    return list(by_id.values())


def latest_revisions(mq_client: Any) -> dict[str, str]:
    """Each configuration's latest revision (ListConfigurations, 100 a page): configuration ID -> revision.

    A configuration whose answer carries no usable LatestRevision is left out: a broker on it is
    then described, as one whose record cannot be confirmed.
    """
    latest: dict[str, str] = {}
    for page in pages(
        mq_client.list_configurations,
        "ListConfigurations",
        {"MaxResults": PAGE_SIZE},
    ):
        for configuration in page.get("Configurations") or []:
            if not isinstance(configuration, Mapping):
                continue
            revision = (configuration.get("LatestRevision") or {}).get("Revision")
            configuration_id = configuration.get("Id")
            if isinstance(configuration_id, str) and isinstance(revision, int) and not isinstance(revision, bool):
                latest[configuration_id] = str(revision)
    return latest


def broker_tags(mq_client: Any, broker_arn: str) -> dict[str, str] | None:
    """The broker's tags, or None when the broker vanished since it was listed."""
    try:
        return dict(mq_client.list_tags(ResourceArn=broker_arn).get("Tags") or {})
    except ClientError as err:
        if error_code(err) in ("NotFoundException", "NotFound"):
            return None
        raise


def describe_broker(mq_client: Any, broker_id: str) -> dict[str, Any] | None:
    """DescribeBroker's answer, or None when the broker vanished since it was listed."""
    try:
        answer: dict[str, Any] = mq_client.describe_broker(BrokerId=broker_id)
        return answer
    except ClientError as err:
        if error_code(err) in ("NotFoundException", "NotFound"):
            return None
        raise


def configuration_revision_data(mq_client: Any, configuration_id: str, revision: str) -> str:
    """The revision's Data field: base64 of the ActiveMQ XML."""
    answer = mq_client.describe_configuration_revision(ConfigurationId=configuration_id, ConfigurationRevision=revision)
    return str(answer.get("Data") or "")


def latest_configuration_item(config_client: Any, resource_type: str, resource_id: str) -> Any:
    """The newest configuration item AWS Config holds for a resource (GetResourceConfigHistory,
    limit 1), or None when it holds none: what an oversized change notification only summarises."""
    answer = config_client.get_resource_config_history(resourceType=resource_type, resourceId=resource_id, limit=1)
    items = answer.get("configurationItems") or []
    return items[0] if items else None


def error_code(err: ClientError) -> str:
    """The AWS error code, or "no error code" (what an annotation shows when AWS gave none)."""
    return str(err.response.get("Error", {}).get("Code") or "no error code")


def _batches(items: Sequence[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
