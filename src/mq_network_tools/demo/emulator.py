"""An emulated AWS account (moto, in process) for the demo (`make demo`, `mq-network-audit --demo`,
`mq-network-plan --demo`).

moto emulates Amazon MQ well but not AWS Config's record of earlier results; `PriorResults`
teaches moto that one read, so the real handler runs unchanged. What only the tests and the
benchmarks need (change and oversized events, AWS Config's inventory queries, a moto server
process) is in tests/support/emulator.py, which extends this module.
"""

from __future__ import annotations

import base64
import json
import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
NOTIFICATION_TIME = "2026-11-28T12:00:00.000Z"
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


@dataclass(frozen=True)
class BrokerSeed:
    name: str
    mode: str = "SINGLE_INSTANCE"
    engine: str = "ACTIVEMQ"
    tags: Mapping[str, str] = field(default_factory=dict)


# The source rule's example brokers, a compliant mesh, and a RabbitMQ broker.
DEMO_BROKERS = (
    BrokerSeed("cc-project5-broker", "SINGLE_INSTANCE"),
    BrokerSeed("cc-multi-az-broker", "ACTIVE_STANDBY_MULTI_AZ"),
    BrokerSeed("cc-production-broker", "ACTIVE_STANDBY_MULTI_AZ"),
    BrokerSeed("orders-Broker-1", "SINGLE_INSTANCE"),
    BrokerSeed("orders-Broker-2", "ACTIVE_STANDBY_MULTI_AZ"),
    BrokerSeed("orders-Broker-3", "SINGLE_INSTANCE"),
    BrokerSeed("events-rabbit", "CLUSTER_MULTI_AZ", engine="RABBITMQ"),
    # Named like a network member, but nothing connects it: only CheckMode connectors tells.
    BrokerSeed("lonely-Broker-1", "SINGLE_INSTANCE"),
)
# The orders mesh, hub and spoke: orders-Broker-1 declares duplex connectors to the other two.
DEMO_LINKS = {"orders-Broker-1": ("orders-Broker-2", "orders-Broker-3")}
ACTIVEMQ_NAMESPACE = "http://activemq.apache.org/schema/core"


def use_fake_credentials(region: str = REGION) -> None:
    """Point boto3 at made-up credentials, so nothing can reach a real account."""
    os.environ.update(FAKE_CREDENTIALS)
    os.environ["AWS_DEFAULT_REGION"] = region
    os.environ["AWS_REGION"] = region


def create_broker(mq_client: Any, seed: BrokerSeed) -> dict[str, Any]:
    """Create one broker as a customer would; returns CreateBroker's answer (BrokerId, BrokerArn)."""
    rabbit = seed.engine.upper() == "RABBITMQ"
    answer: dict[str, Any] = mq_client.create_broker(
        BrokerName=seed.name,
        DeploymentMode=seed.mode,
        EngineType=seed.engine,
        EngineVersion="3.13" if rabbit else "5.18",
        HostInstanceType="mq.m5.large",
        PubliclyAccessible=False,
        AutoMinorVersionUpgrade=True,
        Users=[{"Username": "admin", "Password": "not-a-real-password-1"}],
        Tags=dict(seed.tags),
    )
    return answer


def seed_brokers(mq_client: Any, seeds: Iterable[BrokerSeed] = DEMO_BROKERS) -> dict[str, str]:
    """Create the brokers; returns broker name -> broker ID."""
    return {seed.name: create_broker(mq_client, seed)["BrokerId"] for seed in seeds}


def seed_demo_account(mq_client: Any) -> dict[str, str]:
    """The demo's brokers, with the orders mesh connected; returns broker name -> broker ID."""
    ids = seed_brokers(mq_client, DEMO_BROKERS)
    link_brokers(mq_client, ids, DEMO_LINKS)
    return ids


def endpoint(broker_id: str, region: str = REGION, instance: int = 1) -> str:
    """The OpenWire endpoint host Amazon MQ gives a broker's instance."""
    return f"{broker_id}-{instance}.mq.{region}.amazonaws.com"


