"""Documentation that cannot drift from the code: the CLI reference, the generated parts, the console examples.

    python -m hubscan.docgen                              # write docs/cli.md from the argparse help, and
                                                          # every generated part (hubscan/docblocks.py)
    python -m hubscan.docgen --check                      # exit 1 when docs/cli.md is stale
    python -m hubscan.docgen --examples README.md docs/*.md   # re-run every console example in place

A console example is a fenced block whose info string is `console`: lines starting with `$ ` are
commands, the lines after each command are its output. Examples run in order, one file at a time,
in a scratch directory holding a fresh demo database (`hubscan-demo.db`, built by `hubscan demo`),
so a later example may read what an earlier one wrote. `hubscan ...` commands run in-process;
anything else (pipes, `python -c`) runs in bash with this Python's bin directory first on PATH.

A fenced block whose info string names a file (```` ```csv file=judge.csv ````) is written to that
file in the scratch directory when it is reached, so the examples after it can read it.

When an output line holds something that changes from run to run (a duration, today's date), write
`...` in its place: as in doctest, `...` matches any text. An example whose output still matches is
left as written; only examples whose output changed are rewritten. The scratch directory's path is
shown as `.`.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

ROOT = Path(__file__).resolve().parents[1]
CLI_DOC = ROOT / "docs" / "cli.md"
HELP_WIDTH = "100"  # argparse wraps help to $COLUMNS: fixed, so the page does not depend on the terminal
DEMO_DB = "hubscan-demo.db"
SHELL_SYNTAX = re.compile(r"[|<>;&`$]|\(\)")
FILE_INFO = re.compile(r"\bfile=(?P<name>[\w.-]+)")  # only a plain name: the file lands in the scratch directory
FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
MAX_OUTPUT_CHARS = 200_000  # an example that prints more than this is not an example


# --- the CLI reference -----------------------------------------------------------------------


def cli_reference() -> str:
    """docs/cli.md: every command's --help, as argparse prints it."""
    from .cli import build_parser

    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = HELP_WIDTH
    try:
        parser = build_parser()
        parts = [
            "# hubscan command-line reference",
            "",
            "Generated from the argparse definitions in `hubscan/cli.py` by `python -m hubscan.docgen`;",
            "`tests/test_docs_examples.py` fails when this page is stale. Exit codes: 0 done, 1 the crawl",
            "failed (the next crawl resumes it), 2 bad arguments or an unusable database, file or",
            "directory (one line on standard error says which), 130 interrupted.",
            "",
        ]
        for name, sub in _commands(parser):
            parts += [f"## {name}", "", "```text", sub.format_help().rstrip(), "```", ""]
        return "\n".join(parts)
    finally:
        if saved is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = saved


def _commands(parser: argparse.ArgumentParser, prefix: str = "hubscan"):
    yield prefix, parser
    for action in parser._actions:  # argparse keeps sub-parsers only here
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _commands(sub, f"{prefix} {name}")


# --- console examples ----------------------------------------------------------------------------


@dataclass
class Example:
    command: str
    expected: list[str]
    line: int  # 1-based line of the command in its file


@dataclass
class Block:
    start: int  # index of the first line inside the fence
    end: int  # index of the closing fence
    examples: list[Example]
    file: str | None = None  # a block whose info string says `file=NAME`: written to NAME before what follows
    content: list[str] | None = None


def console_blocks(lines: Sequence[str]) -> list[Block]:
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        fence = opening["fence"]
        j = i + 1
        while j < len(lines) and not (lines[j].lstrip().startswith(fence) and lines[j].strip() == fence[0] * len(lines[j].strip())):
            j += 1
        if opening["info"].strip().split(" ")[0] == "console":
            examples: list[Example] = []
            for k in range(i + 1, j):
                if lines[k].startswith("$ "):
                    examples.append(Example(lines[k][2:].strip(), [], k + 1))
                elif examples:
                    examples[-1].expected.append(lines[k])
            blocks.append(Block(i + 1, j, examples))
        else:
            named = FILE_INFO.search(opening["info"])
            if named:
                blocks.append(Block(i + 1, j, [], named["name"], list(lines[i + 1 : j])))
        i = j + 1
    return blocks


def run_command(command: str, cwd: Path) -> str:
    """What the command prints (standard output and error, as a terminal shows both)."""
    if command.startswith("hubscan ") and not SHELL_SYNTAX.search(command):
        from .cli import main

        out = io.StringIO()
        saved = Path.cwd()
        os.chdir(cwd)
        try:
            with redirect_stdout(out), redirect_stderr(out):
                try:
                    main(shlex.split(command)[1:])
                except SystemExit:  # argparse's own errors and --help
                    pass
        finally:
            os.chdir(saved)
        text = out.getvalue()
    else:
        env = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
        env["COLUMNS"] = HELP_WIDTH
        done = subprocess.run(["bash", "-c", command], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)
        text = done.stdout
    text = text[:MAX_OUTPUT_CHARS]
    return text.replace(f"{cwd}/", "").replace(str(cwd), ".")


def normalise(lines: Iterable[str]) -> list[str]:
    out = [line.rstrip() for line in lines]
    while out and not out[-1]:
        out.pop()
    return out


