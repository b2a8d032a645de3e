"""One record per invocation: what the run saw, decided and spent, for operators and alarms.

Written through `logging` (logger `mq_network`): the message is the record as a JSON object, and
the same record rides along as the `mq_network_run` attribute, which Lambda's JSON log format
(template.yaml: LoggingConfig LogFormat JSON) turns into a structured field. The verdict counts also
go out as CloudWatch metrics in the Embedded Metric Format (namespace MQNetworkOfBrokers), one
stdout line that CloudWatch Logs turns into metrics with no API call. No parameter value, tag or
credential is ever written: brokers appear by ID, reasons by what the rule could not read.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections import Counter
from collections.abc import Mapping
from typing import Any

from mq_network.core.vocabulary import COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE, VERDICTS

LOGGER = logging.getLogger("mq_network")
# A library's logger: where nothing configures logging (the demo, the tools) Python's last-resort
# handler would print ERROR records to stderr beside the tool's own message. Lambda's root handler
# still receives every record through propagation.
LOGGER.addHandler(logging.NullHandler())
if LOGGER.level == logging.NOTSET:
    # Lambda's text log format leaves the root logger at WARNING; the run record is INFO.
    LOGGER.setLevel(logging.INFO)
METRICS_NAMESPACE = "MQNetworkOfBrokers"
_METRIC_NAMES = {COMPLIANT: "Compliant", NON_COMPLIANT: "NonCompliant", NOT_APPLICABLE: "NotApplicable"}


class RunRecord:
    """Filled in as the invocation goes; `finish` or `fail` writes it exactly once."""

    def __init__(self, rule_name: str | None = None) -> None:
        self._started = time.perf_counter()
        self.rule_name = rule_name
        self.trigger: str | None = None
        self.check_mode: str | None = None
        self.verdicts: Counter[str] = Counter()
        self.unverified: dict[str, str] = {}
        self.access: Any = None  # the invocation's aws_calls.AwsAccess, once it has one
        self.sent = 0
        self.notes: list[str] = []
        # Tallies of how the run read its brokers; record_behind: described because AWS Config's
        # record had an older configuration revision than ListConfigurations' latest.
        self.counts: Counter[str] = Counter()
        self._written = False

    def judged(self, broker_id: str, compliance: str, unverified: str | None) -> None:
        self.verdicts[compliance] += 1
        if unverified is not None:
            self.unverified[broker_id] = unverified

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule_name,
            "trigger": self.trigger,
            "check_mode": self.check_mode,
            "brokers": sum(self.verdicts.values()),
            "verdicts": {kind: self.verdicts.get(kind, 0) for kind in VERDICTS},
            "unverified": dict(self.unverified),
            "api_calls": dict(sorted(self.access.api_calls.items())) if self.access else {},
            "sent": self.sent,
            "resent": self.access.resent if self.access else 0,
            "refused": self.access.refused if self.access else 0,
            "notes": list(self.notes),
            "record_behind": self.counts.get("record_behind", 0),
            "duration_ms": round((time.perf_counter() - self._started) * 1000, 1),
        }

    def finish(self, evaluated: bool = True) -> dict[str, Any]:
        """Write the record and the metrics of a run that returned.

        `evaluated` False: it returned without judging anything (invalid rule parameters): an
        ERROR record and FailedRuns 1, so the alarm on FailedRuns fires although Lambda saw success.
        """
        record = self.as_dict()
        self._write(logging.INFO if evaluated else logging.ERROR, record)
        emit_metrics(record, failed=not evaluated)
        return record

    def fail(self, error: BaseException) -> dict[str, Any]:
        """Write the ERROR record of a run that raised (the exception is re-raised by the caller)."""
        record = {**self.as_dict(), "error": type(error).__name__, "error_message": str(error)[:1000]}
        self._write(logging.ERROR, record)
        emit_metrics(record, failed=True)
        return record

    def _write(self, level: int, record: dict[str, Any]) -> None:
        if self._written:
            return
        self._written = True
        LOGGER.log(level, json.dumps(record, default=str), extra={"mq_network_run": record})


def emit_metrics(record: Mapping[str, Any], failed: bool = False) -> None:
    """One Embedded Metric Format line on stdout, in Lambda only (the demo and tools print tables).

    Set MQ_NETWORK_METRICS=1 to emit elsewhere, MQ_NETWORK_METRICS=0 to never emit.
    """
    wanted = os.environ.get("MQ_NETWORK_METRICS")
    if wanted == "0" or (wanted != "1" and "AWS_LAMBDA_FUNCTION_NAME" not in os.environ):
        return
    sys.stdout.write(json.dumps(metrics_document(record, failed, time.time())) + "\n")
    sys.stdout.flush()


def metrics_document(record: Mapping[str, Any], failed: bool, now: float) -> dict[str, Any]:
    """The EMF document: one dimension (the rule's name), a count per verdict, unverified, failures."""
    values = {_METRIC_NAMES[kind]: record["verdicts"][kind] for kind in VERDICTS}
    values["Unverified"] = len(record["unverified"])
    values["FailedRuns"] = 1 if failed else 0
    return {
        "_aws": {
            "Timestamp": int(now * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": METRICS_NAMESPACE,
                    "Dimensions": [["RuleName"]],
                    "Metrics": [{"Name": name, "Unit": "Count"} for name in values],
                }
            ],
        },
        "RuleName": str(record.get("rule") or "unknown"),
        **values,
    }
