"""Run the real rule on an emulated account and print what the AWS Config console would show.

No AWS credentials are needed or used: moto emulates Amazon MQ and AWS Config in process.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from mq_network.core import COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE
from mq_network_tools.demo import emulator

_ANNOTATION_WIDTH = 72
_ORDER = (NON_COMPLIANT, COMPLIANT, NOT_APPLICABLE)  # what needs action first


def run_demo(parameters: Mapping[str, str] | None = None) -> tuple[Any, dict[str, str], emulator.ApiCalls]:
    """Seed the emulated account, invoke lambda_handler on a scheduled event.

    Returns the handler's answer, broker ID -> name, and the API calls the rule made.
    """
    emulator.use_fake_credentials()
    from moto import mock_aws  # imported late: the emulator must see the fake credentials

    with mock_aws(), emulator.PagedListBrokers():
        import boto3

        names = emulator.seed_demo_account(boto3.client("mq", region_name=emulator.REGION))
        from mq_network.aws import aws_calls
        from MQ_NETWORK_OF_BROKERS import lambda_handler

        session = aws_calls.rule_session()
        with emulator.PriorResults(), emulator.ApiCalls(session) as calls:
            result = lambda_handler(emulator.scheduled_event(parameters), None)
    return result, {broker_id: name for name, broker_id in names.items()}, calls


def render(result: Any, names: Mapping[str, str], calls: emulator.ApiCalls, out: TextIO) -> None:
    """A table a person reads like the Config console: broker, compliance, annotation."""
    if isinstance(result, dict):  # rdklib's error response
        out.write("The rule refused to run:\n" + json.dumps(result, indent=2) + "\n")
        return
    rows = sorted(
        result,
        key=lambda e: (_ORDER.index(e["ComplianceType"]), names.get(e["ComplianceResourceId"], "")),
    )
    width = max(len(names.get(e["ComplianceResourceId"], "")) for e in rows) if rows else 6
    out.write(f"{'Broker':<{width}}  {'Resource ID':<12}  {'Compliance':<14}  Annotation\n")
    out.write(f"{'-' * width}  {'-' * 12}  {'-' * 14}  {'-' * _ANNOTATION_WIDTH}\n")
    for evaluation in rows:
        lines = textwrap.wrap(evaluation.get("Annotation", ""), _ANNOTATION_WIDTH, break_on_hyphens=False) or [""]
        name = names.get(evaluation["ComplianceResourceId"], "?")
        out.write(
            f"{name:<{width}}  {evaluation['ComplianceResourceId']:<12}  "
            f"{evaluation['ComplianceType']:<14}  {lines[0]}\n"
        )
        for line in lines[1:]:
            out.write(f"{'':<{width}}  {'':<12}  {'':<14}  {line}\n")
    tally = {kind: sum(e["ComplianceType"] == kind for e in rows) for kind in _ORDER}
    out.write(
        f"\n{len(rows)} brokers: {tally[COMPLIANT]} compliant, {tally[NON_COMPLIANT]} non-compliant, "
        f"{tally[NOT_APPLICABLE]} not applicable.\n"
        "API calls: " + ", ".join(f"{op} {n}" for op, n in sorted(calls.calls.items())) + "\n"
    )


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(
        prog="mq-network-demo",
        description="Evaluate an emulated account's Amazon MQ brokers with the real rule (no credentials needed).",
    )
    parser.add_argument(
        "--rule-parameters",
        default="{}",
        metavar="JSON",
        help='rule parameters as AWS Config passes them, e.g. \'{"ScopeTagKey": "env"}\'',
    )
    args = parser.parse_args(argv)
    try:
        parameters = json.loads(args.rule_parameters)
    except json.JSONDecodeError as err:
        parser.error(f"--rule-parameters is not JSON: {err}")
    if not isinstance(parameters, dict):
        parser.error("--rule-parameters must be a JSON object")
    result, names, calls = run_demo(parameters)
    render(result, names, calls, out)
    return 1 if isinstance(result, dict) else 0


if __name__ == "__main__":
    sys.exit(main())
