"""`rag eval`: retrieval, answer and citation quality on question sets.

Parts: ``metrics`` (pure functions), ``dataset`` (question files), ``runner`` (the Evaluator
and its configurations), ``report`` (records, tables, files) and ``plots`` (the only module
that imports matplotlib).
"""

from .dataset import Question, load_questions
from .report import ConfigReport, EvalReport, summary_rows, text_table
from .runner import COMPARE, PRESETS, EvalConfig, Evaluator, evaluate, parse_config

__all__ = ["COMPARE", "PRESETS", "ConfigReport", "EvalConfig", "EvalReport", "Evaluator",
           "Question", "evaluate", "load_questions", "parse_config", "summary_rows",
           "text_table"]