def activemq_xml(connectors: Sequence[tuple[str, str]] = (), duplex: bool = True) -> str:
    """An ActiveMQ configuration with a <networkConnector> per (name, uri), and Amazon MQ's
    commented-out example block, which must never count."""
    from xml.sax.saxutils import quoteattr

    lines = "".join(
        f'<networkConnector name={quoteattr(name)} uri={quoteattr(uri)} duplex="{str(duplex).lower()}" userName="nob"/>'
        for name, uri in connectors
    )
    block = f"<networkConnectors>{lines}</networkConnectors>" if connectors else ""
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<broker xmlns="{ACTIVEMQ_NAMESPACE}" schedulePeriodForDestinationPurge="10000">'
        '<!-- <networkConnectors><networkConnector name="example" '
        'uri="static:(ssl://b-example-1.mq.us-east-1.amazonaws.com:61617)"/></networkConnectors> -->'
        f'{block}<transportConnectors><transportConnector name="openwire"/></transportConnectors></broker>'
    )


def static_uri(*hosts: str) -> str:
    return "static:(" + ",".join(f"ssl://{host}:61617" for host in hosts) + ")"


def apply_configuration(mq_client: Any, broker_id: str, xml: str, name: str | None = None) -> tuple[str, int]:
    """Give the broker a new configuration revision holding `xml` (base64, as AWS stores it)."""
    created = mq_client.create_configuration(
        Name=name or f"{broker_id}-configuration", EngineType="ACTIVEMQ", EngineVersion="5.18"
    )
    data = base64.b64encode(xml.encode()).decode()
    revision = mq_client.update_configuration(ConfigurationId=created["Id"], Data=data)["LatestRevision"]["Revision"]
    mq_client.update_broker(BrokerId=broker_id, Configuration={"Id": created["Id"], "Revision": revision})
    return created["Id"], revision


def link_brokers(mq_client: Any, ids: Mapping[str, str], links: Mapping[str, Sequence[str]]) -> None:
    """Give each broker in `links` duplex connectors to the named peers (at their endpoints in the
    client's region: an endpoint of another region names no broker of this one)."""
    region = mq_client.meta.region_name or REGION
    for source, peers in links.items():
        connectors = [(f"to-{peer}", static_uri(endpoint(ids[peer], region))) for peer in peers]
        apply_configuration(mq_client, ids[source], activemq_xml(connectors))


def scheduled_event(parameters: Mapping[str, str] | None = None, token: str = "TESTMODE") -> dict[str, Any]:
    """A ScheduledNotification event as AWS Config sends it."""
    invoking = {"messageType": "ScheduledNotification", "notificationCreationTime": NOTIFICATION_TIME}
    return _rule_event(invoking, parameters, token)


def configuration_item(
    broker_id: str,
    name: str,
    mode: str = "SINGLE_INSTANCE",
    engine: str = "ACTIVEMQ",
    tags: Mapping[str, str] | None = None,
    status: str = "OK",
) -> dict[str, Any]:
    """An AWS::AmazonMQ::Broker configuration item, shaped as AWS Config records it."""
    return {
        "configurationItemCaptureTime": NOTIFICATION_TIME,
        "configurationItemStatus": status,
        "configurationStateId": 1,
        "awsAccountId": ACCOUNT_ID,
        "awsRegion": REGION,
        "resourceType": "AWS::AmazonMQ::Broker",
        "resourceId": broker_id,
        "resourceName": name,
        "ARN": f"arn:aws:mq:{REGION}:{ACCOUNT_ID}:broker:{name}:{broker_id}",
        "tags": dict(tags or {}),
        "relationships": [],
        "configuration": {
            "BrokerName": name,
            "Id": broker_id,
            "DeploymentMode": mode,
            "EngineType": engine,
            "EngineVersion": "5.18",
            "HostInstanceType": "mq.m5.large",
        }
        if status == "OK"
        else None,
    }


def _rule_event(
    invoking: Mapping[str, Any],
    parameters: Mapping[str, str] | None,
    token: str,
    left_scope: bool = False,
) -> dict[str, Any]:
    return {
        "configRuleName": "MQ_NETWORK_OF_BROKERS",
        "configRuleArn": f"arn:aws:config:{REGION}:{ACCOUNT_ID}:config-rule/config-rule-mqnob1",
        "configRuleId": "config-rule-mqnob1",
        "executionRoleArn": (
            f"arn:aws:iam::{ACCOUNT_ID}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"
        ),
        "accountId": ACCOUNT_ID,
        "eventLeftScope": left_scope,
        "invokingEvent": json.dumps(invoking),
        "ruleParameters": json.dumps(dict(parameters or {})),
        "resultToken": token,
        "version": "1.0",
    }


