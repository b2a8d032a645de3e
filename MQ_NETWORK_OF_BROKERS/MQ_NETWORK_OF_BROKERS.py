"""AWS Config rule MQ_NETWORK_OF_BROKERS: is each production Amazon MQ broker inside a network of brokers?

Trigger types:
    Configuration changes of AWS::AmazonMQ::Broker (ConfigurationItemChangeNotification, and
    OversizedConfigurationItemChangeNotification, whose item is fetched), and periodic
    (ScheduledNotification, TwentyFour_Hours: every broker of the account and region).

Reports on: AWS::AmazonMQ::Broker, by broker ID.

Rule parameters: mq_network/core/parameters.py (PARAMETER_SPECS); CheckMode name (the default)
judges name and deployment mode, connectors the network connectors, both all of them.

Scenarios (the order of mq_network/core/decision.py; each with a test that proves it):
    0. A change event's item is deleted or no longer recorded -> NOT_APPLICABLE
         tests/test_handler.py::test_deleted_broker_is_not_applicable
         tests/test_decision.py::test_items_the_rule_no_longer_evaluates_are_not_applicable
       ... it left the rule's scope -> NOT_APPLICABLE
         tests/test_handler.py::test_broker_that_left_scope_is_not_applicable
       ... it is not an Amazon MQ broker -> NOT_APPLICABLE
         tests/test_handler.py::test_other_resource_types_are_not_applicable
       A periodic run no longer lists a broker AWS Config holds a result for -> NOT_APPLICABLE
         tests/test_handler.py::test_stale_results_become_not_applicable
    1. Outside ScopeTagKey/ScopeTagValue -> NOT_APPLICABLE
         tests/test_decision.py::test_scope_by_tag_key_and_value
       Its tags cannot be read while a scope is set -> NON_COMPLIANT (could not be verified)
         tests/test_fail_closed.py::test_describe_denied_under_a_scope_still_reads_the_tags
    2. Being deleted, or failed to be created -> NOT_APPLICABLE
         tests/test_decision.py::test_broker_states
    3. A mesh member the remediation is still building (less than 24 hours) -> NOT_APPLICABLE
         tests/test_remediation_safety.py::test_a_member_being_built_is_not_applicable_for_a_day_then_judged
    4. RabbitMQ, or another engine -> NOT_APPLICABLE
         tests/test_decision.py::test_rabbitmq_is_not_applicable_in_any_case
         tests/test_decision.py::test_unknown_engine_is_not_applicable_and_named
    5. CheckMode name or both: a name that does not match BrokerNamePattern -> NON_COMPLIANT
         tests/test_decision.py::test_default_name_pattern_matches_the_whole_name_case_sensitively
         tests/test_decision.py::test_custom_name_pattern
         MQ_NETWORK_OF_BROKERS/MQ_NETWORK_OF_BROKERS_test.py::ChangeTest.test_lonely_broker_is_non_compliant_and_told_what_to_do
    6. A deployment mode outside AllowedDeploymentModes -> NON_COMPLIANT (in every CheckMode)
         tests/test_decision.py::test_default_deployment_modes_are_the_two_mesh_types
         tests/test_decision.py::test_mode_is_checked_in_every_check_mode
         MQ_NETWORK_OF_BROKERS/MQ_NETWORK_OF_BROKERS_test.py::ChangeTest.test_cluster_mode_is_non_compliant
    7. CheckMode connectors or both: no link that counts -> NON_COMPLIANT
         tests/test_decision.py::test_connectors_mode_without_links
         tests/test_fail_closed.py::test_a_connector_that_reaches_no_other_broker_is_no_network
       ... a network smaller than MinimumNetworkSize -> NON_COMPLIANT
         tests/test_network_e2e.py::test_minimum_network_size
       ... a connector ActiveMQ cannot read -> NON_COMPLIANT
         tests/test_network_e2e.py::test_malformed_connector_uri_is_non_compliant_and_named
       ... its configuration cannot be read -> NON_COMPLIANT (could not be verified)
         tests/test_decision.py::test_unverifiable_network_fails_closed_and_says_why
         tests/test_network_e2e.py::test_unreadable_configuration_is_non_compliant_and_the_run_goes_on
       ... a peer beyond the region: counted when verified or by ExternalPeers, never when gone
         tests/test_inventory.py::test_a_peer_the_aggregator_records_counts_and_is_named_with_its_account
         tests/test_inventory.py::test_a_deleted_peer_in_another_region_does_not_count_when_an_aggregator_is_named
         tests/test_inventory.py::test_a_peer_outside_the_aggregator_follows_external_peers
       ... its peers' check failed (AccessDenied...) -> NON_COMPLIANT (could not be verified)
         tests/test_inventory.py::test_an_aggregator_access_denied_makes_the_broker_unverified_never_a_pass
       Linked to enough brokers, either side's connector -> COMPLIANT
         tests/test_network_e2e.py::test_full_mesh_of_three
         tests/test_network_e2e.py::test_hub_and_spoke_spokes_need_no_connectors_of_their_own
    Every check passes -> COMPLIANT, saying why
         tests/test_decision.py::test_compliant_annotation_says_why
         MQ_NETWORK_OF_BROKERS/MQ_NETWORK_OF_BROKERS_test.py::ChangeTest.test_member_name_and_mode_is_compliant
    Invalid rule parameters -> rdklib's customer error response, nothing sent
         MQ_NETWORK_OF_BROKERS/MQ_NETWORK_OF_BROKERS_test.py::ScheduledTest.test_invalid_parameter_is_a_customer_error
         tests/test_handler.py::test_invalid_parameters_send_nothing
    One broker cannot be read -> that broker NON_COMPLIANT (could not be verified), the rest judged
         tests/test_fail_closed.py::test_one_brokers_failure_makes_it_unverified_and_the_others_are_sent
    The run cannot go on (malformed event, calls failing after retries) -> the invocation fails
         tests/test_fail_closed.py::test_malformed_event_fields_are_named_before_any_call
         tests/test_fail_closed.py::test_evaluations_refused_twice_fail_the_invocation_with_a_record

tests/test_project.py::test_every_test_the_rules_scenario_list_names_exists keeps this list true.
One invocation (event in, evaluations sent, run record written) is mq_network/runner/invocation.py.
"""

from __future__ import annotations

from typing import Any

from rdklib import ConfigRule, Evaluation
from rdklib.errors import InvalidParametersError

from mq_network.aws.aws_calls import EvaluationsNotRecordedError
from mq_network.core import RESOURCE_TYPE, ParameterError, RuleParameters, parse_parameters
from mq_network.runner import invocation
from mq_network.runner.events import InvalidEventError
from mq_network.runner.judging import evaluate_item, evaluate_region
from mq_network.runner.run_record import RunRecord

__all__ = ["MQ_NETWORK_OF_BROKERS", "EvaluationsNotRecordedError", "InvalidEventError", "lambda_handler"]


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
            resolver=invocation.peer_resolver(client_factory, params),
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
        verdict = evaluate_item(
            configuration_item,
            valid_rule_parameters,
            lambda: client_factory.build_client("mq"),
            invocation.peer_resolver(client_factory, valid_rule_parameters),
            left_scope=bool(event.get("eventLeftScope")),
        )
        self.record.judged(configuration_item["resourceId"], verdict.compliance, verdict.unverified)
        return [Evaluation(verdict.compliance, annotation=verdict.annotation)]


def lambda_handler(event: dict[str, Any], context: Any) -> Any:
    """Entry point for AWS Config; returns the evaluations sent, or rdklib's parameter error response."""
    return invocation.handle(event, MQ_NETWORK_OF_BROKERS)
