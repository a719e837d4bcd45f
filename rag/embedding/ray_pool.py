"""Embedding on a Ray cluster: chunk groups go through Ray Data to actors that hold the model.

``rag ingest --ray ADDRESS`` (or RAG_RAY_ADDRESS) runs ingestion as in one process
(rag/ingest.py: sources read, manifest checked, articles chunked, the store written, by the
driver), but the groups of chunk texts it would embed are handed to this pool a window at a
time: a Ray Data dataset of groups, ``map_batches`` over a pool of actors (one model each,
one CPU each, ``ray_workers`` of them), its rows read back as they finish. A group is
embedded whole by one actor with the project's own embedder, so its vectors are the ones
single-process ingestion computes. Ray restarts an actor that dies and retries its group;
a run that fails anyway leaves the store consistent and the next run redoes the rest.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator

import numpy as np

from ..types import RagError

# What an actor needs to build the same embedder as the driver.
_KEYS = ("embed_model", "embed_backend", "embed_batch_size", "embed_cache_dir")


def _check_reachable(address: str) -> None:
    """Fail in one line when nothing listens at HOST:PORT: ray.init would retry for minutes."""
    import socket

    host, _, port = address.rpartition(":")
    if "://" in address or not host or not port.isdigit():
        return  # "auto", ray://...: left to Ray
    try:
        socket.create_connection((host, int(port)), timeout=3).close()
    except OSError as exc:
        raise RagError(f"cannot reach the Ray cluster at {address}: {exc.strerror or exc}; "
                       "start its head first (deploy/ray_node.sh head PORT, or ray start "
                       "--head)") from None


def _keep_loopback() -> None:
    """Ray swaps a loopback address for the machine's outward one (so that other machines
    could reach it); a one-machine cluster started on 127.0.0.1 (deploy/ray_node.sh) is only
    reachable there."""
    import ray._private.services as services

    services.resolve_ip_for_localhost = lambda host: host


def _actor_class(flat: dict):
    """The actor class, with the embedder's settings in its definition (shipped once with the
    class rather than as constructor arguments in the object store, which a restarted actor
    could find gone)."""

    class EmbedActor:
        """One model per actor, loaded once; each call embeds whole groups."""

        def __init__(self):
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            from rag.config import Settings
            from rag.embedding import get_embedder

            self.embedder = get_embedder(Settings().replace(**flat))

        def __call__(self, batch: dict) -> dict:
            out = []
            for texts in batch["texts"]:
                vectors = np.asarray(self.embedder.embed_texts(json.loads(texts)),
                                     dtype=np.float32)
                out.append(vectors.tobytes())
            return {"i": batch["i"], "vectors": np.array(out, dtype=object)}

    return EmbedActor


class RayEmbedPool:
    """Embeds groups of texts on ``workers`` actors of the Ray cluster at ``address``."""

    def __init__(self, settings, address: str, workers: int | None = None,
                 window: int | None = None, dim: int = 384):
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no call home (offline)
        try:
            import ray
        except ImportError as exc:
            raise RagError("--ray needs the cluster extra: pip install -e '.[cluster]'") from exc
        c = settings.cluster
        self.workers = max(1, workers or c.ray_workers)
        self.window = max(1, window or c.ray_window)
        self.dim = dim
        self.flat = {k: v for k, v in settings.flat().items() if k in _KEYS}
        _check_reachable(address)
        if address.split(":")[0] in ("127.0.0.1", "localhost"):
            _keep_loopback()
        try:
            ray.init(address=address, ignore_reinit_error=True, logging_level=logging.WARNING,
                     log_to_driver=False, include_dashboard=False)
        except Exception as exc:  # noqa: BLE001 - a wrong address, a cluster not started
            raise RagError(f"cannot join the Ray cluster at {address}: "
                           f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
                           ) from exc
        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = False  # ingestion shows its own
        ctx.execution_options.verbose_progress = False
        ctx.print_on_execution_start = False
        for name in ("ray", "ray.data"):  # its INFO lines would break the progress bar
            logging.getLogger(name).setLevel(logging.ERROR)
        self.actor = _actor_class(self.flat)

    def embed_groups(self, groups: list[list[str]]) -> Iterator[tuple[int, np.ndarray]]:
        """(index of the group, its vectors), in the order the actors finish them."""
        import ray

        ds = ray.data.from_items([{"i": i, "texts": json.dumps(t)}
                                  for i, t in enumerate(groups)],
                                 override_num_blocks=len(groups))
        workers = min(self.workers, len(groups))
        ds = ds.map_batches(self.actor, batch_size=1, batch_format="numpy", num_cpus=1,
                            compute=ray.data.ActorPoolStrategy(size=workers))
        rows = iter(ds.iter_rows())
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except Exception as exc:  # noqa: BLE001 - Ray's errors are many and long
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                raise RagError(f"embedding on the Ray cluster failed ({type(exc).__name__}: "
                               f"{first[:300]}); what was written is kept: run the same "
                               "command again to finish") from exc
            vectors = np.frombuffer(row["vectors"], dtype=np.float32).reshape(-1, self.dim)
            yield int(row["i"]), vectors

    def close(self) -> None:
        import ray

        ray.shutdown()
