"""Issue 21: mq-network-audit --source aggregator, the whole organization in one paged query."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import boto3
import pytest

import faults
from mq_network_tools.audit import aggregator as audit_aggregator
from mq_network_tools.audit import cli as audit
from mq_network_tools.audit import sessions as audit_sessions
from mq_network_tools.demo import emulator
from mq_network_tools.demo.emulator import BrokerSeed, Organization

ACCOUNTS = ("111111111111", "222222222222")
REGIONS = ("us-east-1", "eu-west-1")
ROLE = "MQNetworkOfBrokersAudit"
SEEDS = (
    BrokerSeed("orders-Broker-1", tags={"env": "prod"}),
    BrokerSeed("orders-Broker-2", "ACTIVE_STANDBY_MULTI_AZ", tags={"env": "prod"}),
    BrokerSeed("billing", "ACTIVE_STANDBY_MULTI_AZ", tags={"env": "prod"}),
    BrokerSeed("cluster-Broker-1", "CLUSTER_MULTI_AZ"),
    BrokerSeed("events-rabbit", "CLUSTER_MULTI_AZ", engine="RABBITMQ", tags={"env": "dev"}),
    BrokerSeed("scratch-Broker-7", tags={"env": "dev"}),
)


def member(account: str) -> boto3.Session:
    """A session in another emulated account (moto maps an assumed role's keys to its account)."""
    role = f"arn:aws:iam::{account}:role/{ROLE}"
    answer = boto3.client("sts").assume_role(RoleArn=role, RoleSessionName="seed")["Credentials"]
    return boto3.Session(
        aws_access_key_id=answer["AccessKeyId"],
        aws_secret_access_key=answer["SecretAccessKey"],
        aws_session_token=answer["SessionToken"],
    )


@pytest.fixture
def organization(aws: None) -> dict[tuple[str, str], dict[str, str]]:
    """Every (account, region) with the seeds (a different half in each), the orders pair linked."""
    ids = {}
    for a, account in enumerate(ACCOUNTS):
        session = member(account)
        for r, region in enumerate(REGIONS):
            seeds = SEEDS if (a + r) % 2 == 0 else SEEDS[2:]
            mq = session.client("mq", region_name=region)
            ids[account, region] = emulator.seed_brokers(mq, seeds)
            if "orders-Broker-1" in ids[account, region]:
                emulator.link_brokers(mq, ids[account, region], {"orders-Broker-1": ("orders-Broker-2",)})
    return ids


SOURCES = [(a, r) for a in ACCOUNTS for r in REGIONS]


def run_cli(*argv: str, session_factory: Any = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    if session_factory is None:
        return audit.main(list(argv), out, err), out.getvalue(), err.getvalue()
    args = audit._parser().parse_args(list(argv))
    params = audit.parse_parameters(audit.rule_options(args))
    status = audit.run_audit(args, params, out, err, session_factory=session_factory, endpoint=None)
    return status, out.getvalue(), err.getvalue()


def by_place(document: dict[str, Any]) -> dict[tuple[str, str, str], tuple[str, ...]]:
    return {
        (r["account"], r["region"], r["broker_id"]): (r["name"], r["mode"], r["engine"], r["verdict"], r["annotation"])
        for r in document["results"]
    }


PER_ACCOUNT = ("--role-name", ROLE, "--accounts", ",".join(ACCOUNTS), "--regions", ",".join(REGIONS))
THROUGH_AGGREGATOR = ("--source", "aggregator", "--aggregator-name", "org")


class Counting:
    """A session factory that counts every API call of every session it makes (member roles too)."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}
        self.sessions: list[Any] = []

    def __call__(self, **kwargs: Any) -> Any:
        session = audit_sessions.make_session(**kwargs)
        session.events.register("before-parameter-build", self._count)
        self.sessions.append(session)
        return session

    def _count(self, event_name: str, **_: Any) -> None:
        _, service, operation = event_name.split(".", 2)
        key = f"{service}:{operation}"
        self.calls[key] = self.calls.get(key, 0) + 1


# --- Done when: the same verdicts as the per-account path ---------------------------------------------


@pytest.mark.parametrize(
    "rule",
    [(), ("--scope-tag-key", "env", "--scope-tag-value", "prod"), ("--allowed-deployment-modes", "SINGLE_INSTANCE")],
    ids=["defaults", "scope", "modes"],
)
def test_name_mode_verdicts_through_the_aggregator_equal_the_per_account_paths(
    organization: Any, rule: tuple[str, ...]
) -> None:
    status_accounts, out_accounts, _ = run_cli(*PER_ACCOUNT, *rule, "--output", "json")
    counting = Counting()
    with Organization("org", SOURCES):
        status_org, out_org, err = run_cli(*THROUGH_AGGREGATOR, *rule, "--output", "json", session_factory=counting)
    accounts, org = json.loads(out_accounts), json.loads(out_org)
    assert by_place(org) == by_place(accounts)
    assert len(org["results"]) == sum(len(ids) for ids in organization.values())
    assert {r["account"] for r in org["results"]} == set(ACCOUNTS)
    assert {r["region"] for r in org["results"]} == set(REGIONS)
    assert status_org == status_accounts == 1
    assert org["failures"] == []
    # The whole organization in one page of the advanced query, no call in any member account.
    assert counting.calls == {
        "config-service:DescribeConfigurationAggregators": 1,
        "config-service:DescribeConfigurationAggregatorSourcesStatus": 1,
        "config-service:SelectAggregateResourceConfig": 1,
    }
    assert org["summary"]["accounts_read"] == 2 and org["summary"]["regions_read"] == 2
    assert "no broker state" in err


def test_the_query_pages_by_100_and_every_broker_arrives_once(aws: None) -> None:
    seeds = [BrokerSeed(f"mesh-Broker-{n}") for n in range(230)]
    emulator.seed_brokers(boto3.client("mq"), seeds)
    counting = Counting()
    with Organization("org", [(emulator.ACCOUNT_ID, emulator.REGION)]) as org:
        status, out, _ = run_cli(*THROUGH_AGGREGATOR, "--output", "json", session_factory=counting)
    assert status == 0
    assert len({r["broker_id"] for r in json.loads(out)["results"]}) == 230
    assert counting.calls["config-service:SelectAggregateResourceConfig"] == 3 == org.pages


# --- coverage: a failing source ---------------------------------------------------------------------


def test_a_failing_source_is_reported_and_exits_3(organization: Any) -> None:
    failing = {(ACCOUNTS[1], "eu-west-1"): ("AccessDeniedException", "aggregation not authorized")}
    with Organization("org", SOURCES, failing):
        status, out, err = run_cli(*THROUGH_AGGREGATOR, "--output", "json")
        partial, _, _ = run_cli(*THROUGH_AGGREGATOR, "--allow-partial")
    assert status == 3
    document = json.loads(out)
    [failure] = document["failures"]
    assert (failure["account"], failure["region"]) == (ACCOUNTS[1], "eu-west-1")
    assert "could not be read" in failure["reason"] and "AccessDeniedException" in failure["reason"]
    assert f"error: account {ACCOUNTS[1]} region eu-west-1: could not be read" in err
    assert "exit 3" in err
    assert document["summary"]["failures"] == 1
    assert partial == 1  # what could be read holds non-compliant brokers


def test_an_unreadable_aggregator_exits_3_and_names_the_permissions(aws: None) -> None:
    factory = Counting()
    session = factory()
    with (
        Organization("org", [(emulator.ACCOUNT_ID, emulator.REGION)]),
        faults.failing_answers(session, "config-service.DescribeConfigurationAggregators", [(400, "AccessDenied")]),
    ):
        status, out, err = run_cli(*THROUGH_AGGREGATOR, session_factory=lambda **_: session)
    assert status == 3 and out == ""
    assert "config:SelectAggregateResourceConfig" in err and "AccessDenied" in err


def test_an_unknown_aggregator_is_a_usage_error(aws: None) -> None:
    with Organization("org", [(emulator.ACCOUNT_ID, emulator.REGION)]):
        status, out, err = run_cli("--source", "aggregator", "--aggregator-name", "nope")
    assert status == 2 and out == ""
    assert "no aggregator 'nope'" in err


# --- bounded queries ----------------------------------------------------------------------------------


def test_a_repeated_token_ends_the_run(organization: Any) -> None:
    with Organization("org", SOURCES, repeat_token=True) as org:
        status, out, err = run_cli(*THROUGH_AGGREGATOR, "--allow-partial")
    assert status == 3
    assert org.pages == 2  # the first page, then the page whose token had been seen: stop
    assert "a second time" in err and out == ""


class Scripted:
    """A Config client answering SelectAggregateResourceConfig from a script of pages."""

    def __init__(self, pages: list[dict[str, Any]]) -> None:
        self.pages = pages
        self.requests: list[dict[str, Any]] = []

    def select_aggregate_resource_config(self, **request: Any) -> dict[str, Any]:
        self.requests.append(request)
        return self.pages[len(self.requests) - 1]


def test_a_token_seen_pages_earlier_also_ends_the_paging() -> None:
    page = {"Results": [json.dumps({"resourceId": "b-1"})]}
    client = Scripted([{**page, "NextToken": "a"}, {**page, "NextToken": "b"}, {**page, "NextToken": "a"}, page])
    with pytest.raises(audit_aggregator.PagingError, match="a second time"):
        list(audit_aggregator.select_all(client, "org", "SELECT resourceId", {}))
    assert len(client.requests) == 3
    assert {r["Limit"] for r in client.requests} == {100}


def test_throttling_is_retried_as_the_rule_retries(organization: Any, no_backoff: None) -> None:
    session = audit_sessions.make_session()
    attempts = emulator.ApiCalls(session)
    throttled = [(400, "ThrottlingException")] * 3
    with (
        Organization("org", SOURCES),
        attempts,
        faults.failing_answers(session, "config-service.SelectAggregateResourceConfig", throttled) as used,
    ):
        status, out, _ = run_cli(*THROUGH_AGGREGATOR, "--output", "json", session_factory=lambda **_: session)
    assert status == 1 and json.loads(out)["failures"] == []
    assert used == [3]
    assert attempts.calls["config-service:SelectAggregateResourceConfig"] == 1
    assert attempts.attempts["config-service:SelectAggregateResourceConfig"] == 4


# --- what items cannot tell ------------------------------------------------------------------------------


def test_deleted_items_are_left_out_and_the_summary_says_what_items_cannot_tell(organization: Any) -> None:
    gone = {
        **emulator.configuration_item("b-gone", "gone-Broker-1", status="ResourceDeleted"),
        "accountId": ACCOUNTS[0],
        "awsRegion": "us-east-1",
        "configurationItemCaptureTime": "2099-01-01T00:00:00.000Z",
    }
    with Organization("org", SOURCES, extra=[gone]):
        status, out, err = run_cli(*THROUGH_AGGREGATOR, "--output", "json")
        _, table, _ = run_cli(*THROUGH_AGGREGATOR)
    assert status == 1 and "records no broker state" in err
    document = json.loads(out)
    assert "b-gone" not in {r["broker_id"] for r in document["results"]}
    note = document["summary"]["note"]
    assert "records no broker state" in note
    assert "1 deleted broker(s) left out" in note
    assert "2099" not in note  # the newest capture of the items used, not of the deleted one
    assert "newest item captured 20" in note
    assert table.count("records no broker state") == 1  # said once, on the summary line
    assert table.splitlines()[-1].count("no broker state") == 1


def test_item_facts_read_the_flat_configuration_pair_and_tags() -> None:
    facts = audit_aggregator.item_facts(
        {
            "resourceId": "b-1",
            "resourceName": "fallback",
            "configuration": {
                "BrokerName": "orders-Broker-1",
                "ConfigurationId": "c-flat",
                "ConfigurationRevision": 3,
                "Configuration": {"Id": "c-nested", "Revision": 9},
            },
            "tags": [{"key": "env", "value": "prod", "tag": "env=prod"}],
        }
    )
    assert facts.configuration == ("c-flat", "3")
    assert facts.tags == {"env": "prod"}
    assert facts.state is None and facts.name == "orders-Broker-1"
    odd = audit_aggregator.item_facts({"resourceId": "b-2", "tags": "env=prod"})
    assert type(odd.tags).__name__ == "Unreadable"


# --- connectors and both: the member role -------------------------------------------------------------


@pytest.mark.parametrize("mode", ["connectors", "both"])
def test_connectors_mode_without_a_role_is_refused_before_any_call(monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    def no_session(**_: Any) -> Any:
        raise AssertionError("a session was made: a call could follow")

    monkeypatch.setattr(audit_sessions, "make_session", no_session)
    status, out, err = run_cli(*THROUGH_AGGREGATOR, "--check-mode", mode)
    assert status == 2 and out == ""
    assert "--role-name" in err and "does not record" in err


def test_connectors_read_each_revision_once_through_the_member_role(organization: Any) -> None:
    from moto.mq.models import mq_backends

    revisions = set()
    for (account, region), ids in organization.items():  # two brokers of each region share one revision
        mq = member(account).client("mq", region_name=region)
        shared = mq.describe_broker(BrokerId=ids["billing"])["Configurations"]["Current"]
        mq.update_broker(BrokerId=ids["cluster-Broker-1"], Configuration=shared)
        for broker in mq_backends[account][region].brokers.values():
            if broker.engine_type.upper() == "ACTIVEMQ":
                revisions.add((broker.configurations["current"]["Id"], broker.configurations["current"]["Revision"]))
    activemq = sum(1 for ids in organization.values() for name in ids if name != "events-rabbit")
    counting = Counting()
    with Organization("org", SOURCES):
        status, out, err = run_cli(
            *THROUGH_AGGREGATOR, "--check-mode", "both", "--role-name", ROLE, "--output", "json",
            session_factory=counting,
        )  # fmt: skip
    document = json.loads(out)
    assert document["failures"] == [] and status == 1, err
    linked = [(k, ids) for k, ids in organization.items() if "orders-Broker-1" in ids]
    assert counting.calls["mq:DescribeConfigurationRevision"] == len(revisions) < activemq  # once per revision
    assert counting.calls["sts:AssumeRole"] == len(ACCOUNTS)
    assert "mq:ListBrokers" not in counting.calls and "mq:DescribeBroker" not in counting.calls
    rows = {(r["account"], r["region"], r["name"]): r for r in document["results"]}
    for (account, region), _ in linked:
        assert rows[account, region, "orders-Broker-2"]["verdict"] == "COMPLIANT"
        assert rows[account, region, "orders-Broker-1"]["links"]
    # The per-account path, in the same mode, on the same organization: the same verdicts.
    _, per_account, _ = run_cli(*PER_ACCOUNT, "--check-mode", "both", "--output", "json")
    assert by_place(document) == by_place(json.loads(per_account))


def test_a_member_role_that_cannot_be_assumed_leaves_its_brokers_unverified(organization: Any) -> None:
    counting = Counting()

    def refusing(**kwargs: Any) -> Any:
        session = counting(**kwargs)
        session.events.register_first(
            "before-send.sts.AssumeRole",
            lambda request, **_: (
                faults.error_answer("sts", 403, "AccessDenied") if ACCOUNTS[1] in str(request.body) else None
            ),
        )
        return session

    with Organization("org", SOURCES):
        status, out, _ = run_cli(
            *THROUGH_AGGREGATOR, "--check-mode", "connectors", "--role-name", ROLE, "--output", "json",
            session_factory=refusing,
        )  # fmt: skip
    document = json.loads(out)
    assert status == 3
    assert {f["account"] for f in document["failures"]} == {ACCOUNTS[1]}
    theirs = [r for r in document["results"] if r["account"] == ACCOUNTS[1] and r["engine"] == "ACTIVEMQ"]
    assert theirs and all(r["verdict"] == "NON_COMPLIANT" for r in theirs)
    assert all("could not be verified" in r["annotation"] for r in theirs)


def test_a_member_roles_error_is_read_as_every_audit_error_is(organization: Any) -> None:
    """One reader of AWS errors for both sources (sessions.reason): the aggregator had its own, which
    cut the reason at 300 characters where every other failure keeps 500."""
    long_code = "AccessDenied" + "x" * 600

    def refusing(**kwargs: Any) -> Any:
        session = Counting()(**kwargs)
        session.events.register_first(
            "before-send.sts.AssumeRole", lambda **_: faults.error_answer("sts", 403, long_code)
        )
        return session

    with Organization("org", SOURCES):
        status, out, _ = run_cli(
            *THROUGH_AGGREGATOR, "--check-mode", "connectors", "--role-name", ROLE, "--output", "json",
            session_factory=refusing,
        )  # fmt: skip
    failures = json.loads(out)["failures"]
    assert status == 3 and failures
    prefix = "could not read configurations: "
    for failure in failures:
        assert failure["reason"].startswith(prefix + long_code[:100])
        assert len(failure["reason"]) == len(prefix) + 500


# --- outputs --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("output", ["table", "csv", "json", "html", "dot", "mermaid"])
def test_every_output_names_account_and_region(organization: Any, output: str) -> None:
    with Organization("org", SOURCES):
        status, out, _ = run_cli(*THROUGH_AGGREGATOR, "--output", output)
    assert status == 1
    for account in ACCOUNTS:
        for region in REGIONS:
            assert account in out and region in out
    if output == "csv":
        rows = list(csv.DictReader(io.StringIO(out)))
        assert {(r["account"], r["region"]) for r in rows} == set(SOURCES)


# --- the demo -------------------------------------------------------------------------------------------


def test_the_demo_shows_an_organization_with_a_failing_source() -> None:
    status, out, _ = run_cli("--demo", *THROUGH_AGGREGATOR, "--output", "json")
    document = json.loads(out)
    assert status == 3
    assert {r["account"] for r in document["results"]} == {"111122223333", "444455556666", "777788889999"}
    assert [(f["account"], f["region"]) for f in document["failures"]] == [("777788889999", "ap-southeast-2")]
    assert "retired-Broker-1" not in out
    partial, _, _ = run_cli("--demo", *THROUGH_AGGREGATOR, "--allow-partial", "--check-mode", "both",
                            "--role-name", ROLE)  # fmt: skip
    assert partial == 1


def test_the_demo_emulates_one_aggregator_and_refuses_another_name() -> None:
    status, out, err = run_cli("--demo", "--source", "aggregator", "--aggregator-name", "elsewhere")
    assert status == 2 and out == ""
    assert "--aggregator-name org" in err
