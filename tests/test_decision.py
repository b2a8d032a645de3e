"""The verdict on one broker, for every case a customer can meet (no AWS involved)."""

from __future__ import annotations

import pytest

from mq_network.core.decision import ANNOTATION_LIMIT, DecisionError, decide, no_longer_listed, not_evaluated
from mq_network.core.facts import BrokerFacts
from mq_network.core.network import Membership
from mq_network.core.parameters import parse_parameters
from mq_network.core.vocabulary import COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE, RESOURCE_TYPE, Unreadable

DEFAULTS = parse_parameters({})


def broker(name: str = "orders-Broker-1", mode: str | None = "SINGLE_INSTANCE", **kw: object) -> BrokerFacts:
    return BrokerFacts(broker_id="b-1234abcd-56ef-78ab-90cd-1234567890ab", name=name, deployment_mode=mode, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("orders-Broker-1", COMPLIANT),
        ("orders-Broker-12", COMPLIANT),
        ("a-b-c-Broker-007", COMPLIANT),
        ("orders-broker-3", NON_COMPLIANT),
        ("Broker-1", NON_COMPLIANT),
        ("x-Broker-", NON_COMPLIANT),
        ("x-Broker-1a", NON_COMPLIANT),
        ("x-Broker-1-old", NON_COMPLIANT),
        ("cc-project5-broker", NON_COMPLIANT),
        ("MyBroker1", NON_COMPLIANT),
    ],
)
def test_default_name_pattern_matches_the_whole_name_case_sensitively(name: str, expected: str) -> None:
    assert decide(broker(name), DEFAULTS).compliance == expected


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("SINGLE_INSTANCE", COMPLIANT),
        ("ACTIVE_STANDBY_MULTI_AZ", COMPLIANT),
        ("CLUSTER_MULTI_AZ", NON_COMPLIANT),
        (None, NON_COMPLIANT),
    ],
)
def test_default_deployment_modes_are_the_two_mesh_types(mode: str | None, expected: str) -> None:
    assert decide(broker(mode=mode), DEFAULTS).compliance == expected


def test_allowed_modes_parameter_narrows_the_choice() -> None:
    params = parse_parameters({"AllowedDeploymentModes": "ACTIVE_STANDBY_MULTI_AZ"})
    verdict = decide(broker(mode="SINGLE_INSTANCE"), params)
    assert verdict.compliance == NON_COMPLIANT
    assert "mode SINGLE_INSTANCE is not ACTIVE_STANDBY_MULTI_AZ" in verdict.annotation
    assert "cannot change in place" in verdict.annotation
    assert decide(broker(mode="ACTIVE_STANDBY_MULTI_AZ"), params).compliance == COMPLIANT


def test_custom_name_pattern() -> None:
    params = parse_parameters({"BrokerNamePattern": r"NoB[0-9]+"})
    assert decide(broker("NoB1"), params).compliance == COMPLIANT
    verdict = decide(broker("orders-Broker-1"), params)
    assert verdict.compliance == NON_COMPLIANT
    assert "'NoB[0-9]+'" in verdict.annotation
    assert "matching names" in verdict.annotation
    assert "Broker-1..n" not in verdict.annotation


@pytest.mark.parametrize("engine", ["RABBITMQ", "RabbitMQ", "rabbitmq"])
def test_rabbitmq_is_not_applicable_in_any_case(engine: str) -> None:
    verdict = decide(broker("bunny", mode="CLUSTER_MULTI_AZ", engine_type=engine), DEFAULTS)
    assert verdict.compliance == NOT_APPLICABLE
    assert "ActiveMQ feature" in verdict.annotation
    assert "CLUSTER_MULTI_AZ" in verdict.annotation
    assert "'bunny'" in verdict.annotation


@pytest.mark.parametrize("engine", ["ACTIVEMQ", "ActiveMQ", None])
def test_activemq_in_any_case_or_missing_is_evaluated(engine: str | None) -> None:
    assert decide(broker("x", engine_type=engine), DEFAULTS).compliance == NON_COMPLIANT
    assert decide(broker("x-Broker-1", engine_type=engine), DEFAULTS).compliance == COMPLIANT


