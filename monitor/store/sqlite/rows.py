"""Rows into records: what every part of the SQLite store shares. The connection (``Connected.db``), one row as a
dict in plain sqlite3 (the poll's hot path: sqlite-utils reads the schema per call), and the decoders of the
JSON columns (reports, findings, diffs, payloads) into the model's records."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlite_utils

from monitor.model import Event, Finding, Payload, Report
from monitor.store.records import Delivery, ReportSummary, StoredVersion

# A version's columns, without the raw body and text; ``report`` unpacked (the ``unpack`` SQL function)
VERSION = (
    "v.id, v.document_id, d.url, v.fetched_at, v.sha256, v.content_hash, v.content_type, unpack(v.report) AS report, "
    "v.findings, v.diff"
)


class Connected:
    db: sqlite_utils.Database

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        with self.db.conn:
            yield

    def _row(self, sql: str, args: list[Any]) -> dict[str, Any] | None:
        cur = self.db.conn.execute(sql, args)
        row = cur.fetchone()
        return dict(zip([d[0] for d in cur.description], row, strict=True)) if row else None


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


def stored_form(report: Report) -> str:
    """A report as a version keeps it: ``to_json`` and each section's text (a revision is compared on it)."""
    data = report.to_json()
    data["section_text"] = {str(n): report.section_text(n) for n in range(1, 7)}
    return json.dumps(data, ensure_ascii=False)


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
