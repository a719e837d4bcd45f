"""Generated answers on this CPU, and the citation checker's thresholds.

Two jobs:

``calibrate``: measure how rag.answering.verify separates supported from unsupported answer
sentences, on realtimeqa-2022 (no LLM needed). For each multiple-choice question whose answer
occurs in a gold article, the gold chunk holding the answer is the passage, and:
  * positives: "<question>: <right option>." , the article sentence holding the answer, and
    that sentence cut to its first 70% of words;
  * negatives: "<question>: <wrong option>." for each wrong option (same passage: only the
    answer differs), and the right statement against the most similar chunk of another article.
It prints the rates for a grid of thresholds, so rag/verify.py's constants are measured.

``run``: with an OpenAI-compatible endpoint (e.g. ``rag llm-serve --model X.gguf``), ask N
questions through the real path (``Assistant.stream``) and report time to first token, tokens
per second (streamed deltas per second after the first) and the citation support rate.

    python benchmarks/llm_local.py calibrate
    python benchmarks/llm_local.py run --url http://127.0.0.1:8081/v1 --n 20 --index-dir DIR
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "datasets" / "realtimeqa-2022"


def _norm(s: str) -> str:
    return s.replace("\u201c", '"').replace("\u201d", '"').replace("\u2019", "'").lower()


def load(limit: int | None = None):
    arts = {}
    for line in (DATA / "articles.jsonl").open():
        d = json.loads(line)
        arts[d["id"]] = d
    qs = [json.loads(line) for line in (DATA / "questions.jsonl").open()]
    return arts, qs[:limit] if limit else qs


def calibrate(args) -> int:
    import numpy as np

    import rag  # noqa: F401
    from rag.answering import verify
    from rag.chunks import Chunker
    from rag.config import Settings
    from rag.embedding import get_embedder
    from rag.text import sentence_spans
    from rag.types import Article, Passage

    arts, qs = load()
    chunker = Chunker(200, 30)
    emb = get_embedder(Settings())
    ver = verify.Verifier(emb)
    all_chunks = []
    for a in arts.values():
        for c in chunker.split(Article(id=a["id"], text=a["text"])):
            all_chunks.append(Passage(c.id, c.doc_id, c.text, c.start, c.end, 0.0,
                                      title=a.get("title", "")))
    by_doc: dict[str, list] = {}
    for p in all_chunks:
        by_doc.setdefault(p.doc_id, []).append(p)
    import bm25s

    bm = bm25s.BM25()
    bm.index(bm25s.tokenize([c.text for c in all_chunks], stopwords="en", show_progress=False),
             show_progress=False)
    cases = []  # (group, label, sentence, passage)
    for q in qs:
        if not q.get("choices") or not q.get("answers"):
            continue
        ans = q["answers"][0]
        gold = [p for d in q["gold_doc_ids"] for p in by_doc.get(d, [])
                if _norm(ans).strip('"') in _norm(p.text)]
        if not gold:
            continue
        p = gold[0]
        stem = q["question"].rstrip("?").strip()
        for ch in q["choices"]:
            right = _norm(ch) == _norm(ans)
            cases.append(("choice", right, f"{stem}: {ch}.", p))
        for a, b in sentence_spans(p.text):
            s = p.text[a:b]
            if _norm(ans).strip('"') in _norm(s) and len(s) > 30:
                cases.append(("verbatim", True, s, p))
                words = s.split()
                cases.append(("cut70", True, " ".join(words[: max(5, int(0.7 * len(words)))])
                              + ".", p))
                break
        hits, _ = bm.retrieve(bm25s.tokenize([f"{stem} {ans}"], stopwords="en",
                                             show_progress=False), k=10, show_progress=False)
        others = [all_chunks[i] for i in hits[0] if all_chunks[i].doc_id not in q["gold_doc_ids"]]
        cases.append(("other-article", False, f"{stem}: {ans}.", others[:3]))
    print(f"{len(cases)} cases", file=sys.stderr)
    feats = []
    t0 = time.time()
    groups_by_passages: dict[tuple, list] = {}
    for case in cases:  # one call per passage set: its sentences are embedded once
        ps = case[3] if isinstance(case[3], list) else [case[3]]
        groups_by_passages.setdefault(tuple(p.chunk_id for p in ps), [ps, []])[1].append(case)
    for ps, group_cases in groups_by_passages.values():
        if not ps:
            continue
        table = ver.supports([c[2] for c in group_cases], ps)
        for (group, label, _, _), row in zip(group_cases, table, strict=True):
            rows = [r for r in row if r is not None]
            if rows:
                feats.append((group, label, max(rows, key=lambda r: r.score)))
    print(f"scored in {time.time() - t0:.0f} s", file=sys.stderr)
    groups = sorted({g for g, _, _ in feats})
    print("threshold  " + "  ".join(f"{g}({'pos' if lab else 'neg'})"
                                    for g in groups for lab in (True, False)
                                    if any(x[0] == g and x[1] == lab for x in feats)))
    for wc in (0.3, 0.5, 0.7):
        for th in np.arange(0.45, 0.86, 0.05):
            cells = []
            for g in groups:
                for lab in (True, False):
                    sel = [f for f in feats if f[0] == g and f[1] == lab]
                    if not sel:
                        continue
                    ok = [(f[2].names >= ver.settings.min_name_cover
                           and wc * f[2].cosine + (1 - wc) * f[2].coverage >= th) for f in sel]
                    cells.append(f"{sum(ok) / len(sel):.2f}(n={len(sel)})")
            print(f"w_cos={wc:.1f} th={th:.2f}  " + "  ".join(cells))
    no_names = [f for f in feats if not (f[0] == "choice" and not f[1])]
    print("name-cover < 1 among positives:",
          sum(f[2].names < ver.settings.min_name_cover for f in no_names if f[1]),
          "of", sum(1 for f in no_names if f[1]))
    return 0


def run(args) -> int:
    import rag  # noqa: F401
    from rag import Assistant
    from rag.types import Answer

    arts, qs = load()
    qs = [q for q in qs if q.get("answers")][: args.n]
    bot = Assistant(index_dir=args.index_dir, llm_url=args.url, llm_model=args.model or "",
                    llm_timeout=args.timeout, llm_passages=args.passages,
                    llm_max_tokens=args.max_tokens)
    if bot.store.count_chunks() == 0:
        # The questions' gold articles plus as many others as distractors (the whole set takes
        # long to embed on a busy CPU; this measures the LLM, not retrieval).
        gold = {d for q in qs for d in q["gold_doc_ids"]}
        others = [a for a in sorted(arts) if a not in gold][: args.distractors]
        subset = args.index_dir.with_suffix(".jsonl")
        args.index_dir.parent.mkdir(parents=True, exist_ok=True)
        with subset.open("w") as f:
            for a in [*sorted(gold), *others]:
                f.write(json.dumps(arts[a]) + "\n")
        print(f"indexing {len(gold)} gold + {len(others)} other articles ...", file=sys.stderr)
        bot.ingest([subset])
    rows = []
    for q in qs:
        t0 = time.perf_counter()
        first = last = None
        deltas = 0
        answer = None
        for item in bot.stream(q["question"]):
            if isinstance(item, Answer):
                answer = item
            elif item:
                deltas += 1
                last = time.perf_counter()
                if first is None:
                    first = last
        total = time.perf_counter() - t0
        gen = last - first if first else 0.0
        sents = answer.sentences
        hit = any(_norm(a).strip('"') in _norm(answer.text) for a in q["answers"])
        rows.append({"id": q["id"], "mode": answer.mode, "notice": answer.notice,
                     "ttft_s": round(first - t0, 2) if first else None,
                     "tok_per_s": round(deltas / gen, 2) if gen > 0 and deltas > 1 else None,
                     "total_s": round(total, 1), "sentences": len(sents),
                     "supported": sum(s.supported for s in sents),
                     "abstained": answer.abstained, "answer_hit": hit, "text": answer.text})
        print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
    llm = [r for r in rows if r["mode"] == "llm"]
    sent = sum(r["sentences"] for r in llm)
    summary = {
        "questions": len(rows), "llm_answers": len(llm),
        "fallbacks": len(rows) - len(llm),
        "ttft_s_median": statistics.median([r["ttft_s"] for r in llm if r["ttft_s"]] or [0]),
        "tok_per_s_median": statistics.median([r["tok_per_s"] for r in llm
                                               if r["tok_per_s"]] or [0]),
        "total_s_median": statistics.median([r["total_s"] for r in rows]),
        "sentences": sent,
        "citation_support_rate": (round(sum(r["supported"] for r in llm) / sent, 3)
                                  if sent else None),
        "abstained": sum(r["abstained"] for r in rows),
        "answer_hit": sum(r["answer_hit"] for r in rows),
    }
    print(json.dumps(summary, indent=2))
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("calibrate").set_defaults(func=calibrate)
    p = sub.add_parser("run")
    p.add_argument("--url", required=True)
    p.add_argument("--model", default="")
    p.add_argument("--n", type=int, default=20)
    p.add_argument("--timeout", type=float, default=300.0)
    p.add_argument("--passages", type=int, default=4)
    p.add_argument("--max-tokens", type=int, default=200)
    p.add_argument("--distractors", type=int, default=40)
    p.add_argument("--index-dir", type=Path, default=Path("/tmp/rtqa_index"))
    p.set_defaults(func=run)
    args = ap.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
