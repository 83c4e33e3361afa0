"""What executes a pool worker's instructions: the interpreter, `re`, string methods, the parsers.

    python benchmarks/instruction_split.py [--versions 300] [--db /tmp/hubscan-count.db]

Runs `count_extract.py` twice under cachegrind (`valgrind --tool=cachegrind --cache-sim=no`, with
PYTHONHASHSEED=0, both at once: instruction counts do not depend on what else the machine does):
once extracting N stored versions as a worker does, once loading them and extracting none. The
difference, function by function (`cg_diff`, `cg_annotate`), is what extraction executes; each
function is put in one group by the source file or symbol it comes from:

- `re`: CPython's regular-expression engine (Modules/_sre);
- string methods: the C code behind str/bytes methods (split, join, lower, `in`, count, replace,
  encode) and the memory copies they make;
- markdown-it-pyrs, Hyperscan, libyaml, json: the compiled libraries (functions without symbols,
  `???`, are counted as unnamed native code: Hyperscan's and the Rust parser's runtime);
- the interpreter: everything else (the evaluation loop, calls and frames, making and freeing
  objects, dict and attribute lookups, reference counts).

Why it matters (issue 15): extraction at 1,000 versions/s on two cores leaves about 2 ms of CPU a
version for everything. The groups other than the interpreter are work that does not go away by
making Python cheaper (compiling it, say): they bound what any tuning of this design can reach.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

GROUPS: tuple[tuple[str, str], ...] = (  # first match wins; the last takes the rest
    ("re (the regular-expression engine)", r"Modules/_sre/"),
    ("string methods (C)", r"Objects/stringlib/|Objects/unicodectype\.c|Objects/bytes_methods\.c|Objects/bytesobject\.c"
     r"|unicodeobject\.c:(?:replace|unicode_lower|unicode_upper|_PyUnicode_JoinArray|PyUnicode_Contains|unicode_count"
     r"|any_find_slice|unicode_find|unicode_split|unicode_strip|do_strip|unicode_encode_utf8|unicode_translate|_PyUnicode_TransformDecimal)"
     r"|memmove|memcpy|memset|memchr|memcmp|strlen"),
    ("markdown-it-pyrs (Rust)", r"markdown_it::|pyo3|markdown_it_pyrs"),
    ("Hyperscan", r"hyperscan|libhs|\bhs_"),
    ("libyaml", r"yaml"),
    ("json", r"Modules/_json\.c"),
    ("unnamed native code (???)", r"^\?\?\?:"),
    ("the interpreter (evaluation, calls, objects, memory, lookups)", r"."),
)


def count(versions: int, db: Path, out: Path, none: bool) -> subprocess.Popen[bytes]:
    cmd = ["valgrind", "--tool=cachegrind", "--cache-sim=no", f"--cachegrind-out-file={out}", sys.executable,
           str(ROOT / "benchmarks" / "count_extract.py"), "--versions", str(versions), "--db", str(db)] + (["--none"] if none else [])
    return subprocess.Popen(cmd, env={**os.environ, "PYTHONHASHSEED": "0"}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def split(diff_annotation: str) -> Counter[str]:
    """Instructions per group from `cg_annotate` output (its "file:function" table)."""
    groups: Counter[str] = Counter()
    for line in diff_annotation.splitlines():
        m = re.match(r"\s*(-?[\d,]+) \(\s*-?[\d.]+%\)\s+(\S.*)$", line)
        if not m or m.group(2) == "PROGRAM TOTALS":
            continue
        n, name = int(m.group(1).replace(",", "")), m.group(2)
        groups[next(label for label, rx in GROUPS if re.search(rx, name))] += n
    return groups


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=300)
    parser.add_argument("--db", type=Path, default=Path("/tmp/hubscan-count.db"))
    args = parser.parse_args()
    for tool in ("valgrind", "cg_diff", "cg_annotate"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed (Debian: apt-get install valgrind)")
    if not args.db.exists():  # built once, before the two runs that read it
        subprocess.run([sys.executable, str(ROOT / "benchmarks" / "count_extract.py"), "--versions", str(args.versions),
                        "--db", str(args.db), "--none"], check=True)
    with tempfile.TemporaryDirectory(prefix="hubscan-split-") as tmp:
        work, base, diff = Path(tmp, "cg.work"), Path(tmp, "cg.base"), Path(tmp, "cg.diff")
        runs = [count(args.versions, args.db, work, none=False), count(args.versions, args.db, base, none=True)]
        for run in runs:
            _, err = run.communicate()
            if run.returncode != 0:
                raise SystemExit(f"count_extract.py failed under valgrind:\n{err.decode(errors='replace')[-3000:]}")
        with diff.open("w") as f:
            subprocess.run(["cg_diff", str(base), str(work)], stdout=f, check=True)
        annotation = subprocess.run(["cg_annotate", "--show=Ir", "--threshold=0", "--auto=no", str(diff)],
                                    capture_output=True, text=True, check=True).stdout
    groups = split(annotation)
    total = sum(groups.values())
    print(f"{total / args.versions / 1e6:.2f} M instructions a version ({args.versions} versions, extraction minus loading)")
    for label, n in groups.most_common():
        print(f"{100 * n / total:5.1f}%  {n / args.versions / 1e6:5.2f} M  {label}")
    interpreter = groups[GROUPS[-1][0]]
    print(f"without any interpreter work a version would still execute {(total - interpreter) / args.versions / 1e6:.2f} M "
          f"instructions: {100 * (total - interpreter) / total:.0f}% of today's")


if __name__ == "__main__":
    main()
