"""What the decision needs to know about one broker, whichever way it was learnt.

A periodic run learns it from ListBrokers, a change event from the configuration item. Both are
turned into the same `BrokerFacts`, so the decision never sees where its facts came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

RESOURCE_TYPE = "AWS::AmazonMQ::Broker"

# States in which a broker serves no client: no availability to judge, no network to read.
IDLE_STATES = {
    "DELETION_IN_PROGRESS": "is being deleted",
    "CREATION_FAILED": "failed to be created and serves no clients; delete it",
}


class BrokerFactsError(ValueError):
    """A broker record lacks what every broker has (an ID and a name)."""


class BrokerFacts(NamedTuple):
    broker_id: str
    name: str
    deployment_mode: str | None = None
    engine_type: str | None = None
    state: str | None = None
    arn: str | None = None
    # None means "not read": tags cost a call per broker and are fetched only when needed.
    tags: Mapping[str, str] | None = None
    # (configuration ID, revision) of the current ActiveMQ configuration; None when not known.
    configuration: tuple[str, str] | None = None
    # Why the configuration cannot be known (DescribeBroker refused, or no current one).
    configuration_error: str | None = None

    @property
    def is_activemq(self) -> bool:
        return (self.engine_type or "ACTIVEMQ").upper() == "ACTIVEMQ"

    @property
    def can_be_networked(self) -> bool:
        """An ActiveMQ broker that is not being deleted or failed: one a network can hold."""
        return self.is_activemq and self.state not in IDLE_STATES


def from_summary(summary: Mapping[str, Any]) -> BrokerFacts:
    """Facts from one ListBrokers `BrokerSummaries` entry."""
    broker_id = summary.get("BrokerId")
    name = summary.get("BrokerName")
    if not broker_id or not name:
        raise BrokerFactsError(f"ListBrokers returned a broker without BrokerId or BrokerName: {dict(summary)}")
    return BrokerFacts(
        broker_id=broker_id,
        name=name,
        deployment_mode=summary.get("DeploymentMode"),
        engine_type=summary.get("EngineType"),
        state=summary.get("BrokerState"),
        arn=summary.get("BrokerArn"),
    )


def from_description(description: Mapping[str, Any]) -> BrokerFacts:
    """Facts from DescribeBroker (which also carries the tags and the current configuration)."""
    current = (description.get("Configurations") or {}).get("Current") or {}
    configuration = _configuration(current.get("Id"), current.get("Revision"))
    return BrokerFacts(
        broker_id=description["BrokerId"],
        name=description["BrokerName"],
        deployment_mode=description.get("DeploymentMode"),
        engine_type=description.get("EngineType"),
        state=description.get("BrokerState"),
        arn=description.get("BrokerArn"),
        tags=dict(description.get("Tags") or {}),
        configuration=configuration,
        configuration_error=None if configuration else "it reports no current configuration",
    )


def from_configuration_item(item: Mapping[str, Any]) -> BrokerFacts:
    """Facts from an AWS Config configuration item (PascalCase under `configuration`, tags on top)."""
    configuration = item.get("configuration") or {}
    broker_id = item.get("resourceId")
    name = configuration.get("BrokerName") or item.get("resourceName")
    if not broker_id or not name:
        raise BrokerFactsError(
            "The configuration item has no resourceId or broker name "
            f"(resourceId={broker_id!r}, BrokerName={name!r}); AWS Config sent an incomplete item"
        )
    tags = item.get("tags")
    return BrokerFacts(
        broker_id=broker_id,
        name=name,
        deployment_mode=configuration.get("DeploymentMode"),
        engine_type=configuration.get("EngineType"),
        state=configuration.get("BrokerState"),
        arn=configuration.get("Arn") or item.get("ARN"),
        tags=dict(tags) if isinstance(tags, Mapping) else {},
        configuration=_configuration(
            (configuration.get("Configuration") or {}).get("Id") or configuration.get("ConfigurationId"),
            (configuration.get("Configuration") or {}).get("Revision") or configuration.get("ConfigurationRevision"),
        ),
    )


def _configuration(config_id: object, revision: object) -> tuple[str, str] | None:
    if not config_id or revision in (None, ""):
        return None
    return str(config_id), str(revision)
