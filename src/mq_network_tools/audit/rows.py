"""What every audit source produces: a Row per broker, a Failure per account and region it could not
read, and the Summary; AuditError and SourceUnreadableError for a run that judged nothing.

Both sources (accounts.py, every account and region listed; aggregator.py, one AWS Config
aggregator) build these, and output.py writes them, so neither source imports the other or the
command line.
"""

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from mq_network.core import COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE, VERDICTS
from mq_network_tools.cli_options import printable

if TYPE_CHECKING:
    from mq_network.core import BrokerFacts, Verdict
    from mq_network_tools.audit.accounts import Account, Target

# The columns of the table and the CSV; JSON adds each row's links.
FIELDS = ("account", "region", "broker_id", "name", "mode", "engine", "verdict", "annotation")


class Row(NamedTuple):
    account: str
    region: str
    broker_id: str
    name: str
    mode: str
    engine: str
    verdict: str
    annotation: str
    # Each direct bridge: (peer broker ID or "external:<id or host>", its label, "both"|"out"|"in").
    # Empty in name mode (no connector is read). In JSON and the pictures, not in table or CSV.
    links: tuple[tuple[str, str, str, str], ...] = ()


def judged_row(account: str, region: str, broker: "BrokerFacts", verdict: "Verdict", evidence: object = None) -> Row:
    """One broker's line of every output, whichever source read it."""
    return Row(
        account,
        region,
        broker.broker_id,
        broker.label,
        broker.deployment_mode or "",
        broker.engine_type or "",
        verdict.compliance,
        verdict.annotation,
        tuple((link.node, link.label, link.direction, link.kind) for link in getattr(evidence, "links", ())),
    )


class Failure(NamedTuple):
    account: str
    region: str
    reason: str


class AuditError(Exception):
    """A usage or credential problem: nothing was audited (exit status 2)."""


class SourceUnreadableError(Exception):
    """The source itself (the aggregator) could not be read: nothing was judged (exit status 3)."""


class Summary(NamedTuple):
    brokers: int
    verdicts: dict[str, int]
    accounts_requested: int
    accounts_read: int
    regions_requested: int
    regions_read: int
    failures: int
    seconds: float
    check_mode: str = "name"
    note: str = ""  # what the source could not tell (the aggregator's items carry no broker state)

    @classmethod
    def of(
        cls,
        rows: Sequence[Row],
        failures: Sequence[Failure],
        accounts: "Sequence[Account]",
        targets: "Sequence[Target]",
        elapsed: float,
        regions: Sequence[str] | None = None,
        check_mode: str = "name",
    ) -> "Summary":
        failed = {(f.account, f.region) for f in failures}
        read = [t for t in targets if (t.account, t.region) not in failed]
        requested = set(regions or ()) | {t.region for t in targets} | {f.region for f in failures if f.region != "*"}
        return cls(
            brokers=len(rows),
            verdicts=count_verdicts(rows),
            accounts_requested=len(accounts),
            accounts_read=len({t.account for t in read}),
            regions_requested=len(requested),
            regions_read=len({t.region for t in read}),
            failures=len(failures),
            seconds=round(elapsed, 2),
            check_mode=check_mode,
        )

    def line(self) -> str:
        count = self.verdicts
        return (
            f"{_count(self.brokers, 'broker')}: {count[COMPLIANT]} compliant, {count[NON_COMPLIANT]} "
            f"non-compliant, {count[NOT_APPLICABLE]} not applicable; read {self.accounts_read} of "
            f"{_count(self.accounts_requested, 'account')} and {self.regions_read} of "
            f"{_count(self.regions_requested, 'region')}, {_count(self.failures, 'failure')}; {self.seconds:.1f} s"
            + (f"; {printable(self.note)}" if self.note else "")
        )


class Audited(NamedTuple):
    """What a source hands back to be written: its rows, its failures and the summary."""

    rows: list[Row]
    failures: list[Failure]
    summary: Summary


def count_verdicts(rows: Sequence[Row]) -> dict[str, int]:
    return {kind: sum(row.verdict == kind for row in rows) for kind in VERDICTS}


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
