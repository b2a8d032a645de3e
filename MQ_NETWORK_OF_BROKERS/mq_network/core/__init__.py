"""The rule's core: standard library only, no AWS call, no rdklib; its public API is `__all__`.

What a broker is (facts), what the rule is asked (parameters), the shared words (vocabulary), how
ActiveMQ reads a configuration and its connector URIs, the network graph, and the verdict, after
deployment (decision) and before it (predeploy). Every surface (the Lambda, the hook, the tools)
judges through these, and the tools import them from here: `from mq_network.core import decide`.

Importing this package loads none of its modules: each name is loaded the first time it is used
(PEP 562 `__getattr__`), so the Lambda's cold start pays only for what its invocation needs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what type checkers see; __all__ makes each name a public export
    from mq_network.core.configuration_xml import (
        CORE_NAMESPACE,
        ConfigurationError,
        connector_uris,
        decode_revision,
        parse_configuration,
    )
    from mq_network.core.connectors import Connector, ConnectorReport, Peer, parse_connectors
    from mq_network.core.decision import Verdict, decide
    from mq_network.core.external_peers import Resolver, listed_resolver
    from mq_network.core.facts import BrokerFacts, Tags, recorded_configuration
    from mq_network.core.name_shape import Hole
    from mq_network.core.naming import (
        BUILD_COMPLETE,
        BUILD_IN_PROGRESS,
        BUILD_TAG,
        MAX_MESH_SIZE,
        MEMBER_TAG,
        SOURCE_TAG,
        member_name,
    )
    from mq_network.core.network import Evidence, Membership, memberships
    from mq_network.core.parameters import PARAMETER_SPECS, ParameterError, RuleParameters, parse_parameters
    from mq_network.core.predeploy import (
        Choice,
        PartialTags,
        Planned,
        PlannedName,
        PlannedTags,
        PlannedValue,
        Shape,
        judge_planned,
    )
    from mq_network.core.rule_metadata import RuleMetadata, load_rule_metadata
    from mq_network.core.vocabulary import (
        COMPLIANT,
        CURRENT_STATUSES,
        DELETED_STATUSES,
        ENDPOINT_HOST_PATTERN,
        GONE_STATUSES,
        MEMBER_NAME_PATTERN,
        MEMBER_SUFFIX,
        NON_COMPLIANT,
        NOT_APPLICABLE,
        NOT_READ,
        NOT_VERIFIED,
        OPENWIRE_PORT,
        RESOURCE_TYPE,
        UNKNOWN,
        VERDICTS,
        NotRead,
        PeerStatus,
        Unknown,
        Unreadable,
        endpoint_domain,
    )

# Each public name -> the module that defines it.
_MODULES = {
    "CORE_NAMESPACE": "configuration_xml",
    "ConfigurationError": "configuration_xml",
    "connector_uris": "configuration_xml",
    "decode_revision": "configuration_xml",
    "parse_configuration": "configuration_xml",
    "Connector": "connectors",
    "ConnectorReport": "connectors",
    "Peer": "connectors",
    "parse_connectors": "connectors",
    "Verdict": "decision",
    "decide": "decision",
    "Resolver": "external_peers",
    "listed_resolver": "external_peers",
    "BrokerFacts": "facts",
    "Tags": "facts",
    "recorded_configuration": "facts",
    "Hole": "name_shape",
    "BUILD_COMPLETE": "naming",
    "BUILD_IN_PROGRESS": "naming",
    "BUILD_TAG": "naming",
    "MAX_MESH_SIZE": "naming",
    "MEMBER_TAG": "naming",
    "SOURCE_TAG": "naming",
    "member_name": "naming",
    "Evidence": "network",
    "Membership": "network",
    "memberships": "network",
    "PARAMETER_SPECS": "parameters",
    "ParameterError": "parameters",
    "RuleParameters": "parameters",
    "parse_parameters": "parameters",
    "Choice": "predeploy",
    "PartialTags": "predeploy",
    "Planned": "predeploy",
    "PlannedName": "predeploy",
    "PlannedTags": "predeploy",
    "PlannedValue": "predeploy",
    "Shape": "predeploy",
    "judge_planned": "predeploy",
    "RuleMetadata": "rule_metadata",
    "load_rule_metadata": "rule_metadata",
    "COMPLIANT": "vocabulary",
    "CURRENT_STATUSES": "vocabulary",
    "DELETED_STATUSES": "vocabulary",
    "ENDPOINT_HOST_PATTERN": "vocabulary",
    "GONE_STATUSES": "vocabulary",
    "MEMBER_NAME_PATTERN": "vocabulary",
    "MEMBER_SUFFIX": "vocabulary",
    "NON_COMPLIANT": "vocabulary",
    "NOT_APPLICABLE": "vocabulary",
    "NOT_READ": "vocabulary",
    "NOT_VERIFIED": "vocabulary",
    "OPENWIRE_PORT": "vocabulary",
    "RESOURCE_TYPE": "vocabulary",
    "UNKNOWN": "vocabulary",
    "VERDICTS": "vocabulary",
    "NotRead": "vocabulary",
    "PeerStatus": "vocabulary",
    "Unknown": "vocabulary",
    "Unreadable": "vocabulary",
    "endpoint_domain": "vocabulary",
}

__all__ = [
    "BUILD_COMPLETE",
    "BUILD_IN_PROGRESS",
    "BUILD_TAG",
    "COMPLIANT",
    "CORE_NAMESPACE",
    "CURRENT_STATUSES",
    "DELETED_STATUSES",
    "ENDPOINT_HOST_PATTERN",
    "GONE_STATUSES",
    "MAX_MESH_SIZE",
    "MEMBER_NAME_PATTERN",
    "MEMBER_SUFFIX",
    "MEMBER_TAG",
    "NON_COMPLIANT",
    "NOT_APPLICABLE",
    "NOT_READ",
    "NOT_VERIFIED",
    "OPENWIRE_PORT",
    "PARAMETER_SPECS",
    "RESOURCE_TYPE",
    "SOURCE_TAG",
    "UNKNOWN",
    "VERDICTS",
    "BrokerFacts",
    "Choice",
    "ConfigurationError",
    "Connector",
    "ConnectorReport",
    "Evidence",
    "Hole",
    "Membership",
    "NotRead",
    "ParameterError",
    "PartialTags",
    "Peer",
    "PeerStatus",
    "Planned",
    "PlannedName",
    "PlannedTags",
    "PlannedValue",
    "Resolver",
    "RuleMetadata",
    "RuleParameters",
    "Shape",
    "Tags",
    "Unknown",
    "Unreadable",
    "Verdict",
    "connector_uris",
    "decide",
    "decode_revision",
    "endpoint_domain",
    "judge_planned",
    "listed_resolver",
    "load_rule_metadata",
    "member_name",
    "memberships",
    "parse_configuration",
    "parse_connectors",
    "parse_parameters",
    "recorded_configuration",
]


if not TYPE_CHECKING:  # hidden from type checkers, which then refuse any name not imported above

    def __getattr__(name: str) -> Any:
        """Load the module defining `name` on first use, and keep the name here for the next."""
        module = _MODULES.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
        globals()[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*globals(), *__all__})
