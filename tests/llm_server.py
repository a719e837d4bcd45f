"""A scripted OpenAI-compatible server on loopback, for driving the real LLM client path.

    with ScriptedLLM() as llm:
        llm.script = lambda request: Reply("The answer [1].")
        Assistant(..., llm_url=llm.url)

``script`` gets each chat request (the parsed JSON body, also kept in ``llm.requests``) and
returns what to send: a ``Reply`` (streamed over server-sent events when the request asks for
``stream``, in pieces of ``piece`` characters), ``Endless`` (a stream that never finishes),
``Status`` (an HTTP error) or ``Garbage`` (a 200 whose body is not the API's format).
``/api/chat`` answers as Ollama's native API does (newline-delimited JSON), at ``ollama_url``.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    text: str
    piece: int = 6  # characters per streamed delta
    delay: float = 0.0  # seconds between deltas


@dataclass
class Endless:
    every: float = 0.2  # a token this often, for ever (until the client hangs up)


@dataclass
class Status:
    code: int = 500
    body: str = '{"error": {"message": "internal error", "type": "server_error"}}'


@dataclass
class Garbage:
    body: str = "data: this is not json\n\ndata: {\"choices\": [{\"delta\": 7}]}\n\n"


def sources_in(request: dict) -> dict[int, str]:
    """The numbered sources in the prompt: {n: text}."""
    user = "\n".join(m.get("content") or "" for m in request.get("messages", [])
                     if m.get("role") == "user")
    return {int(m.group(1)): m.group(2) for m in re.finditer(
        r'<source n="(\d+)"[^>]*>\n(.*?)\n</source>', user, re.DOTALL)}


def source_with(request: dict, needle: str) -> int:
    """The number of the first source whose text contains ``needle`` (as a model would cite)."""
    for n, text in sorted(sources_in(request).items()):
        if needle.lower() in text.lower():
            return n
    raise AssertionError(f"no source in the prompt contains {needle!r}")


def is_condense(request: dict) -> bool:
    system = " ".join(m.get("content") or "" for m in request.get("messages", [])
                      if m.get("role") == "system")
    return "standalone question" in system


class ScriptedLLM:
    def __init__(self):
        self.requests: list[dict] = []
        self.script = lambda request: Reply("")
        self._stop = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_GET(self):
                if self.path.rstrip("/").endswith("/models"):
                    self._json(200, {"object": "list", "data": [{"id": "scripted",
                                                                 "object": "model"}]})
                else:
                    self._json(404, {"error": {"message": "not found"}})

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                owner.requests.append(body)
                action = owner.script(body)
                try:
                    if self.path.startswith("/api/chat"):  # Ollama's native API
                        self._ollama(body, action)
                        return
                    self._answer(body, action)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout): nothing to do

            def _answer(self, body: dict, action) -> None:
                if isinstance(action, Status):
                    self._raw(action.code, "application/json", action.body)
                elif isinstance(action, Garbage):
                    self._raw(200, "text/event-stream" if body.get("stream")
                              else "application/json", action.body)
                elif isinstance(action, Endless):
                    self._sse_head()
                    deadline = time.monotonic() + 30
                    while not owner._stop.is_set() and time.monotonic() < deadline:
                        self._sse(_chunk("and so on "))
                        time.sleep(action.every)
                elif body.get("stream"):
                    self._sse_head()
                    self._sse(_chunk("", role=True))
                    text = action.text
                    for i in range(0, len(text), action.piece):
                        self._sse(_chunk(text[i:i + action.piece]))
                        if action.delay:
                            time.sleep(action.delay)
                    self._sse(_chunk(None, finish="stop"))
                    self.wfile.write(b"data: [DONE]\n\n")
                    self.wfile.flush()
                else:
                    self._json(200, {"id": "x", "object": "chat.completion", "created": 0,
                                     "model": "scripted", "choices": [{
                                         "index": 0, "finish_reason": "stop",
                                         "message": {"role": "assistant",
                                                     "content": action.text}}]})

            def _ollama(self, body: dict, action) -> None:
                if isinstance(action, Status):
                    self._raw(action.code, "application/json", '{"error": "model failed"}')
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/x-ndjson")
                self.end_headers()
                text = action.text
                step = action.piece if body.get("stream", True) else len(text) or 1
                for i in range(0, len(text), step):
                    self._line({"model": body.get("model"), "created_at": _NOW, "done": False,
                                "message": {"role": "assistant", "content": text[i:i + step]}})
                self._line({"model": body.get("model"), "created_at": _NOW, "done": True,
                            "done_reason": "stop", "message": {"role": "assistant",
                                                               "content": ""}})

            def _line(self, obj: dict):
                self.wfile.write(json.dumps(obj).encode() + b"\n")
                self.wfile.flush()

            def _sse_head(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()

            def _sse(self, obj: dict):
                self.wfile.write(b"data: " + json.dumps(obj).encode() + b"\n\n")
                self.wfile.flush()

            def _json(self, code: int, obj: dict):
                self._raw(code, "application/json", json.dumps(obj))

            def _raw(self, code: int, ctype: str, text: str):
                data = text.encode()
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"
        self.ollama_url = f"ollama://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def chats(self) -> list[dict]:
        """The answer requests received (not the follow-up rewrites)."""
        return [r for r in self.requests if not is_condense(r)]

    def __enter__(self) -> ScriptedLLM:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()


_NOW = "2024-01-01T00:00:00Z"


def _chunk(content, role: bool = False, finish: str | None = None) -> dict:
    delta: dict = {}
    if role:
        delta["role"] = "assistant"
    if content is not None:
        delta["content"] = content
    return {"id": "chatcmpl-scripted", "object": "chat.completion.chunk", "created": 0,
            "model": "scripted", "choices": [{"index": 0, "delta": delta,
                                              "finish_reason": finish}]}
