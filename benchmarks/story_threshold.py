"""Measure near-duplicate thresholds on real data (Reuters-21578 full SGML; realtimeqa-2022):
how the story threshold (RAG_STORY_THRESHOLD) and the guards of rag/stories.py were chosen.

1. Exact 5-word-shingle Jaccard for every pair that shares at least one rare shingle
   (document frequency <= 50): the reference set of pairs with J >= 0.5.
2. For each threshold: how many exact pairs, and how many the StoryIndex rule finds
   (LSH candidates + MinHash estimate >= threshold): recall, and estimate-only false hits.
3. A random sample of pairs per Jaccard band written to OUT/label_<set>.txt for reading
   by eye (precision is judged there, by hand; the labels given are in
   benchmarks/data/story_labels_reuters.json: pair -> S (same story) or D (other news)).
4. Story grouping over the whole collection in time order with StoryIndex at each threshold.

    .venv/bin/python benchmarks/story_threshold.py [reuters|r22]      # about 5 min for both
    .venv/bin/python benchmarks/story_threshold.py precision reuters  # with the labels

Writes OUT (RAG_BENCH_OUT, default /tmp/story_threshold)/result_<set>.json, label_<set>.txt,
precision_<set>.json.
"""

from __future__ import annotations

import json
import os
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
from scipy import sparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import rag  # noqa: E402,F401 - sets the offline variables first
from rag.sources.sgml import read_sgml_dir  # noqa: E402
from rag.stories import SCHEME, SEED, StoryIndex, shingles, title_similarity  # noqa: E402

OUT = Path(os.environ.get("RAG_BENCH_OUT", "/tmp/story_threshold"))
LABELS = ROOT / "benchmarks" / "data" / "story_labels_{name}.json"
DATA = ROOT.parent / "shared" / "datasets"
BANDS = [(0.5, 0.6), (0.6, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 1.01)]
THRESHOLDS = [0.5, 0.6, 0.7, 0.8, 0.9]


def load(name: str) -> list[dict]:
    if name == "reuters":
        arts, skipped, failures = read_sgml_dir(DATA / "reuters21578/sgml")
        print(f"reuters: {len(arts)} stories with a body ({skipped} without)")
        return [{"id": a.id, "text": a.text, "title": a.title, "date": a.date,
                 "when": a.extra.get("datetime") or a.date, "dateline": a.extra["dateline"]}
                for a in arts]
    rows = [json.loads(line) for line in open(DATA / "realtimeqa-2022/articles.jsonl",
                                                encoding="utf-8")]
    print(f"r22: {len(rows)} articles")
    return [{"id": r["id"], "text": r["text"], "title": r.get("title", ""),
             "date": (r.get("date") or "")[:10], "when": r.get("date") or "",
             "dateline": r.get("url", "")} for r in rows]


def minhash(text: str):
    """The LeanMinHash that StoryIndex makes of a text (None when it has no words)."""
    from datasketch import LeanMinHash, MinHash

    sh = shingles(text)
    if not sh:
        return None
    m = MinHash(num_perm=128, seed=SEED, scheme=SCHEME)
    m.update_batch([s.encode("utf-8") for s in sh])
    return LeanMinHash(m)


def exact_pairs(docs, sh, max_df=50, min_j=0.5):
    vocab: dict[str, int] = {}
    rows, cols = [], []
    for i, s in enumerate(sh):
        for g in s:
            j = vocab.setdefault(g, len(vocab))
            rows.append(i)
            cols.append(j)
    x = sparse.csr_matrix((np.ones(len(rows), dtype=np.int32), (rows, cols)),
                          shape=(len(sh), len(vocab)))
    df = np.asarray(x.sum(axis=0)).ravel()
    rare = np.where(df <= max_df)[0]
    xr = x[:, rare]
    co = (xr @ xr.T).tocoo()
    mask = co.row < co.col
    cand = list(zip(co.row[mask].tolist(), co.col[mask].tolist(), strict=True))
    print(f"  {len(vocab):,} shingles, {len(rare):,} rare; {len(cand):,} candidate pairs")
    out = {}
    for a, b in cand:
        sa, sb = sh[a], sh[b]
        small, big = (sa, sb) if len(sa) <= len(sb) else (sb, sa)
        if len(small) < min_j * len(big):  # J <= |small|/|big|
            continue
        inter = len(sa & sb)
        jac = inter / (len(sa) + len(sb) - inter)
        if jac >= min_j:
            out[(a, b)] = jac
    return out


