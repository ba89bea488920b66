"""An event and what it tells: ``Event`` (something worth an alert, idempotent by its key) and its ``Payload``,
the one record the alert templates, the stored event row and the generic JSON webhook read.

The payload is written down here, beside ``Event``, rather than in ``alerts``: the store (a layer below the
alerts) writes it with its event and reads it back when the event is sent. Its JSON (``to_json``) is the stored
form and, after the envelope's ``event``, ``key``, ``subject`` and ``text``, the body of the ``json`` webhook:
README "The JSON webhook body" documents it, tests/test_payload.py pins it. ``PAYLOAD_VERSION`` numbers that
schema: it is raised when a field is removed or changes meaning; a new field is added without raising it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from monitor.model.records import Finding, Number

PAYLOAD_VERSION = 1

Tables = dict[str, dict[str, dict[str, Number | None]]]  # a report's numbers: table -> row -> column (None: blank)


@dataclass(frozen=True)
class AboutReport:
    """The report an event is about, as read (each None where the reading did not find it; all None for a
    report that is missing). ``published`` is its 发布日期, ISO (``2022-01-12``)."""

    title: str | None = None
    year: int | None = None
    published: str | None = None


@dataclass(frozen=True)
class SourceHealth:
    """A portal's listing failing or answering again: the last poll's error (None once it answers) and the polls
    failed in a row."""

    error: str | None
    failures: int


@dataclass(frozen=True)
class ListedReport:
    """One report of a source's first poll, as its summary lists it: what it is, where, how many problems its
    latest version has, and its errors' messages (its own alert is not sent: the summary is, once); or, listed and
    not read, why."""

    title: str | None
    year: int | None
    url: str
    errors: int
    warnings: int
    error_messages: tuple[str, ...] = ()
    body: str | None = None  # the body it is attributed to (a listing of many bodies names each)
    unread: str | None = None  # why it could not be read (listed, not read: review 114), None: read


@dataclass(frozen=True)
class Payload:
    """What an event tells. ``source``, ``agency`` and ``url`` (the report's, or the source's listing) always;
    each other part only where the event has it (None: absent from the JSON, not null):

    - ``health``: a source failing or recovered (``error``, ``failures``);
    - ``report``: the report a report event is about (``title``, ``year``, ``published``);
    - ``diff``: a revision's changes (``sections`` whose text changed, ``cells`` old -> new, metadata ``fields``);
    - ``finding_keys``: a version's findings the event is about, by key (stored; ``with_version`` reads them
      back from the version when the event is sent); ``resolved``: the messages of the findings a new version
      no longer has;
    - ``tables``, ``table_status``, ``findings``: the report's numbers, each table's state, and the findings the
      event is about (a missing report's finding is stored with its event; a version's are read back);
    - ``reports``: a source's first poll: every report found, each with its counts (one summary, not a mail each)."""

    source: str
    agency: str
    url: str
    health: SourceHealth | None = None
    report: AboutReport | None = None
    diff: dict[str, Any] | None = None
    finding_keys: tuple[str, ...] | None = None
    resolved: tuple[str, ...] | None = None
    tables: Tables | None = None
    table_status: dict[str, str] | None = None
    findings: tuple[Finding, ...] | None = None
    reports: tuple[ListedReport, ...] | None = None
    version: int = PAYLOAD_VERSION

    def with_version(self, tables: Tables, table_status: dict[str, str], findings: Iterable[Finding]) -> Payload:
        """The payload as sent: a version's event names its findings by key; here they are (those the version
        still has), with the version's tables. Any other payload is already whole."""
        if self.finding_keys is None:
            return self
        stored = {f.key: f for f in findings}
        named = tuple(stored[k] for k in self.finding_keys if k in stored)
        return replace(self, tables=tables, table_status=table_status, findings=named)

    def to_json(self) -> dict[str, Any]:
        """Its stored form and the JSON webhook's fields, in this order; a part that is None is left out."""
        out: dict[str, Any] = {"version": self.version, "source": self.source, "agency": self.agency, "url": self.url}
        if self.health is not None:
            out |= {"error": self.health.error, "failures": self.health.failures}
        if self.report is not None:
            out |= {"title": self.report.title, "year": self.report.year, "published": self.report.published}
        parts: dict[str, Any] = {
            "diff": self.diff,
            "finding_keys": None if self.finding_keys is None else list(self.finding_keys),
            "resolved": None if self.resolved is None else list(self.resolved),
            "tables": self.tables,
            "table_status": self.table_status,
            "findings": None if self.findings is None else [f.to_json() for f in self.findings],
            "reports": None if self.reports is None else [_listed_json(r) for r in self.reports],
        }
        return out | {k: v for k, v in parts.items() if v is not None}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Payload:
        """A stored payload back. Rows stored before the schema was written down have no ``version``: they are
        the same shape (those of the first database schema carry their tables and findings inline)."""
        version = data.get("version", PAYLOAD_VERSION)
        if not isinstance(version, int) or version > PAYLOAD_VERSION:
            raise ValueError(f"event payload version {version!r}: this govmon reads up to {PAYLOAD_VERSION}")
        health = SourceHealth(data.get("error"), data.get("failures", 0)) if "failures" in data else None
        about = ("title", "year", "published")
        report = AboutReport(*(data.get(k) for k in about)) if any(k in data for k in about) else None
        keys, resolved, findings = data.get("finding_keys"), data.get("resolved"), data.get("findings")
        listed = data.get("reports")
        return cls(
            source=data.get("source") or "",
            agency=data.get("agency") or "",
            url=data.get("url") or "",
            health=health,
            report=report,
            diff=data.get("diff"),
            finding_keys=None if keys is None else tuple(keys),
            resolved=None if resolved is None else tuple(resolved),
            tables=data.get("tables"),
            table_status=data.get("table_status"),
            findings=None if findings is None else tuple(Finding.from_json(f) for f in findings),
            reports=None if listed is None else tuple(_listed(r) for r in listed),
        )


def _listed_json(r: ListedReport) -> dict[str, Any]:
    data = {**asdict(r), "error_messages": list(r.error_messages)}
    if r.body is None:  # a summary stored before reports had bodies writes back as it was
        del data["body"]
    if r.unread is None:  # (and one before unread reports were listed)
        del data["unread"]
    return data


def _listed(data: Mapping[str, Any]) -> ListedReport:
    messages = tuple(data.get("error_messages", ()))
    return ListedReport(
        data["title"],
        data["year"],
        data["url"],
        data["errors"],
        data["warnings"],
        messages,
        data.get("body"),
        data.get("unread"),
    )


@dataclass(frozen=True)
class Event:
    """Something worth an alert. `key` makes it idempotent: the same key is stored (and sent) once."""

    key: str
    # new_report | new_finding | revision | missing | first_poll | source_failing | source_recovered |
    # report_unreadable | test
    kind: str
    source: str | None
    payload: Payload
    recipients: tuple[tuple[str, str], ...]  # (channel, recipient)
