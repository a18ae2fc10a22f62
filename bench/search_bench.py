"""Search benchmark: build and query the tracker's Whoosh index beside SQLite FTS5.

    python bench/search_bench.py [--docs 5000] [--words 2000] [--procs 2]

A deterministic corpus (seeded pseudo-words with Zipf-like frequencies) is indexed through
tracker.search exactly as `flask reindex` does, then 200 two-term queries run through the
same search function as the search page (facet counts included), with and without
highlighted snippets. FTS5 gets the same corpus in the same run. Figures are printed.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tracker.search import SearchIndex, SearchRequest, _finish  # noqa: E402

SEED = 20251101
SYLLABLES = [c + v for c in "bcdfghjklmnprstvwz" for v in ("a", "e", "i", "o", "u", "ai", "ou")]
COMMON = [
    "the",
    "of",
    "and",
    "to",
    "in",
    "a",
    "is",
    "that",
    "for",
    "it",
    "as",
    "with",
    "was",
    "on",
    "be",
    "by",
    "this",
    "are",
    "or",
    "from",
    "at",
    "which",
    "we",
    "our",
    "people",
    "care",
    "support",
    "service",
    "council",
    "adult",
    "social",
    "needs",
    "plan",
]


def vocabulary(rng: random.Random, size: int) -> list[str]:
    """Distinct pseudo-words, common function words first."""
    words = list(COMMON)
    seen = set(words)
    while len(words) < size:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def corpus(n_docs: int, n_words: int) -> tuple[list[dict], list[str]]:
    """Generate documents as index records, and the vocabulary."""
    rng = random.Random(SEED)
    vocab = vocabulary(rng, 60_000)
    weights = list(itertools.accumulate(1 / (rank + 1) ** 1.07 for rank in range(len(vocab))))
    top = weights[-1]
    docs = []
    kinds = ["pdf", "docx", "xlsx", "pptx", "csv", "txt"]
    for n in range(n_docs):
        length = rng.randint(int(n_words * 0.75), int(n_words * 1.25))
        picks = [vocab[bisect.bisect(weights, rng.random() * top)] for _ in range(length)]
        sentences, at = [], 0
        while at < len(picks):
            size = rng.randint(8, 20)
            sentences.append(" ".join(picks[at : at + size]).capitalize() + ".")
            at += size
        title = " ".join(rng.choice(vocab[100:5000]) for _ in range(rng.randint(4, 9)))
        record = {
            "key": f"document-{n + 1}",
            "kind": "document",
            "record_id": n + 1,
            "title": title.capitalize(),
            "filename": f"file-{n + 1}.{kinds[n % 6]}",
            "owner": "",
            "ir": str(1 + n % 38),
            "qs": ["1a", "1b", "1c", "2a", "2b", "3a", "3b", "4a", "4b"][n % 9],
            "type": kinds[n % 6],
            "date": datetime(2020 + n % 6, 1 + n % 12, 1),
            "version": 1,
            "note": "",
        }
        docs.append(_finish(record, " ".join(sentences)))
    return docs, vocab


def queries(vocab: list[str], count: int = 200) -> list[str]:
    """Two-term queries over ranks 100 to 10,000."""
    rng = random.Random(SEED + 1)
    return [
        f"{rng.choice(vocab[100:10_000])} {rng.choice(vocab[100:10_000])}" for _ in range(count)
    ]


def folder_size(path: Path) -> int:
    """Bytes used by the files in a folder tree."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def percentiles(times: list[float]) -> tuple[float, float]:
    """p50 and p95 in milliseconds."""
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return statistics.median(ordered) * 1000, p95 * 1000


