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

if TYPE_CHECKING:
    from mq_network.core.configuration_xml import (
        CORE_NAMESPACE as CORE_NAMESPACE,
    )
    from mq_network.core.configuration_xml import (
        ConfigurationError as ConfigurationError,
    )
    from mq_network.core.configuration_xml import (
        connector_uris as connector_uris,
    )
    from mq_network.core.configuration_xml import (
        decode_revision as decode_revision,
    )
    from mq_network.core.configuration_xml import (
        parse_configuration as parse_configuration,
    )
    from mq_network.core.connectors import (
        Connector as Connector,
    )
    from mq_network.core.connectors import (
        ConnectorReport as ConnectorReport,
    )
    from mq_network.core.connectors import (
        Peer as Peer,
    )
    from mq_network.core.connectors import (
        parse_connectors as parse_connectors,
    )
    from mq_network.core.decision import (
        Verdict as Verdict,
    )
    from mq_network.core.decision import (
        decide as decide,
    )
    from mq_network.core.external_peers import (
        Resolver as Resolver,
    )
    from mq_network.core.external_peers import (
        listed_resolver as listed_resolver,
    )
    from mq_network.core.facts import (
        BrokerFacts as BrokerFacts,
    )
    from mq_network.core.facts import (
        Tags as Tags,
    )
    from mq_network.core.facts import (
        recorded_configuration as recorded_configuration,
    )
    from mq_network.core.name_shape import (
        Hole as Hole,
    )
    from mq_network.core.naming import (
        BUILD_COMPLETE as BUILD_COMPLETE,
    )
    from mq_network.core.naming import (
        BUILD_IN_PROGRESS as BUILD_IN_PROGRESS,
    )
    from mq_network.core.naming import (
        BUILD_TAG as BUILD_TAG,
    )
    from mq_network.core.naming import (
        MAX_MESH_SIZE as MAX_MESH_SIZE,
    )
    from mq_network.core.naming import (
        MEMBER_TAG as MEMBER_TAG,
    )
    from mq_network.core.naming import (
        SOURCE_TAG as SOURCE_TAG,
    )
    from mq_network.core.naming import (
        member_name as member_name,
    )
    from mq_network.core.network import (
        Evidence as Evidence,
    )
    from mq_network.core.network import (
        Membership as Membership,
    )
    from mq_network.core.network import (
        memberships as memberships,
    )
    from mq_network.core.parameters import (
        PARAMETER_SPECS as PARAMETER_SPECS,
    )
    from mq_network.core.parameters import (
        ParameterError as ParameterError,
    )
    from mq_network.core.parameters import (
        RuleParameters as RuleParameters,
    )
    from mq_network.core.parameters import (
        parse_parameters as parse_parameters,
    )
    from mq_network.core.predeploy import (
        Choice as Choice,
    )
    from mq_network.core.predeploy import (
        PartialTags as PartialTags,
    )
    from mq_network.core.predeploy import (
        Planned as Planned,
    )
    from mq_network.core.predeploy import (
        PlannedName as PlannedName,
    )
    from mq_network.core.predeploy import (
        PlannedTags as PlannedTags,
    )
    from mq_network.core.predeploy import (
        PlannedValue as PlannedValue,
    )
    from mq_network.core.predeploy import (
        Shape as Shape,
    )
    from mq_network.core.predeploy import (
        judge_planned as judge_planned,
    )
    from mq_network.core.vocabulary import (
        COMPLIANT as COMPLIANT,
    )
    from mq_network.core.vocabulary import (
        CURRENT_STATUSES as CURRENT_STATUSES,
    )
    from mq_network.core.vocabulary import (
        DELETED_STATUSES as DELETED_STATUSES,
    )
    from mq_network.core.vocabulary import (
        ENDPOINT_HOST_PATTERN as ENDPOINT_HOST_PATTERN,
    )
    from mq_network.core.vocabulary import (
        GONE_STATUSES as GONE_STATUSES,
    )
    from mq_network.core.vocabulary import (
        MEMBER_NAME_PATTERN as MEMBER_NAME_PATTERN,
    )
    from mq_network.core.vocabulary import (
        MEMBER_SUFFIX as MEMBER_SUFFIX,
    )
    from mq_network.core.vocabulary import (
        NON_COMPLIANT as NON_COMPLIANT,
    )
    from mq_network.core.vocabulary import (
        NOT_APPLICABLE as NOT_APPLICABLE,
    )
    from mq_network.core.vocabulary import (
        NOT_READ as NOT_READ,
    )
    from mq_network.core.vocabulary import (
        NOT_VERIFIED as NOT_VERIFIED,
    )
    from mq_network.core.vocabulary import (
        OPENWIRE_PORT as OPENWIRE_PORT,
    )
    from mq_network.core.vocabulary import (
        RESOURCE_TYPE as RESOURCE_TYPE,
    )
    from mq_network.core.vocabulary import (
        UNKNOWN as UNKNOWN,
    )
    from mq_network.core.vocabulary import (
        VERDICTS as VERDICTS,
    )
    from mq_network.core.vocabulary import (
        NotRead as NotRead,
    )
    from mq_network.core.vocabulary import (
        PeerStatus as PeerStatus,
    )
    from mq_network.core.vocabulary import (
        Unknown as Unknown,
    )
    from mq_network.core.vocabulary import (
        Unreadable as Unreadable,
    )
    from mq_network.core.vocabulary import (
        endpoint_domain as endpoint_domain,
    )
    from mq_network.core.vocabulary import (
        endpoint_host as endpoint_host,
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
    "endpoint_host": "vocabulary",
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
    "endpoint_host",
    "judge_planned",
    "listed_resolver",
    "member_name",
    "memberships",
    "parse_configuration",
    "parse_connectors",
    "parse_parameters",
    "recorded_configuration",
]


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
