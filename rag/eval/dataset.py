"""Question sets in the datasets' schema (../shared/datasets/README.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

# --- inputs --------------------------------------------------------------------------------------

@dataclass
class Question:
    id: str
    question: str
    answers: list[str] = field(default_factory=list)
    gold_doc_ids: list[str] = field(default_factory=list)
    date: str = ""


def load_questions(path: str | Path, limit: int | None = None) -> list[Question]:
    from ..types import RagError

    out: list[Question] = []
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise RagError(f"cannot read the questions {path}: {exc.strerror or exc}") from exc
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            q = Question(id=str(row.get("id") or f"{path.stem}-{n}"),
                         question=str(row["question"]),
                         answers=[str(a) for a in row.get("answers") or []],
                         gold_doc_ids=[str(g) for g in row.get("gold_doc_ids") or []],
                         date=str(row.get("date") or ""))
        except (ValueError, KeyError, TypeError) as exc:
            raise RagError(f"{path}:{n}: not a question in the datasets schema ({exc})") from exc
        out.append(q)
        if limit and len(out) >= limit:
            break
    if not out:
        raise RagError(f"{path} holds no questions")
    return out

