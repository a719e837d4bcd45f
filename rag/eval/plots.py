"""PNG plots of an evaluation report (the only module that imports matplotlib)."""

from __future__ import annotations

from pathlib import Path

from .metrics import DEPTH


def write_plots(report, out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    made = []
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, r in report.configs.items():
        ax.plot(range(1, DEPTH + 1), r.hit_curve, marker="o", label=name)
    ax.set_xlabel("k (articles)")
    ax.set_ylabel("hit@k")
    ax.set_title(f"Article hit@k ({report.n_questions} questions)")
    ax.set_xticks(range(1, DEPTH + 1))
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "hit_at_k.png", dpi=110)
    plt.close(fig)
    made.append("hit_at_k.png")

    metrics = [("hit@5", "retrieval", "hit@5"), ("MRR@10", "retrieval", "mrr@10"),
               ("nDCG@10", "retrieval", "ndcg@10"), ("contains", "answer", "contains_answer"),
               ("cite-gold", "citations", "article_precision"),
               ("abstain", "answer", "abstention_rate"),
               ("abstain-unans", "unanswerable", "abstention_rate")]
    metrics = [m for m in metrics if any((getattr(r, m[1]) or {}).get(m[2]) is not None
                                         for r in report.configs.values())]
    names = list(report.configs)
    fig, ax = plt.subplots(figsize=(max(6, 1.3 * len(metrics) * max(1, len(names)) / 2), 4))
    width = 0.8 / max(1, len(names))
    for i, name in enumerate(names):
        r = report.configs[name]
        vals = [(getattr(r, m[1]) or {}).get(m[2]) or 0.0 for m in metrics]
        ax.bar([j + i * width for j in range(len(metrics))], vals, width, label=name)
    ax.set_xticks([j + width * (len(names) - 1) / 2 for j in range(len(metrics))])
    ax.set_xticklabels([m[0] for m in metrics])
    ax.set_ylim(0, 1.05)
    ax.set_title("Metrics per configuration")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "configs.png", dpi=110)
    plt.close(fig)
    made.append("configs.png")
    return made

