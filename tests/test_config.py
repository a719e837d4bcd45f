"""Settings: groups, flat keys, variables, enums checked with one-line errors."""

from pathlib import Path

import pytest

from rag import ConfigError, Fusion, Settings


def test_environment_and_overrides_reach_their_groups(tmp_path):
    s = Settings.from_env({"RAG_TOP_K": "5", "RAG_FUSION": "RRF", "RAG_LLM_URL": "http://x/v1",
                           "RAG_AUTH": "u:p", "RAG_UI_MODEL_SLOTS": "3",
                           "RAG_INDEX_DIR": str(tmp_path)}, min_answer_score=0.4)
    assert s.retrieval.top_k == 5 and s.retrieval.fusion is Fusion.RRF
    assert s.llm.url == "http://x/v1" and s.ui.auth == "u:p" and s.ui.model_slots == 3
    assert s.answer.min_answer_score == 0.4 and s.index_dir == Path(tmp_path)
    t = s.replace(fusion="zscore", llm_timeout="12")
    assert t.retrieval.fusion is Fusion.ZSCORE and t.llm.timeout == 12.0
    assert s.retrieval.fusion is Fusion.RRF  # the original is unchanged
    assert t.flat()["fusion"] == "zscore" and "llm_url" in t.flat()


@pytest.mark.parametrize("env, message", [
    ({"RAG_FUSION": "median"}, "RAG_FUSION='median' is not one of: relative, zscore, rrf"),
    ({"RAG_TOP_K": "many"}, "RAG_TOP_K='many' is not a valid int"),
])
def test_bad_values_give_one_line(env, message):
    with pytest.raises(ConfigError) as err:
        Settings.from_env(env)
    assert str(err.value) == message


def test_unknown_keys_are_refused():
    with pytest.raises(ConfigError, match="unknown setting 'topk'"):
        Settings().replace(topk=3)


def test_bad_backend_names_are_one_line(tmp_path):
    from rag import Assistant

    bot = Assistant(index_dir=tmp_path, store="nosuch")
    with pytest.raises(ConfigError, match="RAG_STORE='nosuch' is not one of"):
        _ = bot.store
    bot = Assistant(index_dir=tmp_path, embed_backend="nosuch")
    with pytest.raises(ConfigError, match="RAG_EMBED_BACKEND='nosuch'"):
        _ = bot.embedder


def test_cluster_settings_from_the_environment():
    s = Settings.from_env({"RAG_REPLICA_SYNC_SECONDS": "2.5", "RAG_RAY_WORKERS": "3",
                           "RAG_RAY_ADDRESS": "127.0.0.1:6379"})
    assert s.cluster.replica_sync_seconds == 2.5 and s.cluster.ray_workers == 3
    assert s.cluster.ray_address == "127.0.0.1:6379"
    with pytest.raises(ConfigError, match="RAG_RAY_WORKERS"):
        Settings.from_env({"RAG_RAY_WORKERS": "many"})
