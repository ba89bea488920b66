"""Did a change of structure change what govmon says? `govmon check --json` (and its text, and `--rules`) over the
real pages, saved before and compared after.

    python benchmarks/same_output.py --save /tmp/before      # before the change
    python benchmarks/same_output.py --against /tmp/before   # after: exit 0 when every byte is the same

The inputs are ../shared/corpus and ../shared/seeds (or the folders/files given with --inputs). Each output is
compared byte for byte; the first lines that differ are printed.
"""

from __future__ import annotations

import argparse
import difflib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = [ROOT.parent / "shared" / "corpus", ROOT.parent / "shared" / "seeds"]


def outputs(inputs: list[Path]) -> dict[str, str]:
    found = [p for path in inputs for p in (sorted(path.iterdir()) if path.is_dir() else [path])]
    files = [os.path.relpath(p, ROOT) for p in found]  # as a user in the checkout names them
    govmon = [sys.executable, "-m", "monitor", "check"]
    run = {
        "check.json": [*govmon, "--json", *files],
        "check.txt": [*govmon, *files],
        "rules.txt": [*govmon, "--rules"],
    }
    out = {}
    for name, command in run.items():
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
        out[name] = done.stdout
        out[name.replace(".", "_") + ".stderr"] = done.stderr
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--save", type=Path, metavar="DIR", help="write the outputs into DIR")
    parser.add_argument("--against", type=Path, metavar="DIR", help="compare the outputs with those saved in DIR")
    parser.add_argument(
        "--inputs", nargs="*", type=Path, default=DEFAULT, help="files or folders (default: corpus, seeds)"
    )
    args = parser.parse_args(argv)
    now = outputs(args.inputs)
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
        for name, text in now.items():
            (args.save / name).write_text(text, encoding="utf-8")
        print(f"saved {len(now)} outputs in {args.save}")
        return 0
    if not args.against:
        parser.error("give --save DIR or --against DIR")
    changed = 0
    for name, text in now.items():
        before = (args.against / name).read_text(encoding="utf-8")
        if before != text:
            changed += 1
            diff = difflib.unified_diff(before.splitlines(), text.splitlines(), f"before/{name}", f"after/{name}", n=1)
            print("\n".join(list(diff)[:20]))
    print(f"{len(now) - changed} of {len(now)} outputs byte-identical")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