class PriorResults:
    """AWS Config's record of this rule's earlier COMPLIANT/NON_COMPLIANT results.

    moto does not implement GetComplianceDetailsByConfigRule; while this is active, moto's Config
    emulator answers it, in pages, for the resource IDs given. The call still goes through
    botocore's serialisation, parsing and retries, as against AWS.
    """

    def __init__(self, resource_ids: Sequence[str] = (), page_size: int = 100) -> None:
        self._ids = list(resource_ids)
        self._page_size = page_size

    def __enter__(self) -> PriorResults:
        from moto.config.responses import ConfigResponse

        store = self

        def get_compliance_details_by_config_rule(response: Any) -> str:
            return json.dumps(store.page(response._get_param("NextToken"), response._get_param("ConfigRuleName")))

        ConfigResponse.get_compliance_details_by_config_rule = get_compliance_details_by_config_rule  # type: ignore[attr-defined]
        return self

    def __exit__(self, *exc: object) -> None:
        from moto.config.responses import ConfigResponse

        del ConfigResponse.get_compliance_details_by_config_rule  # type: ignore[attr-defined]

    def page(self, next_token: str | None, rule_name: str) -> dict[str, Any]:
        start = int(next_token or 0)
        results = [
            {
                "EvaluationResultIdentifier": {
                    "EvaluationResultQualifier": {
                        "ConfigRuleName": rule_name,
                        "ResourceType": "AWS::AmazonMQ::Broker",
                        "ResourceId": resource_id,
                    }
                },
                "ComplianceType": "NON_COMPLIANT",
            }
            for resource_id in self._ids[start : start + self._page_size]
        ]
        body: dict[str, Any] = {"EvaluationResults": results}
        if start + self._page_size < len(self._ids):
            body["NextToken"] = str(start + self._page_size)
        return body


class PagedListBrokers:
    """Makes moto's Amazon MQ answer in the shapes Amazon MQ uses: ListBrokers and
    ListConfigurations in pages (moto returns everything at once), and a configuration's default
    revision as base64 of its XML (moto stores and returns that one as raw XML; AWS's `Data` is
    always base64, and the rule reads nothing else).

    Honours MaxResults (default 20, as AWS documents) and NextToken, so call counts measured on
    the emulator are the ones a real account pays.
    """

    _PAGED = (("list_brokers", "BrokerSummaries"), ("list_configurations", "Configurations"))

    def __enter__(self) -> PagedListBrokers:
        from moto.mq import models
        from moto.mq.responses import MQResponse

        self._originals = {name: getattr(MQResponse, name) for name, _ in self._PAGED}
        for name, listed in self._PAGED:
            setattr(MQResponse, name, _paged_answer(self._originals[name], listed))
        self._default_data: str = models.DEFAULT_CONFIGURATION_DATA  # type: ignore[attr-defined]
        models.DEFAULT_CONFIGURATION_DATA = base64.b64encode(self._default_data.encode()).decode()  # type: ignore[attr-defined]
        return self

    def __exit__(self, *exc: object) -> None:
        from moto.mq import models
        from moto.mq.responses import MQResponse

        for name, original in self._originals.items():
            setattr(MQResponse, name, original)
        models.DEFAULT_CONFIGURATION_DATA = self._default_data  # type: ignore[attr-defined]


def _paged_answer(original: Any, field: str) -> Any:
    def answer_page(response: Any) -> Any:
        answer = original(response)
        everything = list(cast(dict[str, Any], answer.result)[field])
        size = int(response._get_param("MaxResults") or 20)
        start = int(response._get_param("NextToken") or 0)
        page: dict[str, Any] = {field: everything[start : start + size]}
        if start + size < len(everything):
            page["NextToken"] = str(start + size)
        return type(answer)(page)

    return answer_page


class ApiCalls:
    """Counts API calls by (service, operation) on a session: the cost the rule puts on an account.

    Counted once per call, whatever its retries (see `attempts` for those).
    """

    def __init__(self, session: Any) -> None:
        self._session = session
        self.calls: Counter[str] = Counter()
        self.attempts: Counter[str] = Counter()
        self.iam_actions: set[str] = set()  # e.g. "config:PutEvaluations", as IAM policies name them

    def __enter__(self) -> ApiCalls:
        self._session.events.register("before-parameter-build", self._count_call)
        self._session.events.register("before-send", self._count_attempt)
        return self

    def __exit__(self, *exc: object) -> None:
        self._session.events.unregister("before-parameter-build", self._count_call)
        self._session.events.unregister("before-send", self._count_attempt)

    def _count_call(self, event_name: str, model: Any, **_: Any) -> None:
        self.calls[_operation(event_name)] += 1
        self.iam_actions.add(f"{model.service_model.signing_name}:{model.name}")

    def _count_attempt(self, event_name: str, **_: Any) -> None:
        self.attempts[_operation(event_name)] += 1

    @property
    def total(self) -> int:
        return sum(self.calls.values())