def rule_pairs(docs, mh, threshold):
    """Pairs the StoryIndex rule accepts: LSH candidate (tuned at threshold-0.1) and MinHash
    estimate >= threshold."""
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=max(0.3, threshold - 0.1), num_perm=128)
    with lsh.insertion_session() as s:
        for i, m in enumerate(mh):
            if m is not None:
                s.insert(i, m, check_duplication=False)
    found = {}
    hv = np.stack([m.hashvalues if m is not None else np.zeros(128, np.uint32) for m in mh])
    for i, m in enumerate(mh):
        if m is None:
            continue
        for j in lsh.query(m):
            if j <= i:
                continue
            est = float(np.count_nonzero(hv[i] == hv[j])) / 128
            if est >= threshold:
                found[(i, j)] = est
    return found


def brief(d, n=400):
    t = " ".join(d["text"].split())
    return t[:n]


def diff_summary(a: str, b: str) -> str:
    import difflib

    wa, wb = a.split(), b.split()
    sm = difflib.SequenceMatcher(None, wa, wb, autojunk=False)
    ops = []
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op != "equal":
            ops.append(f"{op}: [{' '.join(wa[i1:i2])[:120]}] -> [{' '.join(wb[j1:j2])[:120]}]")
    return "\n      ".join(ops[:8]) + (f"\n      ... {len(ops) - 8} more" if len(ops) > 8 else "")


CONFIGS = {"plain": {"max_days": None, "min_shingles": 0},
           "guarded": {"max_days": 3, "min_shingles": 30}}


def accepted(f: dict, cfg: dict) -> bool:
    """The StoryIndex rule's guards for one pair (the Jaccard test is applied separately)."""
    if cfg["max_days"] is not None and f["days"] is not None and f["days"] > cfg["max_days"]:
        return False
    if f["n_min"] < cfg["min_shingles"] and f["title_sim"] < 0.5:
        return False
    return True


