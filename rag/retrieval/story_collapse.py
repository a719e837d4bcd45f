"""The step after the stages: one copy per story (rag/stories.py).

When several near-duplicate copies of one story are among the candidates (a wire story re-sent
with a correction, or republished by several outlets), only the passages of one copy stay: its
earliest full copy among the candidates (earliest by the source's date and time; a feed entry
read from the feed's summary is not full), and its best passage takes the best score any copy
reached, so that the story ranks where its best copy did. That copy keeps all its passages, as
any article does; the other copies are named on the citation instead ("also reported by").
Only candidates are considered, so filters (dates, sources) still decide which copy can answer.
"""

from __future__ import annotations

from .base import Candidate


def collapse(ranked: list[Candidate], lookup) -> list[Candidate]:
    """``ranked`` (best first) without the passages of other copies of a story; ``lookup`` is
    a rag.stories.StoryLookup."""
    docs = list(dict.fromkeys(c.chunk.doc_id for c in ranked))
    story = lookup.story_of(docs)
    found: dict[str, list[str]] = {}
    for d in docs:
        found.setdefault(story.get(d, d), []).append(d)
    shared = {s: ds for s, ds in found.items() if len(ds) > 1}
    if not shared:
        return ranked
    order = {m["doc_id"]: i for ms in lookup.members(shared).values()
             for i, m in enumerate(sorted(ms, key=lambda m: not m["full"]))}
    keep = {s: min(ds, key=lambda d: order.get(d, len(order))) for s, ds in shared.items()}
    best = {s: max(c.score for c in ranked if story.get(c.chunk.doc_id) == s) for s in keep}
    out, lifted = [], set()
    for c in ranked:
        s = story.get(c.chunk.doc_id)
        if s in keep:
            if c.chunk.doc_id != keep[s]:
                continue
            if s not in lifted:  # the copy's best passage (ranked is best first)
                c.score = max(c.score, best[s])
                lifted.add(s)
        out.append(c)
    out.sort(key=lambda c: c.score, reverse=True)
    return out
