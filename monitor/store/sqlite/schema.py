"""The SQLite store's schema: the migrations (``PRAGMA user_version`` counts them; they only ever add, but for
derived tables rebuilt in place). How values are encoded in them is ``store.encoding``'s, shared with PostgreSQL."""

from __future__ import annotations

CHANGED = "UPDATE sources SET changed = random() WHERE id"  # a new mark: see the last migration

MIGRATIONS = [
    """
    CREATE TABLE sources (id TEXT PRIMARY KEY, agency TEXT, kind TEXT, list_url TEXT, last_poll TEXT,
        last_error TEXT, consecutive_failures INTEGER NOT NULL DEFAULT 0, failing_alerted INTEGER NOT NULL DEFAULT 0);
    CREATE TABLE polls (id INTEGER PRIMARY KEY, source TEXT NOT NULL, started TEXT NOT NULL, finished TEXT,
        ok INTEGER, error TEXT, reports INTEGER NOT NULL DEFAULT 0, new_versions INTEGER NOT NULL DEFAULT 0);
    CREATE TABLE pages (url TEXT PRIMARY KEY, etag TEXT, last_modified TEXT, body BLOB, fetched_at TEXT);
    CREATE TABLE documents (id INTEGER PRIMARY KEY, source TEXT NOT NULL, url TEXT NOT NULL UNIQUE, title TEXT,
        year INTEGER, first_seen TEXT NOT NULL, etag TEXT, last_modified TEXT, last_checked TEXT);
    CREATE TABLE versions (id INTEGER PRIMARY KEY, document_id INTEGER NOT NULL REFERENCES documents(id),
        fetched_at TEXT NOT NULL, sha256 TEXT NOT NULL, content_hash TEXT NOT NULL, content_type TEXT,
        raw BLOB NOT NULL, text TEXT, report TEXT NOT NULL, findings TEXT NOT NULL, diff TEXT);
    CREATE INDEX versions_by_document ON versions(document_id, id);
    CREATE TABLE events (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, source TEXT,
        document_id INTEGER, created TEXT NOT NULL, payload TEXT NOT NULL);
    CREATE TABLE deliveries (id INTEGER PRIMARY KEY, event_id INTEGER NOT NULL REFERENCES events(id),
        channel TEXT NOT NULL, recipient TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0, next_attempt TEXT NOT NULL, last_error TEXT, delivered_at TEXT,
        UNIQUE (event_id, channel, recipient));
    CREATE INDEX deliveries_due ON deliveries(status, next_attempt);
    """,
    # events name the version they are about; its tables and findings are read from it when sent
    "ALTER TABLE events ADD COLUMN version_id INTEGER REFERENCES versions(id)",
    # every per-source query of a poll by index: at 20,000 sources a scan per source is quadratic
    """
    CREATE INDEX documents_by_source ON documents(source, year);
    CREATE INDEX versions_by_content ON versions(content_hash);
    CREATE INDEX events_by_version ON events(version_id);
    """,
    # copy detection (copies.py): the LSH band hashes of each document's latest version
    """
    CREATE TABLE prints (version_id INTEGER NOT NULL REFERENCES versions(id), key INTEGER NOT NULL);
    CREATE INDEX prints_by_key ON prints(key);
    CREATE INDEX prints_by_version ON prints(version_id);
    """,
    # a listing's discovered links beside its validators: a 304 needs neither the body nor discover()
    "ALTER TABLE pages ADD COLUMN links TEXT",
    # prints by (key, year): a report's candidates are read a bounded number per band (``similar``); one
    # key shared by thousands of reports (one template copied across a province) cost a scan of all of them
    """
    CREATE TABLE prints_by_year (key INTEGER NOT NULL, year INTEGER NOT NULL, version_id INTEGER NOT NULL,
        PRIMARY KEY (key, year, version_id)) WITHOUT ROWID;
    INSERT OR IGNORE INTO prints_by_year SELECT p.key, d.year, p.version_id FROM prints p
        JOIN versions v ON v.id = p.version_id JOIN documents d ON d.id = v.document_id WHERE d.year IS NOT NULL;
    DROP TABLE prints;
    ALTER TABLE prints_by_year RENAME TO prints;
    CREATE INDEX prints_by_version ON prints(version_id);
    """,
    # robots' tokens out of the outbox: a webhook's recipient is its URL with the credentials redacted
    "UPDATE deliveries SET recipient = redact(recipient) WHERE channel LIKE 'webhook:%'",
    # listed reports that could not be read (status says 无法读取, not missing; the same bytes are not read
    # again), and the polls an admin's `govmon poll --source ID` asks of the running service
    """
    CREATE TABLE unreadable (url TEXT PRIMARY KEY, source TEXT NOT NULL, title TEXT, year INTEGER,
        error TEXT NOT NULL, sha256 TEXT, etag TEXT, last_modified TEXT, first_failed TEXT NOT NULL,
        last_failed TEXT NOT NULL);
    CREATE INDEX unreadable_by_source ON unreadable(source, year);
    CREATE TABLE poll_requests (source TEXT PRIMARY KEY, asked TEXT NOT NULL);
    """,
    # the body that published each report (one listing carries many bodies' reports): a body per normalised
    # name, each document attributed to one. Stored reports are attributed as they were read (their agency;
    # 'read'), else to their source's agency ('assumed'); rosters merge aliases when the sources are synced.
    """
    CREATE TABLE bodies (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, kind TEXT);
    ALTER TABLE documents ADD COLUMN body_id INTEGER REFERENCES bodies(id);
    ALTER TABLE documents ADD COLUMN body_how TEXT;
    CREATE TEMP TABLE derived AS SELECT d.id AS doc, body_name(json_extract(unpack(v.report), '$.agency')) AS read,
        body_name(s.agency) AS agency, coalesce(json_extract(unpack(v.report), '$.kind'), s.kind) AS kind
        FROM documents d JOIN versions v ON v.id = (SELECT max(id) FROM versions WHERE document_id = d.id)
        LEFT JOIN sources s ON s.id = d.source;
    INSERT OR IGNORE INTO bodies (name, kind) SELECT coalesce(read, agency), kind FROM derived
        WHERE coalesce(read, agency) IS NOT NULL ORDER BY doc;
    UPDATE documents SET body_id = (SELECT b.id FROM derived x JOIN bodies b ON b.name = coalesce(x.read, x.agency)
        WHERE x.doc = documents.id), body_how = (SELECT CASE WHEN x.read IS NULL THEN 'assumed' ELSE 'read' END
        FROM derived x WHERE x.doc = documents.id);
    DROP TABLE derived;
    CREATE INDEX documents_by_body ON documents(body_id, year);
    """,
    # copy prints laid out for the disk (sqlite/prints.py): the index ordered by year first, so a fold of the
    # log (one row per version, appended) touches only that year's leaves; the existing rows moved in key order
    """
    CREATE TABLE prints_by_year (year INTEGER NOT NULL, key INTEGER NOT NULL, version_id INTEGER NOT NULL,
        PRIMARY KEY (year, key, version_id)) WITHOUT ROWID;
    INSERT INTO prints_by_year SELECT year, key, version_id FROM prints ORDER BY year, key, version_id;
    DROP TABLE prints;
    ALTER TABLE prints_by_year RENAME TO prints;
    CREATE INDEX prints_by_version ON prints(version_id);
    CREATE TABLE prints_log (version_id INTEGER PRIMARY KEY, year INTEGER NOT NULL, keys BLOB NOT NULL);
    """,
    # what changed since the overview's last build (``Store.source_changes``): each write a source's standing
    # depends on (its polls' end, its documents, versions, findings checked again, reports that could not be
    # read) gives the source a new random mark, in the same transaction, whichever code path wrote it; and
    # whether its listing was ever read kept on the source (a poll's end writes that row anyway), not found by a
    # scan of every poll
    f"""
    ALTER TABLE sources ADD COLUMN changed INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE sources ADD COLUMN ever_read INTEGER NOT NULL DEFAULT 0;
    UPDATE sources SET ever_read = 1 WHERE id IN (SELECT source FROM polls WHERE ok = 1);
    CREATE TRIGGER changed_by_poll AFTER UPDATE OF finished ON polls BEGIN
        UPDATE sources SET changed = random(), ever_read = max(ever_read, coalesce(NEW.ok, 0)) WHERE id = NEW.source;
    END;
    CREATE TRIGGER changed_by_document AFTER INSERT ON documents BEGIN {CHANGED} = NEW.source; END;
    CREATE TRIGGER changed_by_attribution AFTER UPDATE OF source, title, year, body_id, body_how ON documents
        BEGIN {CHANGED} IN (OLD.source, NEW.source); END;
    CREATE TRIGGER changed_by_version AFTER INSERT ON versions
        BEGIN {CHANGED} = (SELECT source FROM documents WHERE id = NEW.document_id); END;
    CREATE TRIGGER changed_by_check AFTER UPDATE OF findings ON versions
        BEGIN {CHANGED} = (SELECT source FROM documents WHERE id = NEW.document_id); END;
    CREATE TRIGGER changed_by_unreadable AFTER INSERT ON unreadable BEGIN {CHANGED} = NEW.source; END;
    CREATE TRIGGER changed_by_unreadable_again AFTER UPDATE ON unreadable
        BEGIN {CHANGED} IN (OLD.source, NEW.source); END;
    CREATE TRIGGER changed_by_readable AFTER DELETE ON unreadable BEGIN {CHANGED} = OLD.source; END;
    """,
    # a body's kind (its deadline) changed in the store by sources.toml's roster (``sync_sources``) or by a report
    # read: a new mark for every source that stored a report of it (one shows the body under that kind); the
    # roster's source may have been built with its new roster before the store learnt it. Only when it changes:
    # every sync writes each rostered body's kind again.
    f"""
    CREATE TRIGGER changed_by_kind AFTER UPDATE OF kind ON bodies WHEN OLD.kind IS NOT NEW.kind
        BEGIN {CHANGED} IN (SELECT source FROM documents WHERE body_id = NEW.id); END;
    """,
    # what a start of `run` reads, whatever the size of the database: the digest of the sources the last
    # ``sync_sources`` wrote (``encoding.sources_digest``; one row), so a restart with the same sources compares none
    # of their rows (a migration that changes sources' agency, kind or list_url must empty it: the next sync then
    # compares every row); and the polls not finished (``mark_interrupted`` at every start), found by an index of
    # those alone, as PostgreSQL's ``polls_open``, not by a scan of every poll ever made (600,000 a day at 150,000
    # sources: 0.28 s at 3 million, from a warm cache)
    """
    CREATE TABLE sources_synced (digest TEXT NOT NULL);
    CREATE INDEX polls_open ON polls(source) WHERE finished IS NULL;
    """,
    # reports not read at all because govmon was stopping (未读取：…) were kept as unreadable, and so never read
    # again while their bytes stayed the same (``errors.NotRead`` now keeps them out): forgotten, read next poll
    "DELETE FROM unreadable WHERE error LIKE '未读取：%'",
    # when each source's listing was last read whole (its last poll that ended without error): ``status`` calls a
    # report 逾期未发布 only where that was after its deadline (a listing last read the day before is no evidence)
    """
    ALTER TABLE sources ADD COLUMN last_read TEXT;
    UPDATE sources SET last_read = r.finished FROM (SELECT source, max(finished) AS finished FROM polls WHERE ok = 1
        GROUP BY source) AS r WHERE r.source = sources.id;
    DROP TRIGGER changed_by_poll;
    CREATE TRIGGER changed_by_poll AFTER UPDATE OF finished ON polls BEGIN
        UPDATE sources SET changed = random(), ever_read = max(ever_read, coalesce(NEW.ok, 0)),
            last_read = CASE WHEN NEW.ok = 1 THEN NEW.finished ELSE last_read END WHERE id = NEW.source;
    END;
    """,
]


BODIES_MIGRATION = 9  # the migration that attributes stored reports to bodies (``Bodies._merge_forms`` after it)
