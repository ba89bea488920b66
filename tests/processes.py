"""govmon as a process, for the tests that run it as users and systemd do: the installed console script, run to its
end, and a wait on a condition (never on a time: generous, for a busy machine)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path

GOVMON = str(Path(sys.executable).parent / "govmon")


async def govmon(*args: str) -> tuple[int, str, str]:
    """``govmon ARGS`` to its end: exit code, stdout, stderr."""
    proc = await asyncio.create_subprocess_exec(
        GOVMON, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await proc.communicate()
    return proc.returncode or 0, out.decode(), err.decode()


async def wait_for(predicate: Callable[[], object], seconds: float = 90.0) -> None:
    """Until ``predicate()`` holds; a failure after ``seconds``."""
    for _ in range(int(seconds / 0.05)):
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out waiting")
