"""The candidate reports a store keeps decoded, by version id, for both stores' ``similar``.

A new report is compared with the reports its copy prints point to, and a province's reports copied from one
template are each other's candidates again and again: decoding one (unpack, JSON, ``Report.from_json``) costs
~1 ms, and working out what its copy checks compare (``checks.copies.compared``, kept as long as the decoded
report is) ~2.5 ms. A version's report never changes, so the last DECODED candidates are kept: ~400 KiB each with
what is compared, ~60 MiB in all. With 64 kept, a first pass of 1,000 real pages decoded its 133 distinct
candidates 488 times; with 160, the watcher's peak memory was still lower than with the shingle caches this
replaced.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence

from monitor.model import Report

DECODED = 160


class Decoded:
    def __init__(self, size: int = DECODED) -> None:
        self.size = size
        self.kept: OrderedDict[int, Report] = OrderedDict()

    def reports(self, ids: Sequence[int], load: Callable[[list[int]], Iterable[tuple[int, Report]]]) -> list[Report]:
        """The reports of versions ``ids``, in this order; ``load`` decodes those not kept (a version not found is
        left out)."""
        if todo := [vid for vid in ids if vid not in self.kept]:
            self.kept.update(load(todo))
        found = []
        for vid in ids:
            if vid in self.kept:
                self.kept.move_to_end(vid)
                found.append(self.kept[vid])
        while len(self.kept) > self.size:
            self.kept.popitem(last=False)
        return found
