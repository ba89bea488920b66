"""The event payload written down (``model.events.Payload``) and the JSON webhook body it makes: every shape an
event row has been stored in loads and writes back the same, and the body's schema (README "The JSON webhook
body") is pinned field by field."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from monitor.alerts.channels import Outgoing
from monitor.alerts.channels.webhook import json_body
from monitor.alerts.render import Renderer, sample_payload
from monitor.model import PAYLOAD_VERSION, Finding, Payload

FINDING = {
    "rule": "appeals.total",
    "severity": "error",
    "table": "appeals",
    "row": "review",
    "column": None,
    "expected": 0,
    "actual": 2,
    "message": "行政复议：结果维持(0)+结果纠正(0)+其他结果(0)+尚未审结(0)=0，但总计为2",
    "key": "appeals.total|appeals|review|",
    "cells": [["review", "total"]],
}
MISSING = {
    "rule": "timeliness.missing",
    "severity": "error",
    "table": None,
    "row": 2025,
    "column": None,
    "expected": None,
    "actual": None,
    "message": "示例县人民政府2025年度政府信息公开工作年度报告在法定期限2026-03-31后仍未在门户网站上找到",
    "key": "timeliness.missing||2025|",
    "cells": [],
}
BASE = {
    "source": "tianmen",
    "agency": "天门市政务服务和大数据管理局",
    "url": "http://example.gov.cn/nb/t.html",
    "title": "天门市政务服务和大数据管理局2021年政府信息公开工作年度报告",
    "year": 2021,
    "published": "2022-01-12",
}
DIFF = {
    "sections": ["3"],
    "cells": [{"table": "appeals", "row": "review", "column": "total", "old": 0, "new": 2}],
    "fields": {},
}
TABLES = {"appeals": {"review": {"upheld": 0, "corrected": 0, "other": 0, "pending": 0, "total": 2}}}
VERSION = {"tables": TABLES, "table_status": {"appeals": "parsed"}, "findings": [FINDING]}

# Each kind's payload as stored before the record was written down (the dicts of alerts.py, key for key),
# and as its version's tables and findings filled it in to be sent.
STORED = {
    "new_report": {**BASE, "finding_keys": [FINDING["key"]]},
    "revision": {**BASE, "diff": DIFF, "finding_keys": [FINDING["key"]], "resolved": ["已解决的问题"]},
    "new_finding": {**BASE, "finding_keys": [FINDING["key"]], "resolved": []},
    "missing": {
        "source": "down",
        "agency": "示例县人民政府",
        "url": "http://example.gov.cn/nb/",
        "title": None,
        "year": 2025,
        "published": None,
        "tables": {},
        "table_status": {},
        "findings": [MISSING],
    },
    "source_failing": {
        "source": "down",
        "agency": "示例县人民政府",
        "url": "http://example.gov.cn/nb/",
        "error": "HTTP 404",
        "failures": 3,
        "findings": [],
    },
    "source_recovered": {
        "source": "down",
        "agency": "示例县人民政府",
        "url": "http://example.gov.cn/nb/",
        "error": None,
        "failures": 0,
        "findings": [],
    },
    "first_poll": {
        "source": "tianmen",
        "agency": "天门市政务服务和大数据管理局",
        "url": "http://example.gov.cn/nb/",
        "findings": [],
        "reports": [
            {
                "title": BASE["title"],
                "year": 2021,
                "url": BASE["url"],
                "errors": 1,
                "warnings": 0,
                "error_messages": [FINDING["message"]],
            },
            {
                "title": None,
                "year": None,
                "url": "http://example.gov.cn/nb/t2.html",
                "errors": 0,
                "warnings": 2,
                "error_messages": [],
            },
        ],
    },
    "first_schema": {**BASE, **VERSION},  # database schema 1: tables and findings inside the event
}


@pytest.mark.parametrize("shape", list(STORED))
def test_every_stored_shape_loads_and_writes_back_the_same_fields_in_the_same_order(shape):
    stored = STORED[shape]
    written = Payload.from_json(stored).to_json()
    assert list(written.items()) == [("version", PAYLOAD_VERSION), *stored.items()]
    assert Payload.from_json(written) == Payload.from_json(stored)


@pytest.mark.parametrize("kind", ["new_report", "revision", "new_finding"])
def test_a_version_event_is_sent_with_the_findings_it_names_and_its_version_tables(kind):
    stored = Payload.from_json(STORED[kind])
    other = Finding("x.y", "warning", "另一条", table="appeals")
    sent = stored.with_version(TABLES, {"appeals": "parsed"}, [other, Finding.from_json(FINDING)])
    assert list(sent.to_json().items()) == [("version", PAYLOAD_VERSION), *STORED[kind].items(), *VERSION.items()]
    assert stored.with_version({}, {}, []).findings == ()  # a finding the version no longer has is not sent
    missing = Payload.from_json(STORED["missing"])
    assert missing.with_version(TABLES, {}, []) is missing  # its finding is its own


def test_a_payload_from_a_newer_govmon_is_refused():
    with pytest.raises(ValueError, match="version 2: this govmon reads up to 1"):
        Payload.from_json({**STORED["new_report"], "version": 2})


# The JSON webhook body, version 1: the envelope, then the payload's fields in this order (each kind has a part).
ENVELOPE = ["event", "key", "subject", "text", "version", "source", "agency", "url"]
FIELDS = {
    "new_report": ["title", "year", "published", "finding_keys", "tables", "table_status", "findings"],
    "revision": [
        "title",
        "year",
        "published",
        "diff",
        "finding_keys",
        "resolved",
        "tables",
        "table_status",
        "findings",
    ],
    "new_finding": ["title", "year", "published", "finding_keys", "resolved", "tables", "table_status", "findings"],
    "missing": ["title", "year", "published", "tables", "table_status", "findings"],
    "source_failing": ["error", "failures", "findings"],
    "source_recovered": ["error", "failures", "findings"],
    "first_poll": ["findings", "reports"],
    "test": ["error", "failures", "title", "year", "published", "tables", "table_status", "findings"],
}
FINDING_FIELDS = ["rule", "severity", "table", "row", "column", "expected", "actual", "message", "key", "cells"]


@pytest.mark.parametrize("kind", list(FIELDS))
def test_the_json_webhook_body_schema(kind):
    renderer = Renderer()
    if kind == "test":
        payload = sample_payload("test")
    else:
        payload = Payload.from_json(STORED[kind]).with_version(
            TABLES, {"appeals": "parsed"}, [Finding.from_json(FINDING)]
        )
    rendered = renderer.render(kind, payload)
    request = json_body(Outgoing(kind, f"{kind}|k", payload, rendered), "s3cret")
    body = json.loads(request.body)
    assert list(body) == ENVELOPE + FIELDS[kind]
    assert (body["event"], body["key"], body["version"]) == (kind, f"{kind}|k", 1)
    assert (body["subject"], body["text"]) == (rendered.subject, rendered.text)
    assert all(list(f) == FINDING_FIELDS for f in body["findings"])
    assert request.headers["X-Govmon-Event"] == kind
    signature = hmac.new(b"s3cret", request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-Govmon-Signature"] == f"sha256={signature}"
    assert request.body == json.dumps(body, ensure_ascii=False).encode()  # UTF-8, not \u escapes
