"""Issue 9: the rule fails closed and is never silent. One test (or a parametrised set) per finding.

Each runs the real `lambda_handler` on moto, with errors injected at the HTTP level (so botocore's
real retry code runs) or whole answers replaced where moto cannot be made to give them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError

import faults
from faults import failing_answers
from helpers import by_id, run
from mq_network.core import decision
from MQ_NETWORK_OF_BROKERS import EvaluationsNotRecordedError, InvalidEventError
from support import emulator
from support.emulator import BrokerSeed, activemq_xml, apply_configuration, endpoint

CONNECTORS = {"CheckMode": "connectors"}


@pytest.fixture
def records(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with caplog.at_level(logging.INFO, logger="mq_network"):
        yield caplog


def run_record(records: pytest.LogCaptureFixture, level: int = logging.INFO) -> dict[str, Any]:
    """The one run record of the invocation; its message is the same JSON as its structured field."""
    mine = [r for r in records.records if r.name == "mq_network"]
    assert len(mine) == 1, [r.getMessage() for r in mine]
    assert mine[0].levelno == level
    structured: dict[str, Any] = mine[0].mq_network_run  # type: ignore[attr-defined]
    assert json.loads(mine[0].getMessage()) == json.loads(json.dumps(structured))
    return structured


@contextmanager
def sent_evaluations(session: Any) -> Iterator[list[dict[str, Any]]]:
    sent: list[dict[str, Any]] = []

    def note(params: dict[str, Any], **_: Any) -> None:
        sent.extend(params["Evaluations"])

    session.events.register("before-parameter-build.config-service.PutEvaluations", note)
    try:
        yield sent
    finally:
        session.events.unregister("before-parameter-build.config-service.PutEvaluations", note)


@contextmanager
def replaced_answer(session: Any, operation: str, answer: Any) -> Iterator[None]:
    """Answer `operation` ('mq.DescribeBroker') with `answer(params)`, a parsed dict, for odd shapes
    that no emulator produces."""

    def reply(params: dict[str, Any] | None = None, **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        return AWSResponse("https://emulated.invalid/", 200, {}, None), answer(params or {})

    event = f"before-call.{operation}"
    session.events.register_first(event, reply)
    try:
        yield
    finally:
        session.events.unregister(event, reply)


# --- 1. errors no longer vanish --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "answers", "parameters", "reason"),
    [
        (
            "mq.DescribeConfigurationRevision",
            [(400, "BadRequestException")],
            CONNECTORS,
            "failed (BadRequestException)",
        ),
        ("mq.DescribeBroker", [(500, "InternalServerErrorException")] * 10, CONNECTORS, "DescribeBroker failed"),
        ("mq.ListTags", [(403, "AccessDeniedException")], {"ScopeTagKey": "env"}, "ListTags failed (AccessDenied"),
    ],
)
def test_one_brokers_failure_makes_it_unverified_and_the_others_are_sent(
    mq: Any,
    session: Any,
    prior: Any,
    no_backoff: None,
    records: pytest.LogCaptureFixture,
    operation: str,
    answers: list[tuple[int, str]],
    parameters: dict[str, str],
    reason: str,
) -> None:
    ids = emulator.seed_brokers(
        mq, [BrokerSeed("first-Broker-1", tags={"env": "p"}), BrokerSeed("second-Broker-2", tags={"env": "p"})]
    )
    for source, peer in (("first-Broker-1", "second-Broker-2"), ("second-Broker-2", "first-Broker-1")):
        apply_configuration(mq, ids[source], activemq_xml([("out", f"static:(ssl://{endpoint(ids[peer])}:61617)")]))
    with sent_evaluations(session) as sent, failing_answers(session, operation, answers) as used:
        result = run(emulator.scheduled_event(parameters))
    assert used == [len(answers)]
    verdicts = {i: e["ComplianceType"] for i, e in by_id(result).items()}
    assert sorted(verdicts) == sorted(ids.values())
    assert [e["ComplianceResourceId"] for e in sent] == [e["ComplianceResourceId"] for e in result]
    [unverified] = [i for i, v in verdicts.items() if v == "NON_COMPLIANT"]
    annotation = by_id(result)[unverified]["Annotation"]
    assert annotation.startswith(
        f"Broker '{next(n for n, i in ids.items() if i == unverified)}' could not be verified: "
    )
    assert reason in annotation
    record = run_record(records)
    assert list(record["unverified"]) == [unverified]
    assert reason in record["unverified"][unverified]
    assert record["brokers"] == 2
    assert record["verdicts"]["NON_COMPLIANT"] == 1


def test_put_evaluations_throttled_after_retries_on_a_change_event_fails_the_invocation(
    aws: None, session: Any, no_backoff: None, records: pytest.LogCaptureFixture
) -> None:
    item = emulator.configuration_item("b-7", "solo-Broker-1")
    with (
        failing_answers(session, "config-service.PutEvaluations", [(400, "ThrottlingException")] * 10),
        pytest.raises(ClientError, match="ThrottlingException"),
    ):
        run(emulator.change_event(item))
    record = run_record(records, logging.ERROR)
    assert record["error"] == "ClientError"
    assert record["sent"] == 0
    assert record["api_calls"]["config.PutEvaluations"] == 1


def test_a_second_batch_throttled_after_retries_fails_the_invocation(
    mq: Any, session: Any, prior: Any, no_backoff: None, records: pytest.LogCaptureFixture
) -> None:
    emulator.seed_brokers(mq, [BrokerSeed(f"m{n}-Broker-1") for n in range(150)])
    batches: list[int] = []

    def second_batch_throttled(params: dict[str, Any], **_: Any) -> None:
        batches.append(len(params["Evaluations"]))

    def answer(**_: Any) -> AWSResponse | None:
        return faults.error_answer("config-service", 400, "ThrottlingException") if len(batches) == 2 else None

    session.events.register("before-parameter-build.config-service.PutEvaluations", second_batch_throttled)
    session.events.register_first("before-send.config-service.PutEvaluations", answer)
    try:
        with pytest.raises(ClientError, match="ThrottlingException"):
            run(emulator.scheduled_event())
    finally:
        session.events.unregister("before-parameter-build.config-service.PutEvaluations", second_batch_throttled)
        session.events.unregister("before-send.config-service.PutEvaluations", answer)
    assert batches == [100, 50]
    record = run_record(records, logging.ERROR)
    assert record["brokers"] == 150
    assert record["api_calls"]["config.PutEvaluations"] == 2


def test_evaluations_refused_twice_fail_the_invocation_with_a_record(
    mq: Any, session: Any, prior: Any, records: pytest.LogCaptureFixture
) -> None:
    from helpers import RefusingConfig

    emulator.seed_brokers(mq, [BrokerSeed("a-Broker-1")])
    with RefusingConfig(session, times=2), pytest.raises(EvaluationsNotRecordedError):
        run(emulator.scheduled_event())
    record = run_record(records, logging.ERROR)
    assert record["refused"] == 1
    assert record["resent"] == 1


@pytest.mark.parametrize("error", [ValueError("a bug"), KeyError("a bug"), ClientError({"Error": {"Code": "X"}}, "Op")])
def test_an_unexpected_exception_in_the_decision_fails_the_invocation(
    mq: Any, prior: Any, monkeypatch: pytest.MonkeyPatch, records: pytest.LogCaptureFixture, error: Exception
) -> None:
    """rdklib's Evaluator returned ValueError and ClientError as an error dict: Lambda saw success."""
    emulator.seed_brokers(mq, [BrokerSeed("a-Broker-1")])

    def broken(*_: Any, **__: Any) -> Any:
        raise error

    monkeypatch.setattr("mq_network.runner.judging.decide", broken)
    with pytest.raises(type(error)):
        run(emulator.scheduled_event())
    assert run_record(records, logging.ERROR)["error"] == type(error).__name__