def main(name: str) -> dict:
    from datetime import date

    OUT.mkdir(parents=True, exist_ok=True)
    docs = load(name)
    t = time.perf_counter()
    sh = [shingles(d["text"]) for d in docs]
    mh = [minhash(d["text"]) for d in docs]
    t_mh = time.perf_counter() - t
    print(f"  shingles + MinHash: {t_mh:.1f} s ({1000 * t_mh / len(docs):.2f} ms/doc)")
    t = time.perf_counter()
    exact = exact_pairs(docs, sh)
    print(f"  exact pairs J>=0.5: {len(exact)} in {time.perf_counter() - t:.1f} s")

    def feats(a, b):
        da, db = docs[a]["date"], docs[b]["date"]
        days = abs((date.fromisoformat(da) - date.fromisoformat(db)).days) if da and db \
            else None
        return {"days": days, "n_min": min(len(sh[a]), len(sh[b])),
                "title_sim": title_similarity(docs[a]["title"], docs[b]["title"])}

    def jx(p):
        if p in exact:
            return exact[p]
        x, y = sh[p[0]], sh[p[1]]
        return len(x & y) / len(x | y)

    feat = {p: feats(*p) for p in exact}
    band_of = {}
    for p, j in exact.items():
        for lo, hi in BANDS:
            if lo <= j < hi:
                band_of[p] = f"{lo:.1f}"
    result = {"set": name, "docs": len(docs), "ms_per_doc_minhash": 1000 * t_mh / len(docs),
              "bands": {}, "rule": {}, "groups": {}}
    for lo, _hi in BANDS:
        b = f"{lo:.1f}"
        ps = [p for p in exact if band_of[p] == b]
        result["bands"][b] = {c: sum(1 for p in ps if accepted(feat[p], cfg))
                              for c, cfg in CONFIGS.items()}
    print("  exact pairs per band (accepted by each config):", result["bands"])
    for th in THRESHOLDS:
        got = rule_pairs(docs, mh, th)
        out = {}
        for c, cfg in CONFIGS.items():
            want = {p for p, j in exact.items() if j >= th and accepted(feat[p], cfg)}
            got_c = {p for p in got if accepted(feat.get(p) or feats(*p), cfg)}
            out[c] = {"exact": len(want), "found": len(got_c),
                      "recall": round(len(want & got_c) / len(want), 4) if want else 1.0,
                      "est_above_exact_below": sum(1 for p in got_c if jx(p) < th)}
        result["rule"][th] = out
        print(f"  th {th}: {out}")
    apart = Counter()
    for p, j in exact.items():
        if j >= 0.8 and feat[p]["days"] is not None:
            d = feat[p]["days"]
            apart["0" if d == 0 else "1" if d == 1 else "2-3" if d <= 3 else ">3"] += 1
    result["days_apart_pairs_J>=0.8"] = dict(apart)
    # samples to label by eye: per band, pairs the guarded rule accepts and pairs it rejects
    rng = random.Random(7)
    lines = ["# label each pair: S = same story (re-send, correction, copy), D = different news",
             "# key | J | days | n_min | title_sim | config verdict"]
    sample_keys = {}
    for lo, _hi in BANDS:
        b = f"{lo:.1f}"
        for verdict in ("accepted", "rejected"):
            ps = sorted(p for p in exact if band_of[p] == b
                        and accepted(feat[p], CONFIGS["guarded"]) == (verdict == "accepted"))
            sample = rng.sample(ps, min(len(ps), 20))
            lines.append(f"\n######## band {b}: guarded rule {verdict}: {len(ps)} pairs; "
                         f"sample of {len(sample)}")
            for a, bb in sample:
                key = f"{docs[a]['id']}|{docs[bb]['id']}"
                sample_keys[key] = {"band": b, "verdict": verdict}
                f = feat[(a, bb)]
                da, db = docs[a], docs[bb]
                lines.append(f"== {key} J={exact[(a, bb)]:.3f} days={f['days']} n={f['n_min']} "
                             f"tsim={f['title_sim']:.2f}  ({da['when']} / {db['when']})")
                lines.append(f"   A: {da['title'][:90]}")
                lines.append(f"   B: {db['title'][:90]}")
                lines.append(f"   text: {brief(da, 160)}")
                lines.append(f"   diff: {diff_summary(da['text'], db['text'])}")
    (OUT / f"label_{name}.txt").write_text("\n".join(lines), encoding="utf-8")
    result["sample_keys"] = sample_keys
    result["pairs"] = {f"{docs[a]['id']}|{docs[b]['id']}": {
        "j": round(j, 4), "band": band_of[(a, b)],
        "accepted": accepted(feat[(a, b)], CONFIGS["guarded"]), **feat[(a, b)]}
        for (a, b), j in exact.items()}
    # grouping with StoryIndex (guarded defaults) in time order
    order = sorted(range(len(docs)), key=lambda i: (docs[i]["when"], docs[i]["id"]))
    for th in (0.6, 0.7, 0.8, 0.9):
        for c, cfg in CONFIGS.items():
            with tempfile.TemporaryDirectory() as tmp:
                t = time.perf_counter()
                idx = StoryIndex(Path(tmp) / "s.sqlite", threshold=th, **cfg)
                for i in order:
                    idx.assign(docs[i]["id"], docs[i]["text"], docs[i]["date"], docs[i]["title"])
                t_assign = time.perf_counter() - t
                t = time.perf_counter()
                idx.save()
                t_save = time.perf_counter() - t
                stories = idx.stories()
                sizes = Counter(len(m) for m in stories.values())
                idx.close()
                t = time.perf_counter()
                idx2 = StoryIndex(Path(tmp) / "s.sqlite", threshold=th, **cfg)
                t_open = time.perf_counter() - t
                t = time.perf_counter()
                probe = docs[order[-1]]
                for _ in range(20):
                    idx2.assign(probe["id"] + "-probe", probe["text"] + " extra words here",
                                probe["date"], probe["title"])
                    idx2.remove([probe["id"] + "-probe"])
                t_one = (time.perf_counter() - t) / 20
                idx2.close()
                if th == 0.8 and c == "guarded":
                    result["stories_0.8_guarded"] = stories
            result["groups"][f"{th} {c}"] = {
                "multi_doc_stories": len(stories),
                "docs_in_them": sum(len(m) for m in stories.values()),
                "sizes": dict(sorted(sizes.items())),
                "assign_ms_per_doc": round(1000 * t_assign / len(docs), 3),
                "save_s": round(t_save, 3), "open_s": round(t_open, 3),
                "assign_plus_remove_one_ms_at_full_size": round(1000 * t_one, 3)}
            print(f"  StoryIndex th {th} {c}: {result['groups'][f'{th} {c}']}")
    (OUT / f"result_{name}.json").write_text(json.dumps(result, indent=1, default=str))
    return result


