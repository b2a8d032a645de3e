"""One Lambda invocation of the rule: event in, evaluations sent, run record written.

The entry file (MQ_NETWORK_OF_BROKERS.py) keeps rdklib's ConfigRule; this module drives it instead
of rdklib's Evaluator, which turns any ClientError or ValueError into a returned error dict: Lambda
then records success, retries nothing, and the region gets no evaluation. Here the rule for
failure is:

- a problem confined to one broker -> that broker is NON_COMPLIANT, "could not be verified: ..."
  (aws/broker_reads.py), and every other broker is still judged and sent;
- a problem that stops the run (a malformed event, ListBrokers or PutEvaluations failing after
  retries, evaluations refused twice, any unexpected exception) -> the invocation raises, so
  Lambda retries it and the dead-letter queue keeps it;
- invalid rule parameters -> rdklib's error response, nothing sent; the run record is an ERROR
  and counts as a FailedRuns metric, so template.yaml's RunsFailedAlarm fires although Lambda
  records success (retrying cannot mend a parameter).

What rdklib's Evaluator also does is done here: an oversized notification's item is fetched
(aws_calls.latest_configuration_item), earlier results on brokers a periodic run no longer lists
are retired as NOT_APPLICABLE (decision.no_longer_listed), and the role in the evaluated account
is built from ExecutionRoleName. Every invocation writes one run record (run_record), success or
failure.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol

from rdklib import Evaluation
from rdklib.errors import InvalidParametersError

from mq_network.aws.aws_calls import AwsAccess, latest_configuration_item
from mq_network.core.decision import no_longer_listed
from mq_network.core.external_peers import Resolver
from mq_network.core.parameters import RuleParameters
from mq_network.runner.events import CHANGE, SCHEDULED, InvalidEventError, check_configuration_item, check_event
from mq_network.runner.events import rule_parameters as event_parameters
from mq_network.runner.run_record import RunRecord

_ROLE_ARN_PREFIX = r"^arn:aws[a-z-]*:iam::[0-9]{12}:role$"


class Rule(Protocol):
    """What the invocation needs of the rule: rdklib's ConfigRule methods and a run record."""

    record: RunRecord
    evaluate_parameters: Callable[[dict[str, Any]], RuleParameters]
    evaluate_periodic: Callable[[dict[str, Any], Any, RuleParameters], list[Evaluation]]
    evaluate_change: Callable[[dict[str, Any], Any, dict[str, Any], RuleParameters], list[Evaluation]]


def handle(event: dict[str, Any], rule: Callable[[RunRecord], Rule]) -> Any:
    """Run one invocation with the rule `rule(record)` builds; return the evaluations sent, or
    rdklib's parameter error response. Any failure is written to the run record and raised."""
    record = RunRecord(rule_name=_rule_name(event))
    try:
        return _run(event, rule(record))
    except BaseException as err:
        record.fail(err)
        raise


def peer_resolver(client_factory: Any, params: RuleParameters) -> Resolver | None:
    """Peers beyond the region are checked against the aggregator, with the function's own role:
    an aggregator lives in the account that deploys the rule, not in each evaluated account."""
    if not (params.checks_connectors and params.aggregator_name):
        return None
    from mq_network.aws.peer_lookup import aggregator_resolver

    return aggregator_resolver(client_factory.build_client("config", assume_role_mode=False), params.aggregator_name)


def _run(event: dict[str, Any], rule: Rule) -> Any:
    record = rule.record
    invoking = check_event(event)
    record.trigger = invoking["messageType"]
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


def _periodic(event: dict[str, Any], rule: Rule, aws: AwsAccess, params: RuleParameters) -> list[Any]:
    """This run's verdicts, plus NOT_APPLICABLE for earlier results on brokers no longer listed."""
    latest = []
    for evaluation in rule.evaluate_periodic(event, aws, params):
        evaluation.import_fields_from_periodic_event(event)
        latest.append(evaluation.get_json())
    judged = {e["ComplianceResourceId"] for e in latest}
    retired = []
    gone = no_longer_listed()
    for resource_id, resource_type in aws.earlier_results(event["configRuleName"]):
        if resource_id not in judged:
            evaluation = Evaluation(gone.compliance, resource_id, resource_type, gone.annotation)
            evaluation.import_fields_from_periodic_event(event)
            retired.append(evaluation.get_json())
            judged.add(resource_id)
    if retired:
        rule.record.notes.append(f"{len(retired)} earlier result(s) retired as NOT_APPLICABLE (broker gone)")
    return retired + latest


def _inflate(aws: AwsAccess, invoking: Mapping[str, Any]) -> dict[str, Any]:
    """The configuration item an oversized notification only summarises (GetResourceConfigHistory)."""
    from rdklib.util.service import convert_into_notification_config_item

    summary = invoking["configurationItemSummary"]
    found = latest_configuration_item(aws.build_client("config"), summary["resourceType"], summary["resourceId"])
    if found is None:
        raise LookupError(
            f"AWS Config returned no configuration item for {summary['resourceType']} {summary['resourceId']}; "
            "the invocation fails so that Lambda retries it"
        )
    try:
        item: dict[str, Any] = convert_into_notification_config_item(found)
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