def test_the_decisions_own_contract_errors_are_not_value_errors() -> None:
    assert not issubclass(decision.DecisionError, ValueError)


# --- 2. lonely brokers do not pass ------------------------------------------------------------------


def own(broker_id: str) -> str:
    return endpoint(broker_id, instance=2).upper() + "."


LONELY_TARGETS = {
    "localhost": lambda _: "static:(tcp://localhost:61616)",
    "127.0.0.1": lambda _: "static:(tcp://127.0.0.1:61616)",
    "[::1]": lambda _: "static:(tcp://[::1]:61616)",
    "vm://localhost": lambda _: "vm://localhost",
    "multicast://default": lambda _: "multicast://default",
    "discovery": lambda _: "static:(discovery:(multicast://default))",
    "own endpoint, other instance, upper case, trailing dot": lambda i: f"static:(ssl://{own(i)}:61617)",
    "userinfo": lambda i: f"static:(ssl://user:s3cret@{endpoint(i)}:61617)",
}


@pytest.mark.parametrize("case", sorted(LONELY_TARGETS))
def test_a_connector_that_reaches_no_other_broker_is_no_network(
    mq: Any, session: Any, prior: Any, records: pytest.LogCaptureFixture, case: str
) -> None:
    ids = emulator.seed_brokers(mq, [BrokerSeed("lonely")])
    broker_id = ids["lonely"]
    apply_configuration(mq, broker_id, activemq_xml([("out", LONELY_TARGETS[case](broker_id))]))
    [evaluation] = run(emulator.scheduled_event(CONNECTORS))
    assert evaluation["ComplianceType"] == "NON_COMPLIANT", evaluation["Annotation"]
    said = evaluation["Annotation"]
    assert "not counted" in said or "no network connector" in said or "ActiveMQ has no discovery agent" in said
    assert "s3cret" not in evaluation["Annotation"]
    assert "s3cret" not in json.dumps(run_record(records))


