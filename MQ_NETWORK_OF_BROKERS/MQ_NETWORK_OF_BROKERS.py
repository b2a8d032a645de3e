"""AWS Config rule MQ_NETWORK_OF_BROKERS: the Lambda entry point and its rdklib plumbing.

The verdict itself lives in mq_network.core.decision, the AWS calls in mq_network.aws.aws_calls; this file
connects them to AWS Config. It keeps rdklib's ConfigRule, Evaluation and error response, but
drives the run itself instead of through rdklib's Evaluator, which turns any ClientError or
ValueError into a returned error dict: Lambda then records success, retries nothing, and the
region gets no evaluation. Here the rule for failure is:

- a problem confined to one broker -> that broker is NON_COMPLIANT, "could not be verified: ..."
  (gather.py), and every other broker is still judged and sent;
- a problem that stops the run (a malformed event, ListBrokers or PutEvaluations failing after
  retries, evaluations refused twice, any unexpected exception) -> the invocation raises, so
  Lambda retries it and the dead-letter queue keeps it;
- invalid rule parameters -> rdklib's error response, nothing sent; the run record is an ERROR
  and counts as a FailedRuns metric, so template.yaml's RunsFailedAlarm fires although Lambda
  records success (retrying cannot mend a parameter).

Every invocation writes one run record (mq_network.runner.run_record), success or failure.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from rdklib import ComplianceType, ConfigRule, Evaluation
from rdklib.errors import InvalidParametersError

from mq_network.aws.aws_calls import AwsAccess, EvaluationsNotRecordedError
from mq_network.aws.peer_lookup import Resolver, aggregator_resolver
from mq_network.core.facts import RESOURCE_TYPE
from mq_network.core.parameters import ParameterError, RuleParameters, parse_parameters
from mq_network.runner.events import CHANGE, SCHEDULED, InvalidEventError, check_configuration_item, check_event
from mq_network.runner.events import rule_parameters as event_parameters
from mq_network.runner.judging import evaluate_item, evaluate_region
from mq_network.runner.run_record import RunRecord

__all__ = ["MQ_NETWORK_OF_BROKERS", "EvaluationsNotRecordedError", "InvalidEventError", "lambda_handler"]

_GONE_STATUSES = ("ResourceDeleted", "ResourceDeletedNotRecorded", "ResourceNotRecorded")
_ROLE_ARN_PREFIX = r"^arn:aws[a-z-]*:iam::[0-9]{12}:role$"


class MQ_NETWORK_OF_BROKERS(ConfigRule):  # type: ignore[misc]  # noqa: N801 - rdk names the class after the rule
    """The rule in rdklib's shape; `client_factory` is anything with `build_client(service)`."""

    def __init__(self, record: RunRecord | None = None) -> None:
        super().__init__()
        self.record = record or RunRecord()

    def evaluate_parameters(self, rule_parameters: dict[str, Any]) -> RuleParameters:
        try:
            return parse_parameters(rule_parameters)
        except ParameterError as err:
            raise InvalidParametersError(str(err)) from err

    def evaluate_periodic(
        self, event: dict[str, Any], client_factory: Any, valid_rule_parameters: RuleParameters
    ) -> list[Evaluation]:
        params = valid_rule_parameters
        config = client_factory.build_client("config") if params.checks_connectors else None
        evaluations = []
        for broker, verdict, _evidence in evaluate_region(
            client_factory.build_client("mq"),
            params,
            config,
            self.record.notes,
            resolver=_resolver(client_factory, params),
            counts=self.record.counts,
        ):
            self.record.judged(broker.broker_id, verdict.compliance, verdict.unverified)
            evaluations.append(Evaluation(verdict.compliance, broker.broker_id, RESOURCE_TYPE, verdict.annotation))
        return evaluations

    def evaluate_change(
        self,
        event: dict[str, Any],
        client_factory: Any,
        configuration_item: dict[str, Any],
        valid_rule_parameters: RuleParameters,
    ) -> list[Evaluation]:
        # The resource ID and type are filled from the item itself.
        status = configuration_item.get("configurationItemStatus")
        broker_id = configuration_item["resourceId"]
        if status in _GONE_STATUSES or event.get("eventLeftScope"):
            label = configuration_item.get("resourceName") or broker_id
            reason = status if status in _GONE_STATUSES else "left the rule's scope"
            self.record.judged(broker_id, ComplianceType.NOT_APPLICABLE, None)
            return [
                Evaluation(
                    ComplianceType.NOT_APPLICABLE, annotation=f"Broker '{label}' is no longer evaluated ({reason})."
                )
            ]
        if configuration_item.get("resourceType") != RESOURCE_TYPE:
            self.record.judged(broker_id, ComplianceType.NOT_APPLICABLE, None)
            return [Evaluation(ComplianceType.NOT_APPLICABLE, annotation="This rule evaluates Amazon MQ brokers only.")]
        verdict = evaluate_item(
            configuration_item,
            valid_rule_parameters,
            lambda: client_factory.build_client("mq"),
            _resolver(client_factory, valid_rule_parameters),
        )
        self.record.judged(broker_id, verdict.compliance, verdict.unverified)
        return [Evaluation(verdict.compliance, annotation=verdict.annotation)]


def _resolver(client_factory: Any, params: RuleParameters) -> Resolver | None:
    """Peers beyond the region are checked against the aggregator, with the function's own role:
    an aggregator lives in the account that deploys the rule, not in each evaluated account."""
    if not (params.checks_connectors and params.aggregator_name):
        return None
    return aggregator_resolver(client_factory.build_client("config", assume_role_mode=False), params.aggregator_name)


