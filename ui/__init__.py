"""The browser chat (`rag serve`). Importing the package applies the offline settings first, so
gradio never looks up remote hosts (see rag/offline.py)."""

from rag import offline  # noqa: F401 - before gradio is imported by ui.app
