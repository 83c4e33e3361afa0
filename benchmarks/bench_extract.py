"""Benchmark: `hubscan extract` + `classify` over N stored synthetic versions, from the database alone.

    python benchmarks/bench_extract.py [--versions 10000] [--jobs N] [--db /tmp/hubscan-bench-extract.db]

Builds a database of N model versions (synthetic Hub models: realistic licence mix, weight files,
fine-tunes, dataset links; README bodies from benchmarks/cards.py: front matter, long paragraphs,
big tables, links, 0.2-25 kB, about half of the bytes table rows) straight through the store
writes a crawl uses, then runs extraction and labelling in a fresh process and reports versions/s
and resident memory sampled along the way (flat memory = the samples do not grow with N). On a
machine shared with other work, wall-clock versions/s says how much of the machine the run got;
the CPU milliseconds per version (this process and its pool workers) say what extraction costs,
and `extract_per_s_on_2_idle_cores` is 2 cores divided by that cost.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def anon_mb() -> float:
    """Resident memory of this process's own (RssAnon): the RSS above also counts the pages of the
    database file SQLite has memory-mapped and read (`PRAGMA mmap_size`), which the kernel drops
    whenever it needs the room."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def descendants() -> list[int]:
    """Every process below this one (the extraction pool's workers live under its forkserver)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], list(children.get(os.getpid(), []))
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        found.append(pid)
    return found


def descendants_rss_mb() -> list[float]:
    found = []
    for pid in descendants():
        try:
            with open(f"/proc/{pid}/statm") as f:
                found.append(int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20)
        except OSError:
            continue
    return found


def descendants_cpu_s() -> dict[int, float]:
    """CPU seconds (user + system) each process below this one has used so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    for pid in descendants():
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            found[pid] = (int(fields[11]) + int(fields[12])) / ticks
        except (OSError, ValueError, IndexError):
            continue
    return found


def build(db: Path, n: int, cards: str = "realistic") -> None:
    from cards import realistic_card

    from crawler.downloads import licence_files
    from store.records import FileOutcome, VersionDownload
    from replayhub.synthetic import synthetic_state
    from store import crawl_writes as w
    from store.db import open_engine

    db.unlink(missing_ok=True)
    engine = open_engine(str(db))
    state = synthetic_state(n, seed=1)
    with engine.begin() as conn:
        run_id = w.start_run(conn, "synthetic", {}, True)
    batch: list[dict] = []
    readmes: dict[str, tuple[bytes | None, dict[str, bytes]]] = {}
    for i in range(n):
        data = state.generated_data(i)
        files = data.pop("files")
        item = {k: v for k, v in data.items() if k not in ("expected", "washing", "note")}
        item["sha"] = f"{i:040x}"
        item["siblings"] = [{"rfilename": p} for p in files]
        batch.append(item)
        readme = files.get("README.md")
        if cards == "realistic" and isinstance(readme, str):
            card = data.get("cardData") or {}
            base = card.get("base_model")
            # the listing's front matter kept, the body a realistic one (benchmarks/cards.py)
            front = readme[4 : readme.find("\n---\n", 4) + 1] if readme.startswith("---\n") and "\n---\n" in readme else ""
            readme = realistic_card(i, data["id"], front, base if isinstance(base, str) else None, card.get("datasets"))
        lic = {p: files[p].encode() for p in licence_files(files) if isinstance(files[p], str)}
        readmes[item["id"]] = (readme.encode() if isinstance(readme, str) else None, lic)
        if len(batch) == 500 or i == n - 1:
            with engine.begin() as conn:
                pending, _ = w.record_listing_page(conn, run_id, batch)
                results = [
                    VersionDownload(
                        p.version_id, p.repo_id, p.sha,
                        FileOutcome("README.md", "ok", readmes[p.repo_id][0]) if readmes[p.repo_id][0] is not None else FileOutcome("README.md", "absent"),
                        tuple(FileOutcome(path, "ok", body) for path, body in readmes[p.repo_id][1].items()),
                    )
                    for p in pending
                ]
                w.record_downloads(conn, run_id, results)
            batch.clear()
            readmes.clear()
    with engine.begin() as conn:
        w.bump(conn, run_id, models_seen=n)
        w.finish_run(conn, run_id, "ok", None)