def _operation(event_name: str) -> str:
    _, service, operation = event_name.split(".", 2)
    return f"{service}:{operation}"


class Organization:
    """An AWS Config aggregator over an emulated organization: the advanced query and the two
    descriptions moto does not answer (SelectAggregateResourceConfig, DescribeConfigurationAggregators,
    DescribeConfigurationAggregatorSourcesStatus).

    Its sources are the (account, region) pairs given; its items are moto's own brokers there
    (as `broker_item` records them), plus `extra` items (deleted brokers, odd records), or exactly
    `items` when given (the benchmark's synthetic organization, too large for moto). Each result
    carries only the fields the query SELECTs, nested as AWS Config nests them; `resourceId IN (...)`
    narrows, as the rule's peer check asks. `failing` sources report FAILED with their error;
    `repeat_token` answers every page with the same NextToken (a paging loop must stop).
    """

    def __init__(
        self,
        name: str = "org",
        sources: Iterable[tuple[str, str]] = (),
        failing: Mapping[tuple[str, str], tuple[str, str]] | None = None,
        items: Sequence[Mapping[str, Any]] | None = None,
        extra: Sequence[Mapping[str, Any]] = (),
        repeat_token: bool = False,
        status_page: int = 100,
    ) -> None:
        self.name = name
        self.sources = list(dict.fromkeys(sources))
        self.failing = dict(failing or {})
        self.items = items
        self.extra = list(extra)
        self.repeat_token = repeat_token
        self.status_page = status_page
        self.queries: list[str] = []
        self.pages = 0

    def __enter__(self) -> Organization:
        from moto.config.responses import ConfigResponse

        store = self
        self._saved = {
            op: ConfigResponse.__dict__.get(op)
            for op in (
                "select_aggregate_resource_config",
                "describe_configuration_aggregators",
                "describe_configuration_aggregator_sources_status",
            )
        }

        def select_aggregate_resource_config(response: Any) -> str:
            return json.dumps(store.select(json.loads(response.body)))

        def describe_configuration_aggregators(response: Any) -> str:
            return json.dumps(store.describe(json.loads(response.body)))

        def describe_configuration_aggregator_sources_status(response: Any) -> str:
            return json.dumps(store.statuses(json.loads(response.body)))

        ConfigResponse.select_aggregate_resource_config = select_aggregate_resource_config  # type: ignore[attr-defined]
        ConfigResponse.describe_configuration_aggregators = describe_configuration_aggregators  # type: ignore[method-assign,assignment]
        ConfigResponse.describe_configuration_aggregator_sources_status = (  # type: ignore[attr-defined]
            describe_configuration_aggregator_sources_status
        )
        return self

    def __exit__(self, *exc: object) -> None:
        from moto.config.responses import ConfigResponse

        for op, original in self._saved.items():
            if original is None:
                delattr(ConfigResponse, op)
            else:
                setattr(ConfigResponse, op, original)

    def _known(self, params: Mapping[str, Any]) -> None:
        if params.get("ConfigurationAggregatorName") != self.name:
            from moto.config.exceptions import NoSuchConfigurationAggregatorException

            raise NoSuchConfigurationAggregatorException()

    def records(self) -> Sequence[Mapping[str, Any]]:
        if self.items is not None:
            return self.items
        return [*(broker_item(a, r, b) for a, r in self.sources for b in _moto_brokers(a, r)), *self.extra]

    def select(self, params: Mapping[str, Any]) -> dict[str, Any]:
        self._known(params)
        expression = params["Expression"]
        self.queries.append(expression)
        self.pages += 1
        rows = self.records()
        wanted = set(_ids_in(expression))
        if wanted:
            rows = [row for row in rows if str(row.get("resourceId", "")).lower() in wanted]
        fields = [f.strip() for f in expression.split("SELECT", 1)[1].split("WHERE", 1)[0].split(",")]
        size = min(int(params.get("Limit") or 100), 100)
        start = int(params.get("NextToken") or 0)
        body: dict[str, Any] = {
            "Results": [json.dumps(_project(row, fields)) for row in rows[start : start + size]],
            "QueryInfo": {"SelectFields": [{"Name": f} for f in fields]},
        }
        if self.repeat_token:
            body["NextToken"] = "1"
        elif start + size < len(rows):
            body["NextToken"] = str(start + size)
        return body

    def describe(self, params: Mapping[str, Any]) -> dict[str, Any]:
        if self.name not in (params.get("ConfigurationAggregatorNames") or []):
            from moto.config.exceptions import NoSuchConfigurationAggregatorException

            raise NoSuchConfigurationAggregatorException()
        accounts = list(dict.fromkeys(a for a, _ in self.sources))
        regions = list(dict.fromkeys(r for _, r in self.sources))
        return {
            "ConfigurationAggregators": [
                {
                    "ConfigurationAggregatorName": self.name,
                    "ConfigurationAggregatorArn": f"arn:aws:config:{REGION}:{ACCOUNT_ID}:config-aggregator/{self.name}",
                    "AccountAggregationSources": [
                        {"AccountIds": accounts, "AwsRegions": regions, "AllAwsRegions": False}
                    ],
                    "CreationTime": 1764000000.0,
                    "LastUpdatedTime": 1764000000.0,
                }
            ]
        }

    def statuses(self, params: Mapping[str, Any]) -> dict[str, Any]:
        self._known(params)
        every = []
        for account, region in self.sources:
            status: dict[str, Any] = {
                "SourceId": account,
                "SourceType": "ACCOUNT",
                "AwsRegion": region,
                "LastUpdateStatus": "SUCCEEDED",
                "LastUpdateTime": 1764331200.0,
            }
            if (account, region) in self.failing:
                code, message = self.failing[account, region]
                status.update(LastUpdateStatus="FAILED", LastErrorCode=code, LastErrorMessage=message)
            every.append(status)
        wanted = params.get("UpdateStatus")
        if wanted:
            every = [s for s in every if s["LastUpdateStatus"] in wanted]
        size = min(int(params.get("Limit") or self.status_page), self.status_page)
        start = int(params.get("NextToken") or 0)
        body: dict[str, Any] = {"AggregatedSourceStatusList": every[start : start + size]}
        if start + size < len(every):
            body["NextToken"] = str(start + size)
        return body


