"""What the decision needs to know about one broker, whichever way it was learnt.

A periodic run learns it from ListBrokers (and DescribeBroker or ListTags where the parameters
need them), a change event from the configuration item. Both become the same `BrokerFacts`, so
the decision never sees where its facts came from. What was not read, and what could not be read,
are types of their own (vocabulary's `NotRead`, `Unreadable`), never a None the decision could take for "none".
Every answer is treated as untrusted: a missing or mistyped field falls back to what is known.
"""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

from mq_network.core.vocabulary import CURRENT_STATUSES, NOT_READ, NotRead, Unreadable

# States in which a broker serves no client: no availability to judge, no network to read.
IDLE_STATES = {
    "DELETION_IN_PROGRESS": "is being deleted",
    "CREATION_FAILED": "failed to be created and serves no clients; delete it",
}


class BrokerFactsError(ValueError):
    """A broker record without an ID: nothing can be evaluated or sent for it."""


class ConfigurationRef(NamedTuple):
    """The broker's current ActiveMQ configuration revision."""

    configuration_id: str
    revision: str


Tags = Mapping[str, str] | NotRead | Unreadable
Configuration = ConfigurationRef | NotRead | Unreadable


class BrokerFacts(NamedTuple):
    broker_id: str
    name: str | None  # None: AWS's answer carried no name
    deployment_mode: str | None = None
    engine_type: str | None = None
    state: str | None = None
    arn: str | None = None
    tags: Tags = NOT_READ
    configuration: Configuration = NOT_READ
    created: datetime | None = None  # when AWS says it was created (timezone-aware)

    @property
    def label(self) -> str:
        """How annotations and logs name the broker: its name, or its ID when no name is known."""
        return self.name or self.broker_id

    @property
    def is_activemq(self) -> bool:
        return (self.engine_type or "ACTIVEMQ").upper() == "ACTIVEMQ"

    @property
    def can_be_networked(self) -> bool:
        """An ActiveMQ broker that is not being deleted or failed: one a network can hold."""
        return self.is_activemq and self.state not in IDLE_STATES


def from_summary(summary: Mapping[str, Any]) -> BrokerFacts:
    """Facts from one ListBrokers `BrokerSummaries` entry.

    The ID comes from `BrokerId`, or from the last field of `BrokerArn`; a broker with neither
    cannot be evaluated at all, and the run stops rather than leave it out unseen.
    """
    if not isinstance(summary, Mapping):
        raise BrokerFactsError(f"ListBrokers returned a broker entry that is not an object: {summary!r:.200}")
    arn = _text(summary.get("BrokerArn"))
    broker_id = _text(summary.get("BrokerId")) or (arn.rsplit(":", 1)[-1] if arn and ":broker:" in arn else None)
    if not broker_id:
        raise BrokerFactsError(
            f"ListBrokers returned a broker without BrokerId or BrokerArn (name {summary.get('BrokerName')!r:.60}); "
            "it cannot be evaluated, so the run stops instead of leaving it out"
        )
    return BrokerFacts(
        broker_id=broker_id,
        name=_text(summary.get("BrokerName")),
        deployment_mode=_text(summary.get("DeploymentMode")),
        engine_type=_text(summary.get("EngineType")),
        state=_text(summary.get("BrokerState")),
        arn=arn,
        created=_time(summary.get("Created")),
    )


def from_description(description: Mapping[str, Any], listed: BrokerFacts) -> BrokerFacts:
    """Facts from DescribeBroker (tags, current configuration), over what ListBrokers said."""
    configurations = _mapping(description.get("Configurations"))
    current = _mapping(configurations.get("Current") if configurations else None)
    configuration = _configuration(current.get("Id"), current.get("Revision")) if current else None
    tags = _tags(description.get("Tags", {}))
    return listed._replace(
        name=_text(description.get("BrokerName")) or listed.name,
        deployment_mode=_text(description.get("DeploymentMode")) or listed.deployment_mode,
        engine_type=_text(description.get("EngineType")) or listed.engine_type,
        state=_text(description.get("BrokerState")) or listed.state,
        arn=_text(description.get("BrokerArn")) or listed.arn,
        tags=tags if tags is not None else Unreadable("DescribeBroker returned Tags that are not a map of strings"),
        configuration=configuration or Unreadable("DescribeBroker reports no current configuration"),
        created=_time(description.get("Created")) or listed.created,
    )


