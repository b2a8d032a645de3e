"""The audit's six outputs: table (the default), json, csv, and the pictures (html, dot, mermaid).

Each output imports only what it writes with (json, csv, picture.py), when it is chosen. Everything
read from AWS is escaped: no terminal control sequence (cli_options.printable), no spreadsheet
formula (OWASP's rule for CSV injection).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from mq_network.core import COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE
from mq_network_tools.audit.rows import FIELDS, Failure, Row, Summary
from mq_network_tools.cli_options import printable

OUTPUTS = ("table", "json", "csv", "html", "dot", "mermaid")
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")  # OWASP: cells a spreadsheet would evaluate
_COLOURS = {COMPLIANT: "\033[32m", NON_COMPLIANT: "\033[31m", NOT_APPLICABLE: "\033[90m"}
_HEADERS = ("ACCOUNT", "REGION", "BROKER ID", "NAME", "MODE", "ENGINE", "VERDICT", "ANNOTATION")


def write_results(
    rows: Sequence[Row],
    failures: Sequence[Failure],
    summary: Summary,
    output: str,
    out: TextIO,
    colour: bool = False,
) -> None:
    """The rows in the chosen output (the failures and the summary where the output carries them)."""
    if output == "json":
        _json(rows, failures, summary, out)
    elif output == "csv":
        _csv(rows, out)
    elif output in ("html", "dot", "mermaid"):
        from mq_network_tools.audit import picture

        render = {"html": picture.html, "dot": picture.dot, "mermaid": picture.mermaid}[output]
        out.write(render(rows, failures, summary))
    else:
        _table(rows, out, colour)


def _json(rows: Sequence[Row], failures: Sequence[Failure], summary: Summary, out: TextIO) -> None:
    import json

    document = {
        "results": [
            {
                **row._asdict(),
                "links": [dict(zip(("to", "label", "direction", "kind"), link, strict=True)) for link in row.links],
            }
            for row in rows
        ],
        "failures": [failure._asdict() for failure in failures],
        "summary": summary._asdict(),
    }
    out.write(json.dumps(document, indent=2) + "\n")  # one string, one write: json.dump writes each token


def _csv(rows: Sequence[Row], out: TextIO) -> None:
    import csv

    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIELDS)
    writer.writerows([_spreadsheet_safe(printable(str(value))) for value in row[: len(FIELDS)]] for row in rows)


def _spreadsheet_safe(cell: str) -> str:
    """OWASP's rule for CSV injection: a cell a spreadsheet would evaluate starts with a quote."""
    return "'" + cell if cell.startswith(_FORMULA_PREFIXES) else cell


def _table(rows: Sequence[Row], out: TextIO, colour: bool) -> None:
    cleaned = [[printable(str(value)) for value in row[: len(FIELDS)]] for row in rows]
    widths = [max([len(h), *(len(row[i]) for row in cleaned)]) for i, h in enumerate(_HEADERS[:-1])]
    out.write("  ".join(h.ljust(w) for h, w in zip(_HEADERS[:-1], widths, strict=True)) + "  ANNOTATION\n")
    for row, values in zip(rows, cleaned, strict=True):
        cells = [value.ljust(width) for value, width in zip(values[:-1], widths, strict=True)]
        if colour:
            cells[6] = f"{_COLOURS.get(row.verdict, '')}{cells[6]}\033[0m"
        out.write("  ".join(cells) + "  " + values[-1] + "\n")