def broker_item(account: str, region: str, broker: Any, captured: str | None = None) -> dict[str, Any]:
    """A moto broker as AWS Config records it: the fields its advanced queries can select (the flat
    ConfigurationId/ConfigurationRevision pair, tags as key/value objects)."""
    from moto.mq.models import mq_backends

    current = broker.configurations["current"] or {}
    created = broker.created.isoformat(timespec="milliseconds") + "Z"
    tags = mq_backends[account][region].list_tags(broker.arn)
    return {
        "resourceId": broker.id,
        "resourceName": broker.name,
        "resourceType": "AWS::AmazonMQ::Broker",
        "accountId": account,
        "awsRegion": region,
        "arn": broker.arn,
        "configurationItemStatus": "OK",
        "configurationItemCaptureTime": captured or created,
        "resourceCreationTime": created,
        "configuration": {
            "BrokerName": broker.name,
            "Id": broker.id,
            "Arn": broker.arn,
            "DeploymentMode": broker.deployment_mode,
            "EngineType": broker.engine_type,
            "ConfigurationId": current.get("Id"),
            "ConfigurationRevision": current.get("Revision"),
        },
        "tags": [{"key": k, "value": v, "tag": f"{k}={v}"} for k, v in tags.items()],
    }


def _moto_brokers(account: str, region: str) -> list[Any]:
    from moto.mq.models import mq_backends

    return list(mq_backends[account][region].brokers.values())


def _project(row: Mapping[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    """The row as an advanced query returns it: only the selected paths, nested."""
    out: dict[str, Any] = {}
    for path in fields:
        parts = path.split(".")
        value: Any = row
        for part in parts:
            if not isinstance(value, Mapping) or part not in value:
                break
            value = value[part]
        else:
            target = out
            for part in parts[:-1]:
                target = target.setdefault(part, {})
            target[parts[-1]] = value
    return out


def _ids_in(expression: str) -> list[str]:
    import re

    match = re.search(r"resourceId IN \(([^)]*)\)", expression)
    return [part.strip().strip("'").lower() for part in match.group(1).split(",")] if match else []