def run(db: Path) -> dict:
    from hubscan.pipeline import classify_all, extract_all, extract_jobs
    from store.db import open_engine

    engine = open_engine(str(db))
    samples: list[tuple[int, float]] = []
    anon: list[tuple[int, float]] = []  # the same, the process's own memory only
    workers: list[float] = []  # the largest worker's RSS at each batch
    worker_cpu: dict[int, float] = {}  # CPU seconds of each worker, as last sampled
    done = {"extracted": 0}

    def progress(what: str, k: int) -> None:
        if what == "extracted":
            done["extracted"] += k
            samples.append((done["extracted"], round(rss_mb(), 1)))
            anon.append((done["extracted"], round(anon_mb(), 1)))
            workers.append(max(descendants_rss_mb(), default=0.0))
            worker_cpu.update(descendants_cpu_s())

    start, own_cpu = time.perf_counter(), time.process_time()
    extracted = extract_all(engine, progress)
    extract_s, own_cpu = time.perf_counter() - start, time.process_time() - own_cpu
    # On a machine shared with other work the wall clock says how much of it this run got; the CPU
    # seconds (this process + its workers) say what extraction costs: versions per CPU-second, and
    # what 2 idle cores would do (both figures include this process's reading and writing).
    cpu_s = own_cpu + sum(worker_cpu.values())
    start = time.perf_counter()
    labelled, passes = classify_all(engine)
    classify_s = time.perf_counter() - start
    step = max(1, len(samples) // 5)
    return {
        "versions": extracted,
        "extract_jobs": extract_jobs(),
        "extract_seconds": round(extract_s, 1),
        "extract_per_s": round(extracted / extract_s, 1) if extract_s else None,
        "extract_cpu_ms_per_version": round(1000 * cpu_s / extracted, 2) if extracted else None,
        "main_cpu_ms_per_version": round(1000 * own_cpu / extracted, 2) if extracted else None,
        "extract_per_s_on_2_idle_cores": round(2 * extracted / cpu_s, 1) if cpu_s else None,
        "classify_seconds": round(classify_s, 1),
        "classify_per_s": round(labelled / classify_s, 1) if classify_s else None,
        "label_passes": passes,
        # the measure: new versions extracted and labelled, one after the other, per second
        "extract_and_label_per_s": round(extracted / (extract_s + classify_s), 1) if extract_s + classify_s else None,
        "rss_mb_samples": samples[::step] + samples[-1:],
        "anon_mb_samples": anon[::step] + anon[-1:],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        # the largest extraction worker process, sampled after each batch (0 when extraction ran in-process)
        "worker_peak_rss_mb": round(max(workers, default=0.0), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=10_000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/hubscan-bench-extract.db"))
    parser.add_argument("--phase", choices=("all", "build", "run"), default="all")
    parser.add_argument("--cards", choices=("realistic", "synthetic"), default="realistic",
                        help="README bodies: realistic generated cards (benchmarks/cards.py) or replayhub's synthetic ones")
    parser.add_argument("--jobs", type=int, default=None, help="extraction processes (default: hubscan's, from the CPUs)")
    args = parser.parse_args()
    if args.phase in ("all", "build"):
        start = time.perf_counter()
        build(args.db, args.versions, args.cards)
        print(f"built {args.versions} versions in {time.perf_counter() - start:.1f}s -> {args.db}", file=sys.stderr)
    if args.phase == "build":
        return
    if args.phase == "run":
        print(json.dumps(run(args.db)))
        return
    # measure in a fresh process, so the build's memory does not count
    env = {**os.environ, **({"HUBSCAN_EXTRACT_JOBS": str(args.jobs)} if args.jobs else {})}
    out = subprocess.run([sys.executable, __file__, "--phase", "run", "--db", str(args.db)], check=True, capture_output=True, text=True, env=env)
    result = json.loads(out.stdout)
    print(f"{'measure':<32} {'value':>12}")
    for key in ("versions", "extract_jobs", "extract_seconds", "extract_per_s", "extract_cpu_ms_per_version",
                "main_cpu_ms_per_version", "extract_per_s_on_2_idle_cores", "classify_seconds", "classify_per_s", "extract_and_label_per_s", "label_passes", "peak_rss_mb", "worker_peak_rss_mb"):
        print(f"{key:<32} {result[key]!s:>12}")
    print("RSS (MB) after N versions extracted: " + ", ".join(f"{n}: {mb}" for n, mb in result["rss_mb_samples"]))
    print("of which the process's own (RssAnon, MB): " + ", ".join(f"{n}: {mb}" for n, mb in result["anon_mb_samples"]))


if __name__ == "__main__":
    main()
