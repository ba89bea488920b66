"""Stage: watch, a government's report against its region. After a poll stored new reports of a year, each
government of the source whose report of that year says its figures are its whole region's is checked again
against the same year's reports of the source's bodies that are by their names within its region (its
departments, townships and districts: of the roster, and of the bodies seen on the listing), on whichever source
each was stored; what the check finds anew is told like a new error (``checks.region``)."""

from __future__ import annotations

import hashlib
import logging

from monitor.alerts.events import version_events
from monitor.checks.pipeline import region_findings
from monitor.checks.region import says_whole_region
from monitor.config import Settings, Source
from monitor.model import Report
from monitor.model.bodies import Body, same_name, within
from monitor.store import Store, StoredBody
from monitor.watch.document import PollResult

log = logging.getLogger("govmon")
REGION_RULES = ("region.parts",)


def source_bodies(source: Source, stored: list[StoredBody]) -> list[Body]:
    """The source's bodies: its roster, and the bodies whose reports were stored from its listing (``stored``:
    ``Store.bodies`` of the source and its roster's names)."""
    bodies = list(source.bodies)
    for b in stored:
        if not any(same_name(b.name, x.name) for x in bodies):
            bodies.append(Body(b.name, b.kind or source.kind))
    return bodies


def recheck_regions(
    settings: Settings, store: Store, source: Source, result: PollResult, stored: list[StoredBody]
) -> None:
    """Each government's whole-region report of the years stored this poll, checked against its region's parts
    (``stored``: the bodies the store holds of the source and its roster, as the poll's end judges them)."""
    if not result.stored_years:
        return
    bodies = source_bodies(source, stored)
    if len(bodies) < 2:  # one body's listing (the usual source): no region to compare with
        return
    for year in sorted(result.stored_years):
        for whole in (b for b in bodies if b.kind == "government"):
            report = store.body_report(whole.name, year)
            if report is None or says_whole_region(report) is None:
                continue
            parts: list[Report] = []
            missing: list[str] = []
            for b in (b for b in bodies if within(whole.name, b.name)):
                part = store.body_report(b.name, year)
                if part is not None:
                    parts.append(part)
                else:
                    missing.append(b.name)
            _judge_again(
                settings, store, source, result, body=whole.name, whole=report, year=year, parts=parts, missing=missing
            )


def _judge_again(
    settings: Settings,
    store: Store,
    source: Source,
    result: PollResult,
    *,
    body: str,
    whole: Report,
    year: int,
    parts: list[Report],
    missing: list[str],
) -> None:
    stored = store.body_version(body, year)
    if stored is None:
        return
    old = stored.findings
    found = region_findings(whole, tuple(parts), tuple(missing))
    findings = [f for f in old if f.rule not in REGION_RULES] + found
    if {f.key for f in findings} == {f.key for f in old}:
        return
    told = hashlib.sha256("|".join(f.message for f in found).encode()).hexdigest()[:12]
    events = version_events(
        settings,
        source,
        stored.url,
        whole,
        findings,
        previous=old,
        diff=None,
        content_hash=stored.content_hash,
        because=f"|region:{told}",
        warnings_too=True,
    )
    store.replace_findings(stored.id, findings, result.told(events))
    log.info(
        "source %s: the %d report of %s checked against %d bodies of its region", source.id, year, body, len(parts)
    )
