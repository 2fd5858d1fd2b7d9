"""Apply each mutation of ``catalog.py`` and show that the CPU tests catch it.

Usage: ``python tests/mutations/run_mutations.py [--only ID ...] [--list]``
(``make mutants``). For every mutation the listed files are patched in place,
``pytest -m "not rtl" -x`` runs the listed test files, and the original bytes are
restored in ``finally`` (also on Ctrl-C or SIGTERM). It refuses to start when a
file it would mutate has uncommitted changes, so ``git checkout -- FILE`` is always
a safe way back even after a hard kill. A clean baseline run of the test files
comes first. Prints a table; exits 1 if a mutation survives or errors.
"""

from __future__ import annotations

import argparse
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from catalog import MUTATIONS, Mutation

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 900


def _pytest(tests: list[str]) -> tuple[int, str, float]:
    """Run the CPU tests of ``tests``; returns (exit code, output, seconds)."""
    cmd = [sys.executable, "-m", "pytest", "-m", "not rtl", "-x", "-q", "-rf",
           "-p", "no:cacheprovider", *tests]
    t0 = time.monotonic()
    try:
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT_S)
        return proc.returncode, proc.stdout + proc.stderr, time.monotonic() - t0
    except subprocess.TimeoutExpired as exc:
        return -1, f"timed out after {TIMEOUT_S} s\n{exc.stdout or ''}", time.monotonic() - t0


def _failed(output: str) -> str:
    names = re.findall(r"^FAILED (\S+)", output, flags=re.MULTILINE)
    return names[0] if names else "-"


def _check_clean(files: set[str]) -> None:
    """Refuse to mutate files with uncommitted changes (or outside a git checkout)."""
    proc = subprocess.run(["git", "status", "--porcelain", "--", *sorted(files)], cwd=ROOT,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"run_mutations: {ROOT} is not a git checkout ({proc.stderr.strip()})")
    if proc.stdout.strip():
        sys.exit("run_mutations: refusing to mutate files with uncommitted changes:\n"
                 + proc.stdout)


def _apply(m: Mutation) -> dict[Path, bytes]:
    """Patch the files of ``m``; returns the original bytes of every touched file."""
    originals: dict[Path, bytes] = {}
    for e in m.edits:
        path = ROOT / e.file
        originals.setdefault(path, path.read_bytes())
        text = path.read_text()
        if text.count(e.old) != 1:
            raise ValueError(f"{m.id}: snippet occurs {text.count(e.old)}× in {e.file} "
                             f"(must be once): {e.old!r}")
        path.write_text(text.replace(e.old, e.new))
    return originals


def _restore(originals: dict[Path, bytes]) -> None:
    for path, data in originals.items():
        path.write_bytes(data)
        if path.read_bytes() != data:
            raise RuntimeError(f"could not restore {path}; run git checkout -- {path}")


def run_one(m: Mutation, tests: list[str]) -> tuple[str, str, float]:
    """(result, catching test, seconds) for one mutation; the tree is restored after."""
    originals: dict[Path, bytes] = {}
    try:
        originals = _apply(m)
        rc, out, secs = _pytest(tests)
    except ValueError as exc:
        return "ERROR", str(exc), 0.0
    finally:
        _restore(originals)
    if rc == 1:
        return "CAUGHT", _failed(out), secs
    if rc == 0:
        return "SURVIVED", "-", secs
    return "ERROR", f"pytest exit {rc}: {out.strip().splitlines()[-1:]}", secs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="+", metavar="ID", help="run only these mutations")
    ap.add_argument("--list", action="store_true", help="list the mutations and exit")
    ap.add_argument("--per-file", action="store_true",
                    help="run every listed test file on its own: each must catch the mutation")
    args = ap.parse_args(argv)
    if args.list:
        for m in MUTATIONS:
            print(f"{m.id:28s} {m.description}")
        return 0
    unknown = set(args.only or ()) - {m.id for m in MUTATIONS}
    if unknown:
        print(f"run_mutations: unknown mutation(s) {', '.join(sorted(unknown))} (see --list)")
        return 2
    chosen = [m for m in MUTATIONS if not args.only or m.id in args.only]
    _check_clean({e.file for m in chosen for e in m.edits})
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))   # so that finally restores
    tests = sorted({t for m in chosen for t in m.tests})
    rc, out, secs = _pytest(tests)
    if rc != 0:
        print(out)
        print(f"run_mutations: the unmutated tests fail (exit {rc}); fix them first")
        return 1
    print(f"baseline: {' '.join(tests)} pass unmutated ({secs:.0f} s)")
    runs = ([(m, [t]) for m in chosen for t in m.tests] if args.per_file
            else [(m, list(m.tests)) for m in chosen])
    rows = [(m, *run_one(m, tests)) for m, tests in runs]
    print(f"\n{'mutation':28s} {'result':9s} {'secs':>5s}  caught by")
    for m, result, test, s in rows:
        print(f"{m.id:28s} {result:9s} {s:5.0f}  {test}")
    bad = [m.id for m, result, _, _ in rows if result != "CAUGHT"]
    print(f"\n{len(rows) - len(bad)}/{len(rows)} runs caught their mutation"
          + (f"; not caught: {', '.join(bad)}" if bad else ""))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