def from_configuration_item(item: Mapping[str, Any]) -> BrokerFacts:
    """Facts from an AWS Config configuration item (PascalCase under `configuration`, tags on top).

    events.check_event has already checked the shapes this relies on.
    """
    configuration = _mapping(item.get("configuration"))
    broker_id = _text(item.get("resourceId"))
    if not broker_id:
        raise BrokerFactsError("The configuration item has no resourceId; AWS Config sent an incomplete item")
    tags = _tags(item.get("tags") or {})
    return BrokerFacts(
        broker_id=broker_id,
        name=_text(configuration.get("BrokerName")) or _text(item.get("resourceName")),
        deployment_mode=_text(configuration.get("DeploymentMode")),
        engine_type=_text(configuration.get("EngineType")),
        state=_text(configuration.get("BrokerState")),
        arn=_text(configuration.get("Arn")) or _text(item.get("ARN")),
        tags=tags if tags is not None else Unreadable("the configuration item's tags are not a map of strings"),
        configuration=recorded_configuration(configuration) or NOT_READ,
        created=_time(item.get("resourceCreationTime")),
    )


def from_inventory(row: Mapping[str, Any], listed: BrokerFacts) -> BrokerFacts | None:
    """Facts from AWS Config's record of the broker (an advanced query row), over what ListBrokers
    said; None when the record cannot stand in for DescribeBroker (not current, no configuration,
    tags not a list of key/value pairs)."""
    if row.get("configurationItemStatus") not in CURRENT_STATUSES:
        return None
    reference = recorded_configuration(_mapping(row.get("configuration")))
    raw_tags = row.get("tags", [])
    if reference is None or not isinstance(raw_tags, list):
        return None
    tags: dict[str, str] = {}
    for tag in raw_tags:
        if not isinstance(tag, Mapping) or not isinstance(tag.get("key"), str) or not isinstance(tag.get("value"), str):
            return None
        tags[tag["key"]] = tag["value"]
    return listed._replace(configuration=reference, tags=tags)


def recorded_configuration(configuration: Mapping[str, Any]) -> ConfigurationRef | None:
    """The configuration revision AWS Config recorded for the broker, read the same way by every reader.

    AWS Config's schema for AWS::AmazonMQ::Broker mirrors CloudFormation's, which has two pairs: the
    flat `ConfigurationId`/`ConfigurationRevision` (read-only: what the broker runs; the revision a
    string in the newer schema, an integer in the older) and the nested `Configuration.{Id,Revision}`
    (write-only since October 2025: what a template once asked for). The flat pair wins whole; the
    nested one stands in only when the flat ID is absent (a flat ID with an unusable revision gives
    None: the broker is described rather than judged on what a template once asked for). The pairs are never mixed:
    an ID from one and a revision from the other could name a revision of another configuration.
    """
    flat_id = configuration.get("ConfigurationId")
    flat = _configuration(flat_id, configuration.get("ConfigurationRevision"))
    if flat is not None or flat_id not in (None, ""):
        return flat  # a flat ID without a usable revision: the broker runs that configuration, revision unknown
    nested = _mapping(configuration.get("Configuration"))
    return _configuration(nested.get("Id"), nested.get("Revision"))


def _text(value: object) -> str | None:
    """A non-empty string field, or None for anything else (missing, null, a number, a list)."""
    return value if isinstance(value, str) and value else None


def _time(value: object) -> datetime | None:
    """A creation time as botocore parses it (datetime) or as events carry it (ISO 8601 text)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _tags(value: object) -> dict[str, str] | None:
    if not isinstance(value, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        return None
    return dict(value)


def _configuration(config_id: object, revision: object) -> ConfigurationRef | None:
    if not isinstance(config_id, str) or not config_id:
        return None
    if isinstance(revision, bool) or not isinstance(revision, (int, str)):
        return None
    text = str(revision).strip()
    # Revisions count from 1; "2" and 2 are the same revision, anything else is not one.
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        return None
    return ConfigurationRef(config_id, str(int(text)))