def test_unknown_engine_is_not_applicable_and_named() -> None:
    verdict = decide(broker(engine_type="KAFKA"), DEFAULTS)
    assert verdict.compliance == NOT_APPLICABLE
    assert "KAFKA" in verdict.annotation


def test_name_failure_annotation_names_broker_problem_and_fix() -> None:
    verdict = decide(broker("cc-project5-broker"), DEFAULTS)
    assert verdict.annotation.startswith("Broker 'cc-project5-broker' is not in a network of brokers")
    assert "does not match '.+-Broker-[0-9]+'" in verdict.annotation
    assert "cc-project5-broker-Broker-1..n" in verdict.annotation


def test_both_failures_are_reported_together() -> None:
    verdict = decide(broker("solo", mode="CLUSTER_MULTI_AZ"), DEFAULTS)
    assert verdict.compliance == NON_COMPLIANT
    assert "does not match" in verdict.annotation
    assert "mode CLUSTER_MULTI_AZ is not SINGLE_INSTANCE or ACTIVE_STANDBY_MULTI_AZ" in verdict.annotation


def test_compliant_annotation_says_why() -> None:
    verdict = decide(broker("orders-Broker-2", mode="ACTIVE_STANDBY_MULTI_AZ"), DEFAULTS)
    assert verdict.annotation == (
        "Broker 'orders-Broker-2' is named as a network-of-brokers member (pattern '.+-Broker-[0-9]+') "
        "and runs in ACTIVE_STANDBY_MULTI_AZ mode."
    )


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("RUNNING", NON_COMPLIANT),
        ("CREATION_IN_PROGRESS", NON_COMPLIANT),
        ("REBOOT_IN_PROGRESS", NON_COMPLIANT),
        ("CRITICAL_ACTION_REQUIRED", NON_COMPLIANT),
        ("REPLICA", NON_COMPLIANT),
        ("DELETION_IN_PROGRESS", NOT_APPLICABLE),
        ("CREATION_FAILED", NOT_APPLICABLE),
    ],
)
def test_broker_states(state: str, expected: str) -> None:
    verdict = decide(broker("solo", state=state), DEFAULTS)
    assert verdict.compliance == expected
    if expected == NOT_APPLICABLE:
        assert state in verdict.annotation


def test_scope_by_tag_key_and_value() -> None:
    keyed = parse_parameters({"ScopeTagKey": "env"})
    valued = parse_parameters({"ScopeTagKey": "env", "ScopeTagValue": "prod"})
    untagged = broker("solo", tags={})
    dev = broker("solo", tags={"env": "dev"})
    prod = broker("solo", tags={"env": "prod"})
    assert decide(untagged, keyed).compliance == NOT_APPLICABLE
    assert "has no tag 'env'" in decide(untagged, keyed).annotation
    assert decide(dev, keyed).compliance == NON_COMPLIANT
    assert decide(dev, valued).compliance == NOT_APPLICABLE
    assert "is 'dev', not 'prod'" in decide(dev, valued).annotation
    assert decide(prod, valued).compliance == NON_COMPLIANT
    assert decide(broker("solo", tags={"Env": "prod"}), valued).compliance == NOT_APPLICABLE


def test_scope_without_tags_read_is_a_programming_error() -> None:
    """Not a ValueError: rdklib's Evaluator swallowed those; this one must fail the invocation."""
    with pytest.raises(DecisionError, match="tags were not read"):
        decide(broker(), parse_parameters({"ScopeTagKey": "env"}))
    assert not issubclass(DecisionError, ValueError)


