"""What the watcher needs of a new report beside the report itself, worked out in the reader process with the page
(``reading.read_page_and``), so the watcher's own process only coordinates. A module of its own, importing only
the checks and the store's encoding: each reader imports it (its forkserver, once), and importing
``watch.document`` there would load the fetcher, the alerts and the HTTP client into every reader for nothing
(~30 MiB a reader: issue #28's memory at 150,000 sources).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from monitor.checks import copies
from monitor.checks.pipeline import own_findings
from monitor.checks.revision import snapshot
from monitor.model import Finding, Report
from monitor.store import Packed, packed


@dataclass(frozen=True)
class Prepared:
    """What the watcher needs of a new report beside the report, worked out in the reader with the page (the
    watcher's own process only coordinates): its snapshot (stored form, content hash), its copy prints, and the
    findings of the rules that need nothing but the report as read (``checks.pipeline.own_findings``), and what
    the copy checks compare of it (``copies.Compared``: not worked out twice)."""

    data: dict[str, Any]
    content_hash: str
    prints: list[int]
    own: list[Finding] | None  # None: not worked out (the content is the stored version's: nothing is checked)
    compared: copies.Compared | None = None  # what its copy checks compare, worked out with its prints
    packed: Packed | None = None  # its bytes and text as the store keeps them


def prepared(report: Report, raw: bytes, unless: str | None = None) -> Prepared:
    """``Prepared`` for a report as read from ``raw``; only the snapshot when its content hash is ``unless``, the
    stored version's (nothing new is stored then)."""
    data, content_hash = snapshot(report)
    if content_hash == unless:
        return Prepared(data, content_hash, [], None)
    marks, own, kept = copies.prints(report), own_findings(report), packed(raw, report.text)
    return Prepared(data, content_hash, marks, own, copies.compared(report), kept)


def snapshot_of(report: Report, raw: bytes) -> tuple[dict[str, Any], str]:  # noqa: ARG001  (``read_page_and``'s)
    """A stored version's snapshot as its bytes read now (``behind.read_again``)."""
    return snapshot(report)
