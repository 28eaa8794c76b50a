"""Helpers for the tests of `regles serve`: the app on a real port, and a headless Chromium driven
through the DevTools protocol (over `websocket-client`: no browser download, no node).

    with running(create_app("rulesets")) as base, Browser() as page:
        page.goto(base + "/entretien/convention2024")
        page.js("document.title")
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import socket
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import support


@contextlib.contextmanager
def running(app: Any) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on 127.0.0.1 (a free port) for the block; yields the base URL."""
    import uvicorn
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="error", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("le serveur de test n'a pas démarré")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(20)
        sock.close()


def request(url: str, body: bytes | None = None, method: str | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, bytes, dict[str, str]]:
    """(status, body, headers) of one HTTP request, errors included."""
    req = urllib.request.Request(url, data=body, method=method or ("POST" if body is not None else "GET"),
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=60) as answer:
            return answer.status, answer.read(), dict(answer.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


class Browser:
    """One headless Chromium page driven over the DevTools protocol."""

    def __init__(self, width: int = 1200, height: int = 900) -> None:
        self.width, self.height = width, height

    def __enter__(self) -> Browser:
        import subprocess
        import websocket
        self._dir = tempfile.TemporaryDirectory()
        profile = Path(self._dir.name)
        self._process = subprocess.Popen(
            [support.chromium(), *support.CHROMIUM_FLAGS, f"--user-data-dir={profile}",
             "--remote-debugging-port=0", "--remote-allow-origins=*", f"--window-size={self.width},{self.height}",
             "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().strip()):
            if time.monotonic() > deadline or self._process.poll() is not None:
                self.__exit__(None, None, None)
                raise RuntimeError("chromium n'a pas ouvert son port DevTools")
            time.sleep(0.05)
        port = port_file.read_text().split()[0]
        pages = []
        while not pages:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as answer:
                pages = [t for t in json.load(answer) if t["type"] == "page"]
            if not pages:
                time.sleep(0.05)
        self._ws = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=60, suppress_origin=True)
        self._id = 0
        self._events: list[dict[str, Any]] = []
        self.send("Page.enable")
        self.send("Runtime.enable")
        self.resize(self.width, self.height)
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop Chromium and every process it started, then remove the profile.

        Chromium's helpers (renderer, GPU, crash handler) may outlive the main process for a moment
        and keep writing into the profile; removing it then fails with "Directory not empty". So
        the whole process group is stopped, and the removal is retried while a straggler exits.
        """
        with contextlib.suppress(Exception):
            self._ws.close()
        for sig in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, sig)
            try:
                self._process.wait(10)
                break
            except Exception:  # noqa: BLE001 - still running: the next signal
                continue
        with contextlib.suppress(ProcessLookupError):  # helpers that outlived a main process gone at SIGTERM
            os.killpg(self._process.pid, signal.SIGKILL)
        for attempt in range(50):
            try:
                self._dir.cleanup()
                return
            except OSError:
                if attempt == 49:
                    raise
                time.sleep(0.1)

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one DevTools command and return its result (events met meanwhile are kept)."""
        self._id += 1
        mine = self._id
        self._ws.send(json.dumps({"id": mine, "method": method, "params": params}))
        while True:
            message = json.loads(self._ws.recv())
            if message.get("id") == mine:
                if "error" in message:
                    raise RuntimeError(f"{method} : {message['error']}")
                return message.get("result", {})
            self._events.append(message)

    def wait_event(self, name: str, timeout: float = 30) -> dict[str, Any]:
        """Wait for a DevTools event (one seen since the last wait counts)."""
        deadline = time.monotonic() + timeout
        while True:
            for i, event in enumerate(self._events):
                if event.get("method") == name:
                    del self._events[: i + 1]
                    return event
            self._events.clear()
            if time.monotonic() > deadline:
                raise TimeoutError(name)
            self._ws.settimeout(max(0.1, deadline - time.monotonic()))
            self._events.append(json.loads(self._ws.recv()))

    def resize(self, width: int, height: int, mobile: bool = False) -> None:
        """Emulate a screen of `width` × `height` CSS pixels (a phone with `mobile`)."""
        self.send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=mobile)

    def goto(self, url: str) -> None:
        """Open `url` and wait until it has loaded."""
        self._events.clear()
        self.send("Page.navigate", url=url)
        self.wait_event("Page.loadEventFired")

    def js(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (promises awaited)."""
        answer = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in answer:
            raise RuntimeError(f"JavaScript : {answer['exceptionDetails']}")
        return answer["result"].get("value")

    def submit(self, selector: str) -> None:
        """Submit a form (as pressing its button does) and wait for the next page."""
        self._events.clear()
        self.js(f"document.querySelector({json.dumps(selector)}).requestSubmit()")
        self.wait_event("Page.loadEventFired")

    def wait_for(self, expression: str, timeout: float = 30) -> Any:
        """Poll a JavaScript expression until it is truthy; return its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.js(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(expression)
            time.sleep(0.1)

    def screenshot(self, path: Path, full: bool = True) -> None:
        """Write a PNG of the page (all of it with `full`)."""
        params: dict[str, Any] = {"format": "png"}
        if full:
            params["captureBeyondViewport"] = True
        data = self.send("Page.captureScreenshot", **params)["data"]
        path.write_bytes(base64.b64decode(data))