def matches(expected: Sequence[str], actual: Sequence[str]) -> bool:
    """Equal, where `...` in the expected text stands for any text (across lines, as in doctest)."""
    want, got = "\n".join(normalise(expected)), "\n".join(normalise(actual))
    if "..." not in want:
        return want == got
    pattern = ".*?".join(re.escape(piece) for piece in want.split("..."))
    return re.fullmatch(pattern, got, re.DOTALL) is not None


def keep_wildcards(old: Sequence[str], new: Sequence[str]) -> list[str]:
    """`new`, where a line an old `...` line still matches keeps the old line (a duration stays `...`)."""
    wild = [line for line in old if "..." in line]
    out = []
    for line in new:
        keep = next((w for w in wild if matches([w], [line])), None)
        if keep is not None:
            wild.remove(keep)
        out.append(keep if keep is not None else line)
    return out


@dataclass
class Outcome:
    path: Path
    example: Example
    actual: list[str]

    @property
    def ok(self) -> bool:
        return matches(self.example.expected, self.actual)


def run_file(path: Path, workdir: Path) -> list[Outcome]:
    lines = path.read_text(encoding="utf-8").splitlines()
    outcomes = []
    for block in console_blocks(lines):
        if block.file is not None:  # an input file the next examples read (```csv file=judge.csv)
            (workdir / block.file).write_text("\n".join(block.content or []) + "\n", encoding="utf-8")
        for example in block.examples:
            outcomes.append(Outcome(path, example, normalise(run_command(example.command, workdir).splitlines())))
    return outcomes


def rewrite(path: Path, outcomes: Sequence[Outcome]) -> bool:
    """Put each changed example's new output under its command; True when the file changed."""
    lines = path.read_text(encoding="utf-8").splitlines()
    by_line = {o.example.line: o for o in outcomes}
    new: list[str] = []
    blocks = {b.start: b for b in console_blocks(lines)}
    i = 0
    while i < len(lines):
        block = blocks.get(i)
        if block is None:
            new.append(lines[i])
            i += 1
            continue
        first = block.examples[0].line - 1 if block.examples else block.end
        new.extend(lines[i:first])  # anything before the first command stays
        for n, example in enumerate(block.examples):
            outcome = by_line[example.line]
            new.append(lines[example.line - 1])
            body = example.expected if outcome.ok else keep_wildcards(example.expected, outcome.actual)
            body = normalise(body)
            new.extend(body)
            if n < len(block.examples) - 1:
                new.append("")
        i = block.end
    changed = new != lines
    if changed:
        path.write_text("\n".join(new) + "\n", encoding="utf-8")
    return changed


def demo_workdir(db: Path | None = None) -> Path:
    """A scratch directory with a demo database in it (a copy of `db`, or a new one)."""
    workdir = Path(tempfile.mkdtemp(prefix="hubscan-examples-"))
    if db is not None:
        copy_database(db, workdir / DEMO_DB)
    else:
        from .cli import main

        saved = Path.cwd()
        os.chdir(workdir)
        try:
            with redirect_stdout(io.StringIO()):
                if main(["demo", "--db", DEMO_DB]) != 0:
                    raise RuntimeError("hubscan demo failed")
        finally:
            os.chdir(saved)
    return workdir


def fresh_copy(source: Path) -> Path:
    """A new scratch directory holding only the demo database of `source`."""
    workdir = Path(tempfile.mkdtemp(prefix="hubscan-examples-"))
    copy_database(source / DEMO_DB, workdir / DEMO_DB)
    return workdir


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database, including what is still in its write-ahead log."""
    import sqlite3

    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hubscan.docgen", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check: exit 1 when a page or an example is stale")
    parser.add_argument("--examples", nargs="+", metavar="FILE.md", help="markdown files whose console examples to run")
    parser.add_argument("--db", type=Path, help="a demo database to copy (default: run `hubscan demo` once)")
    args = parser.parse_args(argv)
    stale = False
    if not args.examples:
        from . import docblocks

        text = cli_reference()
        current = CLI_DOC.read_text(encoding="utf-8") if CLI_DOC.exists() else ""
        if current != text:
            stale = True
            if not args.check:
                CLI_DOC.write_text(text, encoding="utf-8")
                print(f"wrote {CLI_DOC.relative_to(ROOT)}")
        # the parts written from the policy files and the schema (hubscan/docblocks.py)
        if args.check:
            for path in docblocks.stale_files():
                stale = True
                print(f"{path.relative_to(ROOT)}: a generated part is stale")
        else:
            for path in docblocks.write_all():
                print(f"rewrote the generated parts of {path.relative_to(ROOT)}")
        return 1 if stale and args.check else 0
    base = demo_workdir(args.db)
    try:
        for name in args.examples:
            path = Path(name)
            workdir = fresh_copy(base)
            try:
                outcomes = run_file(path, workdir)
            finally:
                shutil.rmtree(workdir, ignore_errors=True)
            bad = [o for o in outcomes if not o.ok]
            for o in bad:
                print(f"{path}:{o.example.line}: output of `{o.example.command}` changed")
            if bad:
                stale = True
                if not args.check:
                    rewrite(path, outcomes)
                    print(f"rewrote {len(bad)} example(s) in {path}")
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 1 if stale and args.check else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
