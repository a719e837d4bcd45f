"""Keep the libraries offline: set before any of them is imported (see STACK-NOTES)."""

import os

_OFFLINE = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "TOKENIZERS_PARALLELISM": "false",
}


def apply() -> None:
    for key, value in _OFFLINE.items():
        os.environ.setdefault(key, value)
    # llama-index ships tiktoken and NLTK data and only uses them when these are unset.
    for key in ("TIKTOKEN_CACHE_DIR", "NLTK_DATA"):
        if os.environ.get(key) == "":
            del os.environ[key]


apply()