@pytest.mark.parametrize("state", ["CREATION_FAILED", "DELETION_IN_PROGRESS"])
def test_a_peer_that_serves_no_client_is_not_a_member(mq: Any, prior: Any, state: str) -> None:
    from moto.mq.models import mq_backends

    ids = emulator.seed_brokers(mq, [BrokerSeed("live"), BrokerSeed("dead")])
    apply_configuration(mq, ids["live"], activemq_xml([("to-dead", f"static:(ssl://{endpoint(ids['dead'])}:61617)")]))
    mq_backends[emulator.ACCOUNT_ID][emulator.REGION].brokers[ids["dead"]].state = state
    result = by_id(run(emulator.scheduled_event(CONNECTORS)))
    live = result[ids["live"]]
    assert live["ComplianceType"] == "NON_COMPLIANT"
    assert f"to-dead -> dead ({state}, serves no client)" in live["Annotation"]
    assert result[ids["dead"]]["ComplianceType"] == "NOT_APPLICABLE"


# --- 3. a hostile BrokerNamePattern cannot hang the function ----------------------------------------
# The patterns a shape checker used to refuse because Python's re backtracks on them. RE2 (issue 18)
# matches each in linear time, so they are accepted and judged; the timing is bench/pattern_bench.py's.
# Only what RE2 cannot express (a back-reference) is still a parameter error.

CATASTROPHIC = [
    "([a-z0-9]+-?)+-Broker-[0-9]+",
    "(a+)+$",
    "(a|a)*b",
    "(a|ab)+c",
    "([a-zA-Z0-9]+)*-Broker-1",
    "(.*a){12}",
    "(\\w+\\s?)+$",
    "a?a?a?a?a?a?a?a?a?a?aaaaaaaaaa",
    ".*.*.*.*.*.*.*.*-Broker-1",
    "(x+x+)+y",
    "(?:a|a)" * 34,
]


@pytest.mark.parametrize("pattern", CATASTROPHIC)
def test_a_pattern_that_backtracks_in_python_is_judged_by_re2(mq: Any, prior: Any, pattern: str) -> None:
    import re

    short = ["orders-Broker-1", "aaaaaaaab", "aaaa"]  # Python's re answers these at once
    adversarial = ["a" * 33 + "b", "a" * 49 + "!", "x" * 50]  # where it would take minutes or more
    ids = emulator.seed_brokers(mq, [BrokerSeed(name) for name in [*short, *adversarial]])
    event = emulator.scheduled_event({"BrokerNamePattern": pattern, "AllowedDeploymentModes": "SINGLE_INSTANCE"})
    result = by_id(run(event))
    assert len(result) == len(ids)  # every broker judged, the adversarial names too
    for name in short:
        expected = "COMPLIANT" if re.fullmatch(pattern, name) else "NON_COMPLIANT"
        assert result[ids[name]]["ComplianceType"] == expected, (pattern, name)


def test_a_back_reference_is_still_a_parameter_error(aws: None, calls: Any, records: pytest.LogCaptureFixture) -> None:
    response = run(emulator.scheduled_event({"BrokerNamePattern": "(a)\\1+"}))
    assert response["customerErrorCode"] == "InvalidParameterValueException"
    assert "BrokerNamePattern" in response["customerErrorMessage"]
    assert "not a valid RE2 regular expression" in response["customerErrorMessage"]
    assert calls.total == 0
    # Lambda sees success, so the record is an ERROR and counts as a failed run (RunsFailedAlarm)
    assert "invalid rule parameters" in run_record(records, logging.ERROR)["notes"][0]


# --- 4. odd answers are tolerated ----------------------------------------------------------------


