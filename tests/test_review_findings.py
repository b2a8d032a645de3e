"""Findings of a hostile review of prevention (mq-network-check) and the aggregator audit, each a test
that failed on the reviewed code (name shapes read with `re` where RE2 reads the pattern apart, a
YAML alias bomb in a name, SARIF silent about an unread file, a deleted item kept when its broker
appears on two pages)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from mq_network.core.name_shape import Hole, can_match
from mq_network.core.patterns import NamePattern
from mq_network_tools.prevent import cli as check

TEMPLATE = """\
Resources:
  Broker1:
    Type: AWS::AmazonMQ::Broker
    Properties:
      BrokerName: !Sub "${AWS::StackName}-Broker-1"
      DeploymentMode: SINGLE_INSTANCE
      EngineType: ACTIVEMQ
      EngineVersion: "5.17.6"
      HostInstanceType: mq.t3.micro
      PubliclyAccessible: false
      AutoMinorVersionUpgrade: true
      Users:
        - Username: admin
          Password: "{{resolve:secretsmanager:mq-admin}}"
"""


@pytest.mark.parametrize(
    "pattern",
    [
        # RE2 reads a POSIX class anywhere inside brackets; `re` reads `[-_[:alnum:]]` as a class of
        # `-_[:alnum` followed by a literal `]`. The `[[:` guard only catches a class that starts with one.
        r"[-_[:alnum:]]+-Broker-[0-9]+",
        r"[^[:space:]]+-Broker-[0-9]+",
    ],
)
def test_a_posix_class_anywhere_in_brackets_keeps_a_shape_open(pattern: str) -> None:
    """can_match says "can never match" though RE2 fullmatches `orders-Broker-1` (a shape value)."""
    compiled = NamePattern(pattern)
    assert compiled.fullmatch("orders-Broker-1")  # RE2, the rule's engine: it matches
    assert can_match([Hole("Ref AWS::StackName"), "-Broker-1"], compiled)


@pytest.mark.parametrize(
    ("pattern", "literal"),
    [
        # RE2 folds case with Unicode simple folding: (?i)ſ matches s/S, (?i)K (Kelvin sign) matches k/K;
        # `re` in ASCII mode does not, so the shape is declared impossible.
        ("(?i)[a-z0-9-]+-broker-\u017f?[0-9]+", "-Broker-s1"),
        ("(?i).*-\u212aafka-Broker-[0-9]+", "-kafka-Broker-1"),
    ],
)
def test_re2_unicode_case_folding_keeps_a_shape_open(pattern: str, literal: str) -> None:
    """can_match says "can never match" though RE2 fullmatches a name of that shape."""
    compiled = NamePattern(pattern)
    assert compiled.fullmatch("orders" + literal)
    assert can_match([Hole("Ref AWS::StackName"), literal], compiled)


def test_a_joined_name_under_a_posix_class_pattern_is_unknown_not_blocked(tmp_path: Path) -> None:
    """End to end: mq-network-check exits 1 (NON_COMPLIANT, "can never match") for a Fn::Sub name that,
    with stack name `orders`, is `orders-Broker-1` and matches the pattern in RE2: a false block."""
    path = tmp_path / "mesh.yaml"
    path.write_text(TEMPLATE)
    out, err = io.StringIO(), io.StringIO()
    status = check.main(["--broker-name-pattern", "[-_[:alnum:]]+-Broker-[0-9]+", str(path)], stdout=out, stderr=err)
    assert status == check.EXIT_UNKNOWN, out.getvalue()


class _Aggregator:
    """A fake config client: the aggregator's pages as given (SelectAggregateResourceConfig's shape)."""

    def __init__(self, pages: list[list[dict[str, object]]]) -> None:
        self.pages = pages

    def describe_configuration_aggregators(self, **_: object) -> dict[str, object]:
        return {"ConfigurationAggregators": [{"ConfigurationAggregatorName": "org"}]}

    def describe_configuration_aggregator_sources_status(self, **_: object) -> dict[str, object]:
        return {
            "AggregatedSourceStatusList": [
                {
                    "SourceId": "111111111111",
                    "SourceType": "ACCOUNT",
                    "AwsRegion": "us-east-1",
                    "LastUpdateStatus": "SUCCEEDED",
                }
            ]
        }

    def select_aggregate_resource_config(self, **request: object) -> dict[str, object]:
        import json

        index = int(str(request.get("NextToken") or "0"))
        answer: dict[str, object] = {"Results": [json.dumps(row) for row in self.pages[index]]}
        if index + 1 < len(self.pages):
            answer["NextToken"] = str(index + 1)
        return answer


def test_aggregator_the_newest_item_wins_so_a_broker_deleted_between_pages_is_left_out() -> None:
    """The same broker on two pages (the code's own case: Config recorded it between them): its newer
    item says ResourceDeleted, yet the older, current item is kept and judged as a running broker."""
    from mq_network_tools.audit.aggregator import read_organization

    item = {
        "resourceId": "b-1234abcd-56ef-78ab-90cd-1234567890ab",
        "resourceName": "lonely",
        "accountId": "111111111111",
        "awsRegion": "us-east-1",
        "configuration": {"BrokerName": "lonely", "DeploymentMode": "SINGLE_INSTANCE", "EngineType": "ACTIVEMQ"},
    }
    older = {**item, "configurationItemStatus": "OK", "configurationItemCaptureTime": "2026-12-03T10:00:00.000Z"}
    newer = {
        **item,
        "configurationItemStatus": "ResourceDeleted",
        "configurationItemCaptureTime": "2026-12-03T10:05:00.000Z",
    }
    organization = read_organization(_Aggregator([[older], [newer]]), "org")
    assert organization.items == [], "a deleted broker is judged (and counted) as if it ran"


def test_sarif_names_a_file_that_declares_a_broker_but_could_not_be_read(tmp_path: Path) -> None:
    """A template that names AWS::AmazonMQ::Broker but does not parse is an error (exit 2, on stderr), yet
    the SARIF log has no trace of it: no toolExecutionNotification, executionSuccessful never false. In code
    scanning (the usual `... --output sarif > x.sarif || true` then upload) that broker silently disappears."""
    import json

    (tmp_path / "good.yaml").write_text(TEMPLATE.replace('!Sub "${AWS::StackName}-Broker-1"', "orders-Broker-1"))
    (tmp_path / "broken.yaml").write_text(
        "Resources:\n  Lonely:\n    Type: AWS::AmazonMQ::Broker\n"
        "    Properties: {BrokerName: lonely, DeploymentMode: [\n"
    )
    out = io.StringIO()
    status = check.main(["--output", "sarif", str(tmp_path)], stdout=out, stderr=io.StringIO())
    assert status == check.EXIT_USAGE
    log = json.loads(out.getvalue())
    text = json.dumps(log)
    assert "broken.yaml" in text, "the unread file is not mentioned anywhere in the SARIF log"


def test_a_yaml_alias_bomb_in_a_broker_name_is_unknown_at_once(tmp_path: Path) -> None:
    """1.4 KB of YAML: BrokerName is an Fn::Join whose list repeats an alias of the previous Fn::Join twice,
    25 levels deep. PyYAML shares the aliased nodes, but cloudformation._parts expands each one, so the name
    has ~2^20 parts (capped only by depth 20) and the check ran 40 s here; a wider list (10 aliases) never
    ends. The 2 MiB size limit does not help. Expected: refused or UNKNOWN quickly (bounded parts)."""
    lines = [
        "Resources:",
        "  Broker1:",
        "    Type: AWS::AmazonMQ::Broker",
        "    Metadata:",
        "      x:",
        "        - &a0 {'Fn::Join': ['', [!Ref AWS::StackName, '-x']]}",
    ]
    lines += [f"        - &a{i} {{'Fn::Join': ['', [*a{i - 1}, *a{i - 1}]]}}" for i in range(1, 26)]
    lines += [
        "    Properties:",
        "      BrokerName: *a25",
        "      DeploymentMode: SINGLE_INSTANCE",
        "      EngineType: ACTIVEMQ",
    ]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    assert path.stat().st_size < 2000
    out = io.StringIO()
    status = check.main([str(path)], stdout=out, stderr=io.StringIO())
    assert status == check.EXIT_UNKNOWN and "over 2,000 values once its aliases are expanded" in out.getvalue()


def test_a_changed_tf_file_brings_its_folder_so_pre_commit_judges_the_brokers_it_changes(tmp_path: Path) -> None:
    """pre-commit passes only the changed files (pass_filenames: the default). A commit that changes
    `locals.tf` to `broker_name = "lonely"` gives mq-network-check only locals.tf: no aws_mq_broker in it,
    so 0 brokers and exit 0, while main.tf's broker (broker_name = local.broker_name) is now NON_COMPLIANT
    (`mq-network-check main.tf` exits 1). The folder's brokers that read the changed locals should be judged."""
    (tmp_path / "main.tf").write_text(
        'resource "aws_mq_broker" "orders" {\n'
        "  broker_name        = local.broker_name\n"
        '  engine_type        = "ActiveMQ"\n'
        '  engine_version     = "5.17.6"\n'
        '  host_instance_type = "mq.t3.micro"\n'
        '  deployment_mode    = "SINGLE_INSTANCE"\n'
        "  user {\n"
        '    username = "admin"\n'
        "    password = var.password\n"
        "  }\n"
        "}\n"
    )
    (tmp_path / "locals.tf").write_text('locals {\n  broker_name = "lonely"\n}\n')
    assert (
        check.main([str(tmp_path / "main.tf")], stdout=io.StringIO(), stderr=io.StringIO()) == check.EXIT_NON_COMPLIANT
    )
    out = io.StringIO()
    status = check.main([str(tmp_path / "locals.tf")], stdout=out, stderr=io.StringIO())
    assert status != check.EXIT_OK, out.getvalue()