def bench_whoosh(docs, qs, folder: Path, procs: int) -> dict:
    """Build through SearchIndex.rebuild, then time the search page's query function."""
    index = SearchIndex(folder / "whoosh")
    start = time.perf_counter()
    index.rebuild(iter(docs), procs=procs)
    build = time.perf_counter() - start
    segments = len(index.ix._segments())
    out = {"build": build, "size": folder_size(folder / "whoosh"), "segments": segments}
    for highlight in (False, True):
        for q in qs[:20]:
            index.search(SearchRequest(q, highlight=highlight))
        times, hits = [], 0
        for q in qs:
            t = time.perf_counter()
            results = index.search(SearchRequest(q, highlight=highlight))
            times.append(time.perf_counter() - t)
            hits += results.total
        out["hl" if highlight else "plain"] = percentiles(times)
        out["hits"] = hits / len(qs)
    # The same queries without facet counts or suggestions, for comparison with FTS5.
    searcher = index.searcher()
    times = []
    for q in qs:
        t = time.perf_counter()
        results = searcher.search(index.parse(q), limit=10)
        [hit["key"] for hit in results]
        times.append(time.perf_counter() - t)
    out["bare"] = percentiles(times)
    return out


def bench_fts5(docs, qs, folder: Path) -> dict:
    """Build an FTS5 table with the porter tokenizer and time top-10 queries."""
    path = folder / "fts.db"
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE VIRTUAL TABLE t USING fts5(key UNINDEXED, title, body, tokenize='porter')")
    start = time.perf_counter()
    with con:
        con.executemany(
            "INSERT INTO t(key, title, body) VALUES (?, ?, ?)",
            ((d["key"], d["title"], d["body"]) for d in docs),
        )
        con.execute("INSERT INTO t(t) VALUES('optimize')")
    build = time.perf_counter() - start
    out = {"build": build, "size": path.stat().st_size, "segments": 1}
    plain = "SELECT key FROM t WHERE t MATCH ? ORDER BY rank LIMIT 10"
    lit = (
        "SELECT key, snippet(t, 2, '<mark>', '</mark>', '…', 32) FROM t WHERE t MATCH ? "
        "ORDER BY rank LIMIT 10"
    )
    for name, sql in (("plain", plain), ("hl", lit)):
        for q in qs[:20]:
            con.execute(sql, (q,)).fetchall()
        times = []
        for q in qs:
            t = time.perf_counter()
            con.execute(sql, (q,)).fetchall()
            times.append(time.perf_counter() - t)
        out[name] = percentiles(times)
    con.close()
    return out


def main() -> None:
    """Run the benchmark and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=5000)
    parser.add_argument("--words", type=int, default=2000)
    parser.add_argument("--procs", type=int, default=min(2, os.cpu_count() or 1))
    args = parser.parse_args()
    start = time.perf_counter()
    docs, vocab = corpus(args.docs, args.words)
    qs = queries(vocab)
    words = sum(len(d["body"].split()) for d in docs)
    print(
        f"corpus: {len(docs):,} documents, {words:,} words, "
        f"generated in {time.perf_counter() - start:.1f} s; {os.cpu_count()} CPU(s)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        whoosh = bench_whoosh(docs, qs, folder, args.procs)
        fts = bench_fts5(docs, qs, folder)
    print(f"queries: 200 two-term AND queries, {whoosh['hits']:.1f} hits on average (Whoosh)")
    print()
    print(f"| measure | Whoosh (tracker.search, procs={args.procs}) | SQLite FTS5 | ratio |")
    print("|---|---|---|---|")
    rows = [
        ("build (s)", whoosh["build"], fts["build"]),
        ("index size (MB)", whoosh["size"] / 1e6, fts["size"] / 1e6),
        ("query p50, no highlight (ms)", whoosh["plain"][0], fts["plain"][0]),
        ("query p95, no highlight (ms)", whoosh["plain"][1], fts["plain"][1]),
        ("query p50, highlighted snippets (ms)", whoosh["hl"][0], fts["hl"][0]),
        ("query p95, highlighted snippets (ms)", whoosh["hl"][1], fts["hl"][1]),
        ("bare top-10 p50 (ms)", whoosh["bare"][0], fts["plain"][0]),
        ("bare top-10 p95 (ms)", whoosh["bare"][1], fts["plain"][1]),
    ]
    for label, a, b in rows:
        print(f"| {label} | {a:.2f} | {b:.2f} | {a / b if b else float('nan'):.1f}× |")
    print(f"\nWhoosh segments after the build: {whoosh['segments']}")
    print("Whoosh query figures include facet counts (4 facets) and, below 3 hits, a spelling")
    print("suggestion, as the search page computes them; 'bare' is top-10 only.")


if __name__ == "__main__":
    main()