def test_a_description_without_a_name_keeps_the_listed_one(mq: Any, session: Any, prior: Any) -> None:
    ids = emulator.seed_brokers(mq, [BrokerSeed("a-Broker-1"), BrokerSeed("b-Broker-2")])
    apply_configuration(
        mq, ids["a-Broker-1"], activemq_xml([("x", f"static:(ssl://{endpoint(ids['b-Broker-2'])}:61617)")])
    )
    real = mq.describe_broker

    def nameless(params: dict[str, Any]) -> dict[str, Any]:
        answer = dict(real(BrokerId=params["url_path"].rsplit("/", 1)[-1]))  # the serialised request
        answer.pop("BrokerName")
        answer.pop("ResponseMetadata", None)
        return answer

    with replaced_answer(session, "mq.DescribeBroker", nameless):
        result = by_id(run(emulator.scheduled_event({"CheckMode": "both"})))
    assert {i: e["ComplianceType"] for i, e in result.items()} == {i: "COMPLIANT" for i in ids.values()}
    assert "'a-Broker-1'" in result[ids["a-Broker-1"]]["Annotation"]


@pytest.mark.parametrize("missing", ["BrokerName", "DeploymentMode", "EngineType", "BrokerState", "BrokerArn"])
def test_a_summary_missing_a_field_gives_a_verdict_for_every_broker(
    aws: None, session: Any, prior: Any, missing: str
) -> None:
    summaries = [
        {
            "BrokerId": f"b-{n}",
            "BrokerArn": f"arn:aws:mq:us-east-1:123456789012:broker:x-Broker-{n}:b-{n}",
            "BrokerName": f"x-Broker-{n}",
            "DeploymentMode": "SINGLE_INSTANCE",
            "EngineType": "ActiveMQ",
            "BrokerState": "RUNNING",
        }
        for n in (1, 2)
    ]
    del summaries[0][missing]
    with replaced_answer(session, "mq.ListBrokers", lambda _: {"BrokerSummaries": summaries}):
        result = by_id(run(emulator.scheduled_event()))
    assert set(result) == {"b-1", "b-2"}
    assert result["b-2"]["ComplianceType"] == "COMPLIANT"
    expected = "NON_COMPLIANT" if missing in ("BrokerName", "DeploymentMode") else "COMPLIANT"
    assert result["b-1"]["ComplianceType"] == expected
    if expected == "NON_COMPLIANT":
        assert "could not be verified: AWS reported no" in result["b-1"]["Annotation"]


# --- 5. ExecutionRoleName exactly as IAM allows, used exactly as validated --------------------------


@pytest.mark.parametrize("name", [" mq-audit", "mq-audit ", "rôle", "mq/audit", "x" * 65, "mq audit"])
def test_role_names_iam_would_refuse_are_parameter_errors(aws: None, calls: Any, name: str) -> None:
    response = run(emulator.scheduled_event({"ExecutionRoleName": name}))
    assert response["customerErrorCode"] == "InvalidParameterValueException"
    assert "ExecutionRoleName" in response["customerErrorMessage"]
    assert calls.total == 0


def test_the_assumed_role_is_the_validated_name(mq: Any, session: Any, prior: Any) -> None:
    emulator.seed_brokers(mq, [BrokerSeed("a-Broker-1")])
    assumed: list[str] = []

    def note(params: dict[str, Any], **_: Any) -> None:
        assumed.append(params["RoleArn"])

    session.events.register("before-parameter-build.sts.AssumeRole", note)
    try:
        run(emulator.scheduled_event({"ExecutionRoleName": "mq+audit=1,a.b@c_d-e"}))
    finally:
        session.events.unregister("before-parameter-build.sts.AssumeRole", note)
    assert assumed == [f"arn:aws:iam::{emulator.ACCOUNT_ID}:role/mq+audit=1,a.b@c_d-e"]


# --- 6. malformed events are InvalidEventError, before any AWS call ------------------------------


def change_with(**configuration: Any) -> dict[str, Any]:
    item = emulator.configuration_item("b-1", "x-Broker-1")
    item["configuration"] = {**item["configuration"], **configuration}
    return emulator.change_event(item)


def with_item(key: str, value: Any) -> dict[str, Any]:
    item = emulator.configuration_item("b-1", "x-Broker-1")
    item[key] = value
    return emulator.change_event(item)


