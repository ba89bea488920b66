"""Round trips to PostgreSQL per new report on a first pass: one `govmon poll` (``service.poll_once``, one worker)
over N local sources (bench_poll's portals, each source one new report), its connections to the database through
a proxy that reads the wire protocol.

    python benchmarks/roundtrips.py [--sources N] [--hosts H] [--top K]

A round trip is a point where the client waits for the server: a Sync (its ReadyForQuery answers it: one per
statement outside a pipeline, per ``conn.pipeline()`` block or sync inside one; BEGIN and COMMIT one each) or
a Flush (a result asked for inside a pipeline). A statement is an Execute (or a simple Query). Printed: both per new report (the pass's totals divided by
the versions it stored; the whole poll's, its listing reads and host slots too), and the K commonest round trips
by the first statement they carry (its first words), per new report. Counts, not times: the same on any machine.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import dataclasses
import json
import re
import socket
import struct
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from bench_poll import bench_settings
from bench_workers import Server, held

from monitor.alerts.render import Renderer
from monitor.store import open_store
from monitor.watch.service import poll_once

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from pg import cluster, fresh_database  # noqa: E402  (the tests' throwaway PostgreSQL)


class Counted:
    """What the proxy saw: each round trip as the statements sent before its ReadyForQuery."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.trips: list[list[str]] = []

    def closed(self, statements: list[str]) -> None:
        with self.lock:
            self.trips.append(statements)


def _messages(buf: bytearray, typed: bool = True) -> list[tuple[bytes, bytes]]:
    """Whole messages at the front of ``buf`` (removed from it): (type, body)."""
    out = []
    while True:
        head = 5 if typed else 4
        if len(buf) < head:
            return out
        size = struct.unpack("!I", buf[head - 4 : head])[0]
        if len(buf) < head - 4 + size:
            return out
        out.append((bytes(buf[:1]) if typed else b"", bytes(buf[head : head - 4 + size])))
        del buf[: head - 4 + size]


def _cstr(data: bytes, at: int = 0) -> tuple[str, int]:
    end = data.index(b"\0", at)
    return data[at:end].decode("utf-8", "replace"), end + 1


class Session:
    """One client connection's statements, matched to the ReadyForQuery that ends each round trip."""

    def __init__(self, counted: Counted) -> None:
        self.counted = counted
        self.started = False
        self.to_server, self.to_client = bytearray(), bytearray()
        self.prepared: dict[str, str] = {}
        self.unnamed = ""
        self.bound = ""
        self.sent: collections.deque[list[str]] = collections.deque([[]])

    def client(self, data: bytes) -> None:
        self.to_server += data
        if not self.started:
            if not _messages(self.to_server, typed=False):
                return
            self.started = True
        for kind, body in _messages(self.to_server):
            if kind == b"P":
                name, at = _cstr(body)
                query, _ = _cstr(body, at)
                self.prepared[name] = query
            elif kind == b"B":
                _, at = _cstr(body)
                self.bound = self.prepared.get(_cstr(body, at)[0], "?")
            elif kind == b"E":
                self.sent[-1].append(self.bound)
            elif kind == b"Q":
                self.sent[-1].append(_cstr(body)[0])
                self.sent.append([])
            elif kind == b"S":
                self.sent.append([])
            elif kind == b"H" and self.sent[-1]:  # a flush inside a pipeline: the client waits for what it sent
                self.counted.closed(self.sent[-1])
                self.sent[-1] = []

    def server(self, data: bytes) -> None:
        self.to_client += data
        for kind, _ in _messages(self.to_client):
            if kind == b"Z":
                self.counted.closed(self.sent.popleft() if len(self.sent) > 1 else [])


def proxy(target: int, counted: Counted) -> int:
    """A counting proxy to 127.0.0.1:``target`` in a thread of its own; its port."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    port = [0]

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, seen: Any) -> None:
        while data := await reader.read(65536):
            seen(data)
            writer.write(data)
            await writer.drain()
        writer.close()

    async def accepted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", target)
        session = Session(counted)
        await asyncio.gather(
            pipe(reader, up_writer, session.client), pipe(up_reader, writer, session.server), return_exceptions=True
        )

    async def start() -> None:
        server = await asyncio.start_server(accepted, "127.0.0.1", 0)
        port[0] = server.sockets[0].getsockname()[1]
        ready.set()
        await server.serve_forever()

    threading.Thread(target=lambda: loop.run_until_complete(start()), daemon=True).start()
    ready.wait(10)
    return port[0]


def _words(sql: str) -> str:
    return re.sub(r"\d+", "N", " ".join(sql.split()[:4]))[:60] or "(sync)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=100, metavar="N")
    parser.add_argument("--hosts", type=int, default=4, metavar="H")
    parser.add_argument("--top", type=int, default=25, metavar="K")
    args = parser.parse_args()
    server = Server(args.hosts)
    counted = Counted()
    with tempfile.TemporaryDirectory() as tmp, cluster() as server_url:
        url = fresh_database(server_url, "roundtrips")
        port = int(url.rsplit(":", 1)[1].split("/", 1)[0])
        via = proxy(port, counted)
        settings = bench_settings(Path(tmp), args.sources, args.hosts, server.port)
        settings = dataclasses.replace(
            settings, database_url=url.replace(f":{port}/", f":{via}/") + "?sslmode=disable&gssencmode=disable"
        )
        open_store(settings).close()  # the schema made before counting
        counted.trips.clear()
        polled = asyncio.run(poll_once(settings, None, Renderer(settings.templates_dir)))
        trips = list(counted.trips)
        documents, versions = held(settings)
    server.process.terminate()
    per = max(versions, 1)
    by_first = collections.Counter(_words(t[0]) if t else "(sync)" for t in trips)
    out = {
        "sources": args.sources,
        "failed": sum(bool(r.error or r.problems) for r in polled.results),
        "documents": documents,
        "versions": versions,
        "round_trips_per_new_report": round(len(trips) / per, 2),
        "statements_per_new_report": round(sum(len(t) for t in trips) / per, 2),
        "round_trips_by_first_statement_per_report": {k: round(n / per, 2) for k, n in by_first.most_common(args.top)},
    }
    print(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    socket.setdefaulttimeout(None)
    main()
