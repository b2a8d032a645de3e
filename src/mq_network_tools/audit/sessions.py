"""The audit's AWS sessions, beside the rule's `AwsAccess` (mq_network.aws.aws_calls).

The rule holds one session per process; the audit needs one per set of credentials (the current
ones, each --profile, each assumed role), and boto3 sessions are not thread-safe. So the audit
makes its own sessions, but nothing else of its own: every client it builds takes the rule's retry
policy (`aws_calls.RETRY_CONFIG`, botocore standard mode, 10 attempts), so a throttled call is
retried here as in the Lambda. The per-account source reads each (account, region) with its own
client from one worker thread, so a client-side rate limiter (botocore's adaptive mode) would have
nothing to share between callers.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from mq_network_tools.audit.rows import AuditError
from mq_network_tools.cli_options import printable

SessionFactory = Callable[..., boto3.Session]


def make_session(**kwargs: Any) -> boto3.Session:
    """A session for one account's credentials (the tests replace this to inject failures).

    Every session shares one botocore data loader, so the service models and the endpoint data are
    parsed once per process, not once per session.
    """
    import botocore.session

    core = botocore.session.Session()
    core.register_component("data_loader", _data_loader())
    return boto3.Session(botocore_session=core, **kwargs)


@functools.cache
def _data_loader() -> Any:
    import botocore.loaders

    return botocore.loaders.create_loader()


def one_session_per_credentials(factory: SessionFactory) -> SessionFactory:
    """Sessions are costly to make (each loads botocore's data and registers its handlers): one per
    set of credentials, reused for STS, the region list and every client. Used from the main thread
    only (sessions are not thread-safe; the clients made from them are)."""
    made: dict[tuple[tuple[str, Any], ...], boto3.Session] = {}

    def make(**kwargs: Any) -> boto3.Session:
        key = tuple(sorted(kwargs.items()))
        if key not in made:
            made[key] = factory(**kwargs)
        return made[key]

    return make


def dummy_if_needed(kwargs: dict[str, Any], endpoint: str | None, session_factory: SessionFactory) -> dict[str, Any]:
    """An endpoint (a moto server, an emulator) with no credentials configured gets dummy ones:
    emulators want signed requests, and no real account can be reached through them."""
    if endpoint and "profile_name" not in kwargs and session_factory(**kwargs).get_credentials() is None:
        return {**kwargs, "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    return kwargs


def requested_regions(text: str | None) -> list[str] | None:
    """The --regions list, checked against the regions the SDK knows, before any call.

    None: the session's region; ["all"]: every enabled region. Names are lower-cased.
    """
    if text is None:
        return None
    if text.strip().lower() == "all":
        return ["all"]
    regions = list(dict.fromkeys(r.strip().lower() for r in text.split(",") if r.strip()))
    if not regions:
        raise AuditError("--regions is empty: give region names, comma-separated, or 'all'")
    known = known_regions()
    unknown = [r for r in regions if r not in known]
    if unknown:
        raise AuditError(
            f"unknown region(s) {', '.join(printable(r) for r in unknown)}; known regions: {', '.join(sorted(known))}"
        )
    return regions


@functools.cache
def known_regions() -> set[str]:
    """Every region of every partition in botocore's endpoint data (no call is made)."""
    data = _data_loader().load_data("endpoints")
    return {region for partition in data.get("partitions", []) for region in partition.get("regions", {})}


def reason(err: Exception) -> str:
    """Why a call failed, in one line of at most 500 characters (escaped where it is written)."""
    if isinstance(err, ClientError):
        error = err.response.get("Error", {})
        message = str(error.get("Message", ""))
        if message.lstrip().startswith("<"):  # an HTML error page from a proxy or an emulator
            message = "(an HTML page instead of an AWS answer)"
        return f"{error.get('Code', 'Error')}: {message}".strip()[:500]
    if isinstance(err, BotoCoreError):
        return str(err)[:500]
    return f"{type(err).__name__}: {err}"[:500]
