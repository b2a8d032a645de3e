"""The rule's vocabulary: every word the rule, the hook and the tools share, defined once.

Standard library only, and cheap to import (no regular expression is compiled here): the Lambda
imports it at cold start, and the SSM Automation document embeds it ahead of naming.py
(scripts/embed_mesh_script.py). A concept here is written nowhere else; the rest import it.

What "not known" means comes in four kinds, kept apart because each asks for a different answer:

- `NotRead` / `NOT_READ`: a fact the rule did not ask for, because the parameters did not need it
  (tags without ScopeTagKey). Never a verdict's evidence: the decision raises DecisionError when
  it meets one it needs (a programming error, not a customer's problem).
- `Unreadable`: a fact the rule asked AWS for after deployment and could not read (an API error,
  a malformed answer). The broker is NON_COMPLIANT, "could not be verified: <reason>".
- `Unknown`: a property of a broker not yet deployed whose value is decided at deployment (an
  intrinsic function in a template, "known after apply" in a Terraform plan). The pre-deployment
  verdict is UNKNOWN, never a pass.
- `NOT_VERIFIED`: a `PeerStatus` for a peer beyond the region whose existence could not be
  established (no aggregator, or the aggregator does not record it). It counts as an external
  peer or not by the ExternalPeers parameter; a peer whose check failed (`failed=True`) never counts.
"""

from typing import NamedTuple

# --- verdicts --------------------------------------------------------------------------------------

COMPLIANT = "COMPLIANT"
NON_COMPLIANT = "NON_COMPLIANT"
NOT_APPLICABLE = "NOT_APPLICABLE"
VERDICTS = (COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE)  # what AWS Config records
UNKNOWN = "UNKNOWN"  # before deployment only: cannot be judged until the broker exists

# --- AWS Config ------------------------------------------------------------------------------------

RESOURCE_TYPE = "AWS::AmazonMQ::Broker"  # AWS Config's and CloudFormation's name for a broker
# configurationItemStatus of an item that records a broker as it is now.
CURRENT_STATUSES = ("OK", "ResourceDiscovered")
# ... of an item that records the broker's deletion.
DELETED_STATUSES = ("ResourceDeleted", "ResourceDeletedNotRecorded")
# ... of an item the rule no longer evaluates: deleted, or no longer recorded by AWS Config.
GONE_STATUSES = (*DELETED_STATUSES, "ResourceNotRecorded")

# --- Amazon MQ endpoints and names -----------------------------------------------------------------

OPENWIRE_PORT = 61617  # the OpenWire (ssl://) port of an Amazon MQ ActiveMQ broker
# An instance's endpoint: b-<broker id>-<1|2>.mq.<region>.amazonaws.com (.amazonaws.com.cn in the
# China regions cn-*); -1/-2 are the instances of an active/standby broker. Groups: broker, region, cn.
ENDPOINT_HOST_PATTERN = (
    r"^(?P<broker>[^.]+)-[12]\.mq\.(?P<region>[a-z]{2}(?:-[a-z0-9]+)*-[0-9]+)\.amazonaws\.com(?P<cn>\.cn)?$"
)
# A network member's name: <mesh>-Broker-<n> (Conformity's MQ-007). Groups: mesh, number.
MEMBER_SUFFIX = "-Broker-"
MEMBER_NAME_PATTERN = r"(?P<mesh>.+)" + MEMBER_SUFFIX + r"(?P<number>[0-9]+)"


def endpoint_domain(region: str) -> str:
    """What follows `<broker id>-<instance>` in an endpoint of `region`: `.mq.<region>.amazonaws.com[.cn]`."""
    return f".mq.{region}.amazonaws.com" + (".cn" if region.startswith("cn-") else "")


# --- "not known", in its four kinds (see the module's docstring) ----------------------------------


class NotRead(NamedTuple):
    """Not read, because the parameters did not need it (tags without a scope, say)."""


NOT_READ = NotRead()


class Unreadable(NamedTuple):
    """Asked for, and could not be read: the reason goes into "could not be verified: <reason>"."""

    reason: str


class Unknown(NamedTuple):
    """A property whose value is decided at deployment (an intrinsic function, a value after apply)."""

    how: str  # "Fn::Sub", "known after apply", ...


class PeerStatus(NamedTuple):
    """What the rule could establish about one external peer."""

    exists: bool | None  # True: verified; False: verified gone; None: not verified
    detail: str  # where it is ("111122223333 us-west-2"), why it is gone, or why it is unknown
    failed: bool = False  # the check itself failed (AccessDenied...): the peer neither counts nor passes


NOT_VERIFIED = PeerStatus(None, "")
