"""Every real page, read as govmon reads it: is each error it raises resting on numbers read for certain?

    python benchmarks/certainty.py [FILE_OR_FOLDER ...]   # default: ../shared/corpus and ../shared/seeds
    python benchmarks/certainty.py --json ...             # the same, one JSON object per input

For each input it prints whether it was recognised as a report, how many error and warning findings it has,
how many of its table values were read without certainty (``doubts``), and for each error the cells behind it
and whether every one was read for certain (a number, placed by its header or an exact count, no doubt).
An error with an uncertain operand is a defect of govmon, not of the report: the script ends with status 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from monitor.checks.pipeline import run_rules
from monitor.errors import InputError
from monitor.model import Finding, Report
from monitor.reading.report import read_report

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = [ROOT.parent / "shared" / "corpus", ROOT.parent / "shared" / "seeds"]


@dataclass
class Measured:
    name: str
    report: Report | None
    refused: str | None = None
    errors: list[Finding] = field(default_factory=list)
    warnings: int = 0
    doubts: int = 0
    operands: list[tuple[str, str, bool]] = field(default_factory=list)  # (rule, cell, read for certain)


def _certain(report: Report, table: str | None, cell: tuple[str, str]) -> bool:
    t = report.tables.get(table or "")
    value = t.rows.get(cell[0], {}).get(cell[1]) if t is not None else None
    return value is not None and value.number is not None and not value.doubt


def measure(paths: list[Path]) -> list[Measured]:
    files = [p for path in paths for p in (sorted(path.iterdir()) if path.is_dir() else [path]) if p.is_file()]
    out = []
    for path in files:
        try:
            report = read_report(path.read_bytes(), str(path))
        except InputError as exc:
            out.append(Measured(path.name, None, str(exc)))
            continue
        findings = run_rules(report)
        m = Measured(path.name, report)
        m.errors = [f for f in findings if f.severity == "error"]
        m.warnings = len(findings) - len(m.errors)
        m.doubts = sum(len(t.doubts()) for t in report.tables.values())
        for f in m.errors:
            for r, c in f.cells:
                value = report.tables[f.table].rows.get(r, {}).get(c) if f.table in report.tables else None
                blank = value is not None and value.blank
                m.operands.append((f.rule, f"{r}·{c}", blank or _certain(report, f.table, (r, c))))
        out.append(m)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("inputs", nargs="*", type=Path, help="files or folders (default: the corpus and seeds)")
    parser.add_argument("--json", action="store_true", help="one JSON object per input")
    args = parser.parse_args(argv)
    rows = measure(args.inputs or DEFAULT)
    uncertain = 0
    for m in rows:
        bad = [o for o in m.operands if not o[2]]
        uncertain += len(bad)
        if args.json:
            print(
                json.dumps(
                    {
                        "input": m.name,
                        "report": m.report is not None,
                        "refused": m.refused,
                        "errors": [f.rule for f in m.errors],
                        "warnings": m.warnings,
                        "doubts": m.doubts,
                        "operands": len(m.operands),
                        "uncertain_operands": [list(o) for o in bad],
                    },
                    ensure_ascii=False,
                )
            )
            continue
        if m.report is None:
            print(f"{m.name:44} not a report: {m.refused}")
            continue
        print(f"{m.name:44} report  errors={len(m.errors)} warnings={m.warnings} doubts={m.doubts}")
        for f in m.errors:
            cells = [o for o in m.operands if o[0] == f.rule]
            state = "every operand certain" if all(o[2] for o in cells) else "UNCERTAIN OPERAND"
            print(f"    [error] {f.rule}: {len(f.cells)} cells, {state}")
    if not args.json:
        recognised = sum(m.report is not None for m in rows)
        errors = sum(len(m.errors) for m in rows)
        print(f"{len(rows)} inputs: {recognised} reports recognised, {errors} errors, {uncertain} uncertain operands")
    return 1 if uncertain else 0


if __name__ == "__main__":
    sys.exit(main())
