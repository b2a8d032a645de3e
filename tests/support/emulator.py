"""The demo's emulated account (mq_network_tools.demo.emulator), extended with what only the tests
and the benchmarks use: change and oversized notifications, AWS Config's advanced queries over the
emulated brokers (moto answers none), and a moto server process for --endpoint-url.

Tests and benchmarks import this module as `emulator`; every name of the demo's emulator is here too.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from mq_network_tools.demo.emulator import *  # noqa: F403  (the demo's emulator, re-exported whole)
from mq_network_tools.demo.emulator import NOTIFICATION_TIME, _ids_in, _rule_event


def change_event(
    item: Mapping[str, Any],
    parameters: Mapping[str, str] | None = None,
    token: str = "TESTMODE",
    left_scope: bool = False,
) -> dict[str, Any]:
    """A ConfigurationItemChangeNotification event carrying `item`."""
    invoking = {
        "messageType": "ConfigurationItemChangeNotification",
        "notificationCreationTime": NOTIFICATION_TIME,
        "configurationItem": dict(item),
    }
    return _rule_event(invoking, parameters, token, left_scope)


def oversized_event(
    broker_id: str, parameters: Mapping[str, str] | None = None, token: str = "TESTMODE"
) -> dict[str, Any]:
    """An OversizedConfigurationItemChangeNotification: only a summary, the item must be fetched."""
    invoking = {
        "messageType": "OversizedConfigurationItemChangeNotification",
        "notificationCreationTime": NOTIFICATION_TIME,
        "recordVersion": "1.0",
        "configurationItemSummary": {
            "resourceType": "AWS::AmazonMQ::Broker",
            "resourceId": broker_id,
            "configurationItemStatus": "OK",
        },
    }
    return _rule_event(invoking, parameters, token)


EXPRESSION_LIMIT = 4096  # AWS Config's advanced query Expression: at most 4,096 characters


def _refuse_long(expression: str) -> None:
    """AWS Config refuses a longer expression (botocore checks only minimum lengths, so the service does)."""
    from moto.core.exceptions import JsonRESTError

    if len(expression) > EXPRESSION_LIMIT:
        raise JsonRESTError(
            "ValidationException",
            f"1 validation error detected: Value at 'expression' failed to satisfy constraint: "
            f"Member must have length less than or equal to {EXPRESSION_LIMIT}",
        )


class ConfigInventory:
    """AWS Config's advanced queries over the emulated Amazon MQ brokers (moto answers none).

    While active, SelectResourceConfig answers the rule's inventory query from moto's own brokers
    (their current configuration and tags), paged by Limit/NextToken, each result a JSON string as
    the API reference documents; `stale` (broker ID -> revision) and `missing` (broker IDs) make
    Config's record lag behind the brokers. SelectAggregateResourceConfig answers from `aggregate`:
    broker ID -> {"accountId", "awsRegion", "configurationItemStatus"}.
    """

    def __init__(
        self,
        stale: Mapping[str, int] | None = None,
        missing: Iterable[str] = (),
        aggregate: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        self.stale = dict(stale or {})
        self.missing = set(missing)
        self.aggregate = {k.lower(): dict(v) for k, v in (aggregate or {}).items()}
        self.queries: list[str] = []

    def __enter__(self) -> ConfigInventory:
        from moto.config.responses import ConfigResponse

        self._original = ConfigResponse.select_resource_config
        store = self

        def select_resource_config(response: Any) -> str:
            params = json.loads(response.body)
            store.queries.append(params["Expression"])
            return json.dumps(store.page(store.inventory(response.current_account, response.region), params))

        def select_aggregate_resource_config(response: Any) -> str:
            params = json.loads(response.body)
            store.queries.append(params["Expression"])
            _refuse_long(params["Expression"])
            wanted = set(_ids_in(params["Expression"]))
            rows = [{"resourceId": key, **row} for key, row in store.aggregate.items() if key in wanted]
            return json.dumps(store.page(rows, params))

        ConfigResponse.select_resource_config = select_resource_config  # type: ignore[method-assign,assignment]
        ConfigResponse.select_aggregate_resource_config = select_aggregate_resource_config  # type: ignore[attr-defined]
        return self

    def __exit__(self, *exc: object) -> None:
        from moto.config.responses import ConfigResponse

        ConfigResponse.select_resource_config = self._original  # type: ignore[method-assign]
        del ConfigResponse.select_aggregate_resource_config  # type: ignore[attr-defined]

    def inventory(self, account: str, region: str) -> list[dict[str, Any]]:
        from moto.mq.models import mq_backends

        backend = mq_backends[account][region]
        rows = []
        for broker in backend.brokers.values():
            if broker.id in self.missing:
                continue
            current = broker.configurations["current"] or {}
            revision = self.stale.get(broker.id, current.get("Revision"))
            rows.append(
                {
                    "resourceId": broker.id,
                    "resourceName": broker.name,
                    "configurationItemStatus": "OK",
                    "configuration": {"ConfigurationId": current.get("Id"), "ConfigurationRevision": revision},
                    "tags": [
                        {"key": k, "value": v, "tag": f"{k}={v}"} for k, v in backend.list_tags(broker.arn).items()
                    ],
                }
            )
        return rows

    @staticmethod
    def page(rows: Sequence[Mapping[str, Any]], params: Mapping[str, Any]) -> dict[str, Any]:
        size = int(params.get("Limit") or 100)
        start = int(params.get("NextToken") or 0)
        body: dict[str, Any] = {
            "Results": [json.dumps(row) for row in rows[start : start + size]],
            "QueryInfo": {"SelectFields": [{"Name": "resourceId"}]},
        }
        if start + size < len(rows):
            body["NextToken"] = str(start + size)
        return body


@contextlib.contextmanager
def moto_server(log: Any = None) -> Iterator[str]:
    """A moto server process on loopback (for --endpoint-url), its URL; stopped on exit.

    `log`: a file its requests are written to (the peer benchmark counts them); None discards them.
    Raises RuntimeError when it does not answer within 10 s, so nothing runs against no server.
    """
    import socket
    import subprocess
    import sys
    import time
    import urllib.request
    from pathlib import Path

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    output = log if log is not None else subprocess.DEVNULL
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=output,
        stderr=subprocess.STDOUT if log is not None else subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"moto_server did not answer on {url}")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)