def test_annotations_never_exceed_the_limit() -> None:
    long_name = "n" * 50
    params = parse_parameters(
        {
            "BrokerNamePattern": "(" + "a|" * 200 + "b)",
            "AllowedDeploymentModes": "SINGLE_INSTANCE",
            "ScopeTagKey": "k" * 128,
            "ScopeTagValue": "v" * 256,
        }
    )
    tags = {"k" * 128: "w" * 256}
    cases = [
        broker(long_name, mode="CLUSTER_MULTI_AZ", tags=tags),
        broker(long_name, mode="CLUSTER_MULTI_AZ", tags={"k" * 128: "v" * 256}),
        broker(long_name, tags={}),
        broker(long_name, mode="CLUSTER_MULTI_AZ", engine_type="X" * 300, tags={"k" * 128: "v" * 256}),
    ]
    for case in cases:
        annotation = decide(case, params).annotation
        assert len(annotation) <= ANNOTATION_LIMIT
        assert annotation.startswith(f"Broker '{long_name}'")
    assert len(decide(broker(long_name, mode="CLUSTER_MULTI_AZ"), DEFAULTS).annotation) <= ANNOTATION_LIMIT


def test_suggested_mesh_name_stays_within_fifty_characters() -> None:
    verdict = decide(broker("q" * 50), DEFAULTS)
    suggestion = verdict.annotation.split("create a mesh ")[1].split("..n")[0]
    assert suggestion.endswith("-Broker-1")
    assert len(suggestion.replace("-Broker-1", "-Broker-99")) <= 50


def test_what_is_wrong_is_never_cut_only_the_advice_shortens() -> None:
    long_name = "m" * 50
    verdict = decide(broker(long_name, mode="CLUSTER_MULTI_AZ"), DEFAULTS)
    assert len(verdict.annotation) <= ANNOTATION_LIMIT
    assert "name does not match '.+-Broker-[0-9]+'" in verdict.annotation
    assert "mode CLUSTER_MULTI_AZ is not SINGLE_INSTANCE or ACTIVE_STANDBY_MULTI_AZ." in verdict.annotation
    assert "…" not in verdict.annotation
    assert "Fix:" in verdict.annotation


# --- CheckMode connectors and both ---------------------------------------------------------------

CONNECTORS = parse_parameters({"CheckMode": "connectors"})
BOTH = parse_parameters({"CheckMode": "both"})


def member(*peers: str, external: tuple[str, ...] = (), size: int | None = None, complete: bool = True) -> Membership:
    return Membership(
        peers=peers,
        external_peers=external,
        network_size=size if size is not None else 1 + len(peers) + len(external),
        malformed=(),
        complete=complete,
    )


def test_connectors_mode_ignores_the_name() -> None:
    verdict = decide(broker("orders-hub"), CONNECTORS, member("spoke-1", "spoke-2"))
    assert verdict.compliance == COMPLIANT
    assert verdict.annotation == (
        "Broker 'orders-hub' is in a network of 3 brokers, linked to spoke-1, spoke-2; mode SINGLE_INSTANCE."
    )


def test_connectors_mode_without_links() -> None:
    verdict = decide(broker("x-Broker-1"), CONNECTORS, member())
    assert verdict.compliance == NON_COMPLIANT
    assert "it has no network connector and no broker in its region connects to it" in verdict.annotation
    assert "Fix: add a duplex networkConnector" in verdict.annotation


def test_connectors_mode_network_too_small() -> None:
    params = parse_parameters({"CheckMode": "connectors", "MinimumNetworkSize": "3"})
    verdict = decide(broker("a"), params, member("b"))
    assert verdict.compliance == NON_COMPLIANT
    assert "its network has 2 of the 3 brokers MinimumNetworkSize asks (linked to b)" in verdict.annotation
    assert decide(broker("a"), params, member("b", size=3)).compliance == COMPLIANT


def test_external_peers_count_and_are_named() -> None:
    verdict = decide(broker("dr"), CONNECTORS, member(external=("b-far-1.mq.us-west-2.amazonaws.com",)))
    assert verdict.compliance == COMPLIANT
    assert "b-far-1.mq.us-west-2.amazonaws.com (external)" in verdict.annotation


def test_incomplete_membership_is_a_lower_bound() -> None:
    verdict = decide(broker("a"), CONNECTORS, member("b", complete=False))
    assert "a network of at least 2 brokers" in verdict.annotation


