"""How both stores encode what they keep, and decode it into records: a body's name as stored, text packed
with zlib, timestamps, and the JSON columns (reports, findings, diffs, payloads) into the model's and the store's
records. SQLite and PostgreSQL differ in their SQL, never in these."""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from monitor.model import Event, Finding, Payload, Report
from monitor.model.bodies import normal_name
from monitor.store.records import Delivery, Listing, NewVersion, Packed, ReportSummary, StoredVersion

if TYPE_CHECKING:
    from monitor.config import Source

PER_BAND = 20  # other sources' reports read per band hash when looking for the reports a new one may copy


# Nothing the stores hold back waits longer than an hour (a retry's backoff, alerts.outbox.backoff; a lease,
# lease_seconds; a delivery's claim): a stamp further ahead than this was made by a clock that was ahead (then
# corrected), and holds nothing back, or it would for as long as the clock had been ahead (120 days, say).
HORIZON = timedelta(hours=2)


def body_name(name: str | None) -> str | None:
    """A body's name as stored (``model.bodies.normal_name``); in SQL: ``body_name(col)``."""
    return normal_name(name) if name else None


_SYNCED = attrgetter("id", "agency", "kind", "list_url")


def sources_digest(sources: Sequence[Source]) -> str:
    """What ``sync_sources`` writes of each source (its id, agency, kind and listing URL), in order, as one
    digest: a restart whose sources are those of the last sync, as the store keeps its digest, reads and writes
    none of their rows (at 150,000 sources, ~0.3 s of `run`'s start saved for ~0.05 s). Each field ends in a unit
    separator and each source in a record separator (sources.toml's values hold no control character)."""
    digest = hashlib.blake2b(digest_size=16)
    for row in map(_SYNCED, sources):
        digest.update("\x1f".join(row).encode("utf-8", "surrogatepass") + b"\x1e")
    return digest.hexdigest()


def pack(text: str) -> bytes:
    """A version's text or report JSON as stored: zlib (a tenth of the database's size at 20,000 sources), at
    level 3: level 6 cost ~0.22 ms a blob of ~12 KB, once in the reader (the text) and once in the watcher (the
    report), for blobs ~4 % smaller."""
    return zlib.compress(text.encode("utf-8"), 3)


def unpack(value: bytes | str | None) -> str | None:
    """What ``pack`` stored, as text; rows written by an older govmon hold plain text (a schema-5 database
    may hold both). In SQL: ``unpack(col)``."""
    return zlib.decompress(value).decode("utf-8") if isinstance(value, bytes) else value


def fetched(body: bytes) -> bytes:
    """A page's bytes as fetched, as both stores keep them (a version's raw bytes, a listing page's body): zlib at
    level 3, not 6. They are kept to be read again, seldom, and are a few hundred KB of Word-pasted HTML: level 6
    was 1.3-1.9 ms of a portal page's first pass for blobs 12-18 % smaller. Decompressing is the same at any level."""
    return zlib.compress(body, 3)


def packed(raw: bytes, text: str) -> Packed:
    """A version's raw bytes and text as both stores keep them."""
    return Packed(fetched(raw), pack(text))


def version_row(v: NewVersion) -> tuple[str, str, str | None, bytes, bytes, bytes, str, str | None]:
    """A new version's columns as both stores keep them: sha256, content_hash, content_type, raw, text, report,
    findings, diff."""
    kept = v.packed or packed(v.raw, v.report.text)
    # the report as stored is packed here, not by the reader: the watcher names its body after reading it
    # (``attribute_report`` sets its agency and kind)
    raw, text, report = kept.raw, kept.text, pack(json.dumps(v.report.stored(), ensure_ascii=False))
    diff = json.dumps(v.diff, ensure_ascii=False) if v.diff else None
    return v.sha256, v.content_hash, v.content_type, raw, text, report, findings_json(v.findings), diff


def listing_json(listing: Listing) -> str:
    """A listing page's links as both stores keep them (``pages.links``): each link (url, title, year), and apart
    from them the doubts of those that have one (``discover.Link.doubt``) and the way they were found, which an
    older govmon reading the same database (a worker not yet upgraded, a rollback) passes over."""
    kept: dict[str, Any] = {
        "links": [[url, title, year] for url, title, year, _ in listing.links],
        "next": listing.next,
        "pattern": listing.pattern,
    }
    if doubts := {url: doubt for url, _, _, doubt in listing.links if doubt}:
        kept["doubts"] = doubts
    if listing.found_by:
        kept["found_by"] = listing.found_by
    return json.dumps(kept, ensure_ascii=False)


def listing_of(text: str | None) -> Listing | None:
    """``listing_json``'s text back."""
    if not text:
        return None
    kept = json.loads(text)
    doubts = kept.get("doubts", {})
    links = tuple((url, title, year, doubts.get(url, "")) for url, title, year, *_ in kept["links"])
    return Listing(links, kept["next"], kept.get("pattern"), kept.get("found_by", 0))


def now() -> str:
    return iso(datetime.now(UTC))


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="seconds")


def findings(text: str | None, cells: bool = True) -> list[Finding]:
    """Stored findings; without ``cells`` the cells each names are left out (a year's standings hold every
    source's findings at once: the cells were two thirds of their memory)."""
    if not text:
        return []
    return [Finding.from_json(f if cells else {**f, "cells": ()}) for f in json.loads(text)]


def findings_json(found: Sequence[Finding]) -> str:
    return json.dumps([f.to_json() for f in found], ensure_ascii=False)


def diff(text: str | None) -> dict[str, Any] | None:
    return json.loads(text) if text else None


def summary(text: str | None) -> ReportSummary | None:
    return ReportSummary.of(json.loads(text)) if text else None


def version(row: dict[str, Any]) -> StoredVersion:
    """A row of ``VERSION`` columns as a ``StoredVersion``."""
    data = json.loads(row["report"])
    return StoredVersion(
        id=row["id"],
        document_id=row["document_id"],
        url=row["url"],
        fetched_at=row["fetched_at"],
        sha256=row["sha256"],
        content_hash=row["content_hash"],
        content_type=row["content_type"],
        report=Report.from_json(data),
        findings=findings(row["findings"]),
        diff=diff(row["diff"]),
        section_text=data.get("section_text", {}),
    )


def delivery(row: dict[str, Any]) -> Delivery:
    """A delivery joined with its event (``kind``, ``key``, ``source``, ``payload``, ``created``) and, when
    selected, its version's ``report`` and ``findings``."""
    event = Event(row["key"], row["kind"], row["source"], Payload.from_json(json.loads(row["payload"])), ())
    return Delivery(
        id=row["id"],
        channel=row["channel"],
        recipient=row["recipient"],
        status=row["status"],
        attempts=row["attempts"],
        next_attempt=row["next_attempt"],
        last_error=row["last_error"],
        delivered_at=row["delivered_at"],
        event_id=row["event_id"],
        created=row["created"],
        event=event,
        report=summary(row.get("report")),
        findings=findings(row["findings"]) if row.get("findings") is not None else None,
    )