def lambda_handler(event: dict[str, Any], context: Any) -> Any:
    """Entry point for AWS Config; returns the evaluations sent, or rdklib's parameter error response."""
    record = RunRecord(rule_name=_rule_name(event))
    try:
        return _run(event, record)
    except BaseException as err:
        record.fail(err)
        raise


def _run(event: dict[str, Any], record: RunRecord) -> Any:
    invoking = check_event(event)
    record.trigger = invoking["messageType"]
    rule = MQ_NETWORK_OF_BROKERS(record)
    try:
        params = rule.evaluate_parameters(event_parameters(event))
    except InvalidParametersError as err:
        record.notes.append(f"invalid rule parameters, nothing evaluated or sent: {err}")
        record.finish(evaluated=False)
        return _parameter_error_response(err)
    record.check_mode = params.check_mode
    aws = AwsAccess(region=_region(event), role_arn=_role_arn(event, params))
    record.access = aws
    if invoking["messageType"] == SCHEDULED:
        evaluations = _periodic(event, rule, aws, params)
    else:
        item = invoking["configurationItem"] if invoking["messageType"] == CHANGE else _inflate(aws, invoking)
        evaluations = []
        for evaluation in rule.evaluate_change(event, aws, item, params):
            evaluation.import_fields_from_configuration_item(item)
            evaluations.append(evaluation.get_json())
    aws.send_evaluations(evaluations, event["resultToken"])
    record.sent = len(evaluations)
    record.finish()
    return evaluations


def _periodic(event: dict[str, Any], rule: MQ_NETWORK_OF_BROKERS, aws: AwsAccess, params: RuleParameters) -> list[Any]:
    """This run's verdicts, plus NOT_APPLICABLE for earlier results on brokers no longer listed."""
    latest = []
    for evaluation in rule.evaluate_periodic(event, aws, params):
        evaluation.import_fields_from_periodic_event(event)
        latest.append(evaluation.get_json())
    judged = {e["ComplianceResourceId"] for e in latest}
    retired = []
    for resource_id, resource_type in aws.earlier_results(event["configRuleName"]):
        if resource_id not in judged:
            gone = Evaluation(ComplianceType.NOT_APPLICABLE, resource_id, resource_type, "The broker no longer exists.")
            gone.import_fields_from_periodic_event(event)
            retired.append(gone.get_json())
            judged.add(resource_id)
    if retired:
        rule.record.notes.append(f"{len(retired)} earlier result(s) retired as NOT_APPLICABLE (broker gone)")
    return retired + latest


def _inflate(aws: AwsAccess, invoking: Mapping[str, Any]) -> dict[str, Any]:
    """The configuration item an oversized notification only summarises (GetResourceConfigHistory)."""
    from rdklib.util.service import convert_into_notification_config_item

    summary = invoking["configurationItemSummary"]
    answer = aws.build_client("config").get_resource_config_history(
        resourceType=summary["resourceType"], resourceId=summary["resourceId"], limit=1
    )
    items = answer.get("configurationItems") or []
    if not items:
        raise LookupError(
            f"AWS Config returned no configuration item for {summary['resourceType']} {summary['resourceId']}; "
            "the invocation fails so that Lambda retries it"
        )
    try:
        item: dict[str, Any] = convert_into_notification_config_item(items[0])
    except (TypeError, ValueError) as err:
        raise LookupError(
            f"AWS Config's configuration item for {summary['resourceId']} is not readable ({err}); "
            "the invocation fails so that Lambda retries it"
        ) from None
    captured = item.get("configurationItemCaptureTime")
    if isinstance(captured, datetime):  # botocore parses the timestamp; events carry text
        item["configurationItemCaptureTime"] = captured.isoformat()
    try:
        check_configuration_item(item, "configurationItem")
    except InvalidEventError as err:
        raise LookupError(
            f"GetResourceConfigHistory answered with an item the rule cannot read for {summary['resourceId']} "
            f"({err.problem}); the invocation fails so that Lambda retries it"
        ) from None
    return item


def _role_arn(event: Mapping[str, Any], params: RuleParameters) -> str | None:
    """The role to assume in the evaluated account, built from the name exactly as validated."""
    if not params.assume_role:
        return None
    execution_role = str(event["executionRoleArn"])
    if params.execution_role_name is None:
        return execution_role
    prefix = execution_role.split("/", 1)[0]
    if not re.match(_ROLE_ARN_PREFIX, prefix):
        raise InvalidEventError(f"executionRoleArn {execution_role[:120]!r} is not an IAM role ARN")
    return f"{prefix}/{params.execution_role_name}"


def _region(event: Mapping[str, Any]) -> str | None:
    region = os.environ.get("AWS_REGION")
    if region:
        return region
    parts = str(event.get("configRuleArn") or "").split(":")
    return parts[3] if len(parts) > 4 and parts[3] else None


def _rule_name(event: object) -> str | None:
    name = event.get("configRuleName") if isinstance(event, Mapping) else None
    return name if isinstance(name, str) else None


def _parameter_error_response(err: InvalidParametersError) -> dict[str, Any]:
    """rdklib's response to invalid parameters (build_parameters_value_error_response), without its print."""
    return {
        "internalErrorMessage": "Parameter value is invalid",
        "internalErrorDetails": "A ValueError was raised during the validation of the Parameter value",
        "customerErrorMessage": str(err),
        "customerErrorCode": "InvalidParameterValueException",
    }
