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
    standalone: str = ""  # for a turn of a conversation: the question rewritten to stand alone
    turns: list[Question] | None = None  # a conversation: its turns, asked in order

    @property
    def is_conversation(self) -> bool:
        return self.turns is not None


def _question(row: dict, qid: str, date: str = "") -> Question:
    return Question(id=qid, question=str(row["question"]),
                    answers=[str(a) for a in row.get("answers") or []],
                    gold_doc_ids=[str(g) for g in row.get("gold_doc_ids") or []],
                    date=str(row.get("date") or date or ""),
                    standalone=str(row.get("standalone") or ""))


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
            qid = str(row.get("id") or f"{path.stem}-{n}")
            if "turns" in row:  # a conversation: {"id", "turns": [{"question", ...}, ...]}
                turns = [_question(t, f"{qid}#{i + 1}", row.get("date") or "")
                         for i, t in enumerate(row["turns"])]
                if not turns:
                    raise ValueError("a conversation with no turns")
                q = Question(id=qid, question=turns[0].question, date=turns[0].date,
                             turns=turns)
            else:
                q = _question(row, qid)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise RagError(f"{path}:{n}: not a question or conversation in the datasets "
                           f"schema ({exc})") from exc
        out.append(q)
        if limit and len(out) >= limit:
            break
    if not out:
        raise RagError(f"{path} holds no questions")
    return out