def precision(name: str) -> None:
    """Combine the by-eye labels (benchmarks/data/story_labels_<name>.json: key -> "S"/"D")
    with the band counts into a precision estimate per config and threshold."""
    result = json.loads((OUT / f"result_{name}.json").read_text())
    labels = json.loads(Path(str(LABELS).format(name=name)).read_text())
    # Each labelled pair is placed by its band and guard verdict as computed in this run.
    pairs = result["pairs"]
    unknown = [k for k in labels if k not in pairs]
    if unknown:
        print(f"  {len(unknown)} labelled pairs are no longer above J=0.5: {unknown[:5]}")
    p = {}
    for b in result["bands"]:
        for verdict in ("accepted", "rejected"):
            ls = [x for k, x in labels.items() if k in pairs and pairs[k]["band"] == b
                  and pairs[k]["accepted"] == (verdict == "accepted")]
            p[(b, verdict)] = (sum(1 for x in ls if x == "S"), len(ls))
    rows = []
    for th in THRESHOLDS:
        row = {"threshold": th}
        for c in CONFIGS:
            tp = tot = 0.0
            for b in result["bands"]:
                if float(b) < th - 1e-9:
                    continue
                n_acc = result["bands"][b]["guarded"]
                n_rej = result["bands"][b]["plain"] - n_acc
                s_a, l_a = p[(b, "accepted")]
                s_r, l_r = p[(b, "rejected")]
                parts = [(n_acc, s_a, l_a)] + ([(n_rej, s_r, l_r)] if c == "plain" else [])
                for n, s, l_ in parts:
                    if n and l_:
                        tp += n * s / l_
                        tot += n
            row[c] = {"pairs": int(tot), "precision": round(tp / tot, 3) if tot else None,
                      "true_pairs_est": round(tp, 1)}
        rows.append(row)
    # Share of all true re-send pairs with J >= 0.5 (plain rule at 0.5 = every such pair) that
    # each rule keeps: a recall estimate relative to that set.
    all_true = rows[0]["plain"]["true_pairs_est"]
    for r in rows:
        for c in CONFIGS:
            r[c]["recall_vs_true_pairs_J>=0.5"] = round(r[c]["true_pairs_est"] / all_true, 3)
    for b in result["bands"]:
        print(f"  band {b}: labels accepted S/n={p[(b, 'accepted')]}, "
              f"rejected-by-guard S/n={p[(b, 'rejected')]}")
    for r in rows:
        print("  ", r)
    (OUT / f"precision_{name}.json").write_text(json.dumps(
        {"rows": rows, "labels_per_band": {f"{b} {v}": list(x) for (b, v), x in p.items()}},
        indent=1))


if __name__ == "__main__":
    args = sys.argv[1:]
    if args and args[0] == "precision":
        for n in args[1:] or ["reuters", "r22"]:
            precision(n)
    else:
        for n in args or ["reuters", "r22"]:
            main(n)