def test_malformed_connector_is_named() -> None:
    network = Membership(peers=("b",), external_peers=(), network_size=2, malformed=("typo: uri '' names no host",))
    verdict = decide(broker("a"), CONNECTORS, network)
    assert verdict.compliance == NON_COMPLIANT
    assert "network connector 'typo: uri '' names no host'" in verdict.annotation


def test_unverifiable_network_fails_closed_and_says_why() -> None:
    verdict = decide(broker("a"), CONNECTORS, Unreadable("access denied reading configuration c-1 revision 2"))
    assert verdict.compliance == NON_COMPLIANT
    assert "could not be verified: access denied reading configuration c-1 revision 2" in verdict.annotation


def test_both_mode_needs_both() -> None:
    assert decide(broker("orders-Broker-1"), BOTH, member("b")).compliance == COMPLIANT
    assert "is named as a network-of-brokers member" in decide(broker("orders-Broker-1"), BOTH, member("b")).annotation
    named_alone = decide(broker("orders-Broker-1"), BOTH, member())
    assert named_alone.compliance == NON_COMPLIANT
    assert "name does not match" not in named_alone.annotation
    linked_misnamed = decide(broker("hub"), BOTH, member("b"))
    assert linked_misnamed.compliance == NON_COMPLIANT
    assert "name does not match" in linked_misnamed.annotation


def test_mode_is_checked_in_every_check_mode() -> None:
    verdict = decide(broker("a", mode="CLUSTER_MULTI_AZ"), CONNECTORS, member("b"))
    assert verdict.compliance == NON_COMPLIANT
    assert "mode CLUSTER_MULTI_AZ is not" in verdict.annotation


def test_connectors_mode_needs_evidence_for_activemq_only() -> None:
    with pytest.raises(DecisionError, match="needs its network evidence"):
        decide(broker("a"), CONNECTORS)
    assert decide(broker("r", engine_type="RABBITMQ"), CONNECTORS).compliance == NOT_APPLICABLE


def test_long_peer_lists_are_shortened_within_the_limit() -> None:
    peers = tuple(f"{'p' * 45}-Broker-{n}" for n in range(20))
    for params in (CONNECTORS, BOTH):
        verdict = decide(broker("n" * 40 + "-Broker-1"), params, member(*peers))
        assert verdict.compliance == COMPLIANT
        assert len(verdict.annotation) <= ANNOTATION_LIMIT
        assert "and 19 more" in verdict.annotation
    small = decide(
        broker("z" * 50),
        parse_parameters({"CheckMode": "connectors", "MinimumNetworkSize": "30"}),
        member(*peers),
    )
    assert len(small.annotation) <= ANNOTATION_LIMIT
    assert "of the 30 brokers" in small.annotation


@pytest.mark.parametrize("status", ["ResourceDeleted", "ResourceDeletedNotRecorded", "ResourceNotRecorded"])
def test_items_the_rule_no_longer_evaluates_are_not_applicable(status: str) -> None:
    """Scenario 0 is the decision's, a pure function of the item's status and type."""
    gone = not_evaluated(status, RESOURCE_TYPE, False, "old-Broker-1")
    assert gone == (NOT_APPLICABLE, f"Broker 'old-Broker-1' is no longer evaluated ({status}).", None)
    left = not_evaluated("OK", RESOURCE_TYPE, True, "solo")
    assert left == (NOT_APPLICABLE, "Broker 'solo' is no longer evaluated (left the rule's scope).", None)
    other = not_evaluated("OK", "AWS::EC2::SecurityGroup", False, "sg-1")
    assert other == (NOT_APPLICABLE, "This rule evaluates Amazon MQ brokers only.", None)
    assert not_evaluated("OK", RESOURCE_TYPE, False, "orders-Broker-1") is None
    assert not_evaluated("ResourceDiscovered", RESOURCE_TYPE, False, "orders-Broker-1") is None
    assert no_longer_listed() == (NOT_APPLICABLE, "The broker no longer exists.", None)