MALFORMED = {
    "deep JSON": ({**emulator.scheduled_event(), "invokingEvent": "[" * 100_000 + "]" * 100_000}, "nested too deeply"),
    "configuration a string": (with_item("configuration", "oops"), "configuration is a str, not an object"),
    "configuration a list": (with_item("configuration", []), "configuration is a list, not an object"),
    "int BrokerName": (change_with(BrokerName=7), "configuration.BrokerName is a int, not a string"),
    "list DeploymentMode": (change_with(DeploymentMode=[]), "configuration.DeploymentMode is a list"),
    "tags a list": (with_item("tags", [{"Key": "a"}]), "tags is a list, not an object"),
    "empty resourceId": (with_item("resourceId", ""), "resourceId is empty"),
    "empty notificationCreationTime": (
        {
            **emulator.scheduled_event(),
            "invokingEvent": json.dumps({"messageType": "ScheduledNotification", "notificationCreationTime": ""}),
        },
        "notificationCreationTime is empty",
    ),
    "eventLeftScope a string": (
        {**emulator.change_event(emulator.configuration_item("b-1", "x")), "eventLeftScope": "false"},
        "eventLeftScope is not true or false",
    ),
    "resultToken a number": ({**emulator.scheduled_event(), "resultToken": 5}, "resultToken is a int"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_event_fields_are_named_before_any_call(
    aws: None, calls: Any, records: pytest.LogCaptureFixture, case: str
) -> None:
    event, reason = MALFORMED[case]
    with pytest.raises(InvalidEventError) as caught:
        run(event)
    assert reason in str(caught.value)
    assert calls.total == 0
    assert run_record(records, logging.ERROR)["error"] == "InvalidEventError"


# --- 7. one record per invocation, structured in Lambda's JSON log format, and metrics ------------


def test_one_structured_record_per_run_in_lambdas_own_json_format(
    mq: Any, prior: Any, records: pytest.LogCaptureFixture
) -> None:
    from awslambdaric.lambda_runtime_log_utils import JsonFormatter

    emulator.seed_demo_account(mq)
    run(emulator.scheduled_event(CONNECTORS))
    record = run_record(records)
    assert record["trigger"] == "ScheduledNotification"
    assert record["brokers"] == 8
    assert record["verdicts"] == {"COMPLIANT": 3, "NON_COMPLIANT": 4, "NOT_APPLICABLE": 1}
    assert record["unverified"] == {}
    assert record["api_calls"]["mq.ListBrokers"] == 1
    assert record["api_calls"]["config.PutEvaluations"] == 1
    assert record["resent"] == 0 and record["refused"] == 0
    assert record["duration_ms"] > 0
    line = json.loads(JsonFormatter().format(next(r for r in records.records if r.name == "mq_network")))
    assert line["logger"] == "mq_network"
    assert line["level"] == "INFO"
    assert line["mq_network_run"]["verdicts"] == record["verdicts"]  # a JSON object, not a string


def test_metrics_in_embedded_metric_format(
    mq: Any, prior: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "mq-network-of-brokers")
    emulator.seed_demo_account(mq)
    run(emulator.scheduled_event())
    [line] = [json.loads(text) for text in capsys.readouterr().out.splitlines() if '"_aws"' in text]
    [directive] = line["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "MQNetworkOfBrokers"
    assert directive["Dimensions"] == [["RuleName"]]
    names = [metric["Name"] for metric in directive["Metrics"]]
    assert names == ["Compliant", "NonCompliant", "NotApplicable", "Unverified", "FailedRuns"]
    assert all(isinstance(line[name], int) for name in names)  # every metric has its value
    assert (line["Compliant"], line["NonCompliant"], line["NotApplicable"]) == (4, 3, 1)
    assert line["RuleName"] == "MQ_NETWORK_OF_BROKERS"
    assert isinstance(line["_aws"]["Timestamp"], int)


def test_no_metrics_line_outside_lambda(mq: Any, prior: Any, capsys: pytest.CaptureFixture[str]) -> None:
    emulator.seed_brokers(mq, [BrokerSeed("a-Broker-1")])
    run(emulator.scheduled_event())
    assert "_aws" not in capsys.readouterr().out


def test_describe_denied_under_a_scope_still_reads_the_tags(mq: Any, session: Any, prior: Any) -> None:
    """Connectors mode takes tags from DescribeBroker; when that is refused, ListTags still decides
    the scope, so an out-of-scope broker stays NOT_APPLICABLE instead of "could not be verified"."""
    ids = emulator.seed_brokers(mq, [BrokerSeed("dev-Broker-1", tags={"env": "dev"})])
    parameters = {**CONNECTORS, "ScopeTagKey": "env", "ScopeTagValue": "prod"}
    with failing_answers(session, "mq.DescribeBroker", [(403, "AccessDeniedException")]):
        [evaluation] = run(emulator.scheduled_event(parameters))
    assert evaluation["ComplianceResourceId"] == ids["dev-Broker-1"]
    assert evaluation["ComplianceType"] == "NOT_APPLICABLE"
    assert "is 'dev', not 'prod'" in evaluation["Annotation"]
