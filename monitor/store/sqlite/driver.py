"""sqlite-utils as the store's modules use it (``from monitor.store.sqlite.driver import sqlite_utils``), imported
with numpy kept out of it. sqlite-utils imports numpy when it can, only to store numpy's number types, which govmon
never stores; numpy is installed for the OCR reader (RapidOCR), and every process that opened a SQLite store paid
~50 ms and ~12 MiB for it (`run`'s first request at 150,000 sources was 2.1 s against 2 asked: issue #28). Where
numpy is loaded already (a test run, say) there is nothing to save and nothing is done."""

from __future__ import annotations

import sys


def _without_numpy() -> None:
    if "sqlite_utils" in sys.modules or "numpy" in sys.modules:
        return
    sys.modules["numpy"] = None  # type: ignore[assignment]  # (meanwhile `import numpy` raises ImportError)
    try:
        import sqlite_utils  # noqa: F401, PLC0415
    finally:
        del sys.modules["numpy"]


_without_numpy()

import sqlite_utils  # noqa: E402

__all__ = ["sqlite_utils"]
