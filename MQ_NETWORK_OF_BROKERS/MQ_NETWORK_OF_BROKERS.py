"""AWS Config rule MQ_NETWORK_OF_BROKERS: the Lambda entry point and its rdklib plumbing.

The verdict itself lives in mq_network.decision, the AWS calls in mq_network.mq_api; this file
only connects them to AWS Config through rdklib, and closes the gaps rdklib leaves: malformed
events, retries, and evaluations that PutEvaluations refuses.
"""

from __future__ import annotations

import json
from typing import Any

from rdklib import ClientFactory, ComplianceType, ConfigRule, Evaluation, Evaluator
from rdklib.errors import InvalidParametersError
from rdklib.util.service import build_parameters_value_error_response

from mq_network import mq_api
from mq_network.evaluate import evaluate_item, evaluate_region
from mq_network.events import check_event, rule_parameters
from mq_network.facts import RESOURCE_TYPE
from mq_network.parameters import ParameterError, RuleParameters, parse_parameters

_GONE_STATUSES = ("ResourceDeleted", "ResourceDeletedNotRecorded", "ResourceNotRecorded")


class EvaluationsNotRecordedError(RuntimeError):
    """AWS Config refused some evaluations twice; the invocation fails so that Lambda retries it."""


class MQ_NETWORK_OF_BROKERS(ConfigRule):  # type: ignore[misc]  # noqa: N801 - rdk names the class after the rule
    def evaluate_parameters(self, rule_parameters: dict[str, Any]) -> RuleParameters:
        try:
            return parse_parameters(rule_parameters)
        except ParameterError as err:
            raise InvalidParametersError(str(err)) from err

    def evaluate_periodic(
        self, event: dict[str, Any], client_factory: ClientFactory, valid_rule_parameters: RuleParameters
    ) -> list[Evaluation]:
        mq_client = client_factory.build_client("mq")
        return [
            Evaluation(verdict.compliance, broker.broker_id, RESOURCE_TYPE, verdict.annotation)
            for broker, verdict in evaluate_region(mq_client, valid_rule_parameters)
        ]

    def evaluate_change(
        self,
        event: dict[str, Any],
        client_factory: ClientFactory,
        configuration_item: dict[str, Any],
        valid_rule_parameters: RuleParameters,
    ) -> list[Evaluation]:
        # rdklib fills resource ID and type from the item itself.
        status = configuration_item.get("configurationItemStatus")
        if status in _GONE_STATUSES or event.get("eventLeftScope"):
            label = configuration_item.get("resourceName") or configuration_item.get("resourceId")
            reason = status if status in _GONE_STATUSES else "left the rule's scope"
            return [
                Evaluation(
                    ComplianceType.NOT_APPLICABLE,
                    annotation=f"Broker '{label}' is no longer evaluated ({reason}).",
                )
            ]
        verdict = evaluate_item(configuration_item, valid_rule_parameters, lambda: client_factory.build_client("mq"))
        return [Evaluation(verdict.compliance, annotation=verdict.annotation)]

    def get_assume_role_mode(self, event: dict[str, Any]) -> bool:
        """Assume a role only when asked to (rdklib's own default is to always assume one)."""
        try:
            return parse_parameters(rule_parameters(event)).assume_role
        except ParameterError:
            return False  # evaluate_parameters reports the error before any client is built


def lambda_handler(event: dict[str, Any], context: Any) -> Any:
    """Entry point for AWS Config; returns the evaluations sent, or rdklib's error response."""
    check_event(event)
    raw_parameters = rule_parameters(event)
    # rdklib re-reads ruleParameters with json.loads, which fails on the empty string.
    event = {**event, "ruleParameters": json.dumps(raw_parameters)}
    try:
        parse_parameters(raw_parameters)
    except ParameterError as err:
        # Before rdklib runs: an oversized event would otherwise make a call with bad parameters.
        return build_parameters_value_error_response(InvalidParametersError(str(err)))
    mq_api.rule_session()
    mq_api.take_failed_evaluations()
    rule = MQ_NETWORK_OF_BROKERS()
    result = Evaluator(rule, [RESOURCE_TYPE], is_applicable_status=True).handle(event, context)
    refused = mq_api.take_failed_evaluations()
    if refused:
        _resend(event, rule, refused)
    return result


def _resend(event: dict[str, Any], rule: MQ_NETWORK_OF_BROKERS, refused: list[dict[str, Any]]) -> None:
    factory = ClientFactory(
        role_arn=rule.get_execution_role_arn(event),
        region=rule.get_assume_role_region(event),
        assume_role_mode=rule.get_assume_role_mode(event),
    )
    token = event["resultToken"]
    still = mq_api.put_evaluations(factory.build_client("config"), refused, token, test_mode=token == "TESTMODE")
    if still:
        names = ", ".join(str(item.get("ComplianceResourceId")) for item in still)
        raise EvaluationsNotRecordedError(
            f"AWS Config refused {len(still)} evaluation(s) twice, for broker(s) {names}; "
            "the invocation fails so that Lambda retries it."
        )
