"""A real headless Chromium driven over the DevTools protocol (no browser download: Debian's
`chromium` package), for tests that must see a page the way a user does."""
from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.request import urlopen

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class Browser:
    """One headless Chromium with one page; `goto`, `js`, `screenshot`."""

    def __init__(self, timeout: float = 60.0):
        from websockets.sync.client import connect

        self.timeout = timeout
        self._stack = contextlib.ExitStack()
        self._profile = tempfile.TemporaryDirectory(prefix="chromium-")
        self._proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
             f"--user-data-dir={self._profile.name}", "--window-size=1280,900", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        port_file = Path(self._profile.name) / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while not (port_file.exists() and port_file.read_text().count("\n") >= 1):
            if time.monotonic() > deadline or self._proc.poll() is not None:
                self.close()
                raise RuntimeError("chromium did not start")
            time.sleep(0.05)
        port = port_file.read_text().split("\n")[0]
        with urlopen(f"http://127.0.0.1:{port}/json/list", timeout=timeout) as answer:
            target = next(t for t in json.load(answer) if t["type"] == "page")
        self._ws = self._stack.enter_context(
            connect(target["webSocketDebuggerUrl"], max_size=None, open_timeout=timeout))
        self._ids = itertools.count(1)
        self.call("Page.enable")

    def call(self, method: str, **params) -> dict:
        """Send one command and wait for its answer (events on the way are dropped)."""
        message_id = next(self._ids)
        self._ws.send(json.dumps({"id": message_id, "method": method, "params": params}))
        while True:
            message = json.loads(self._ws.recv(timeout=self.timeout))
            if message.get("id") == message_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def js(self, expression: str):
        """Evaluate in the page (awaiting promises) and return the value."""
        result = self.call("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"])
        return result["result"].get("value")

    def wait_for(self, expression: str):
        """Poll until `expression` is truthy in the page (navigation, rendering)."""
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            try:
                value = self.js(expression)
            except RuntimeError:
                value = None                 # the page is between documents
            if value:
                return value
            time.sleep(0.05)
        raise TimeoutError(expression)

    def goto(self, url: str) -> None:
        self.navigate_by(lambda: self.call("Page.navigate", url=url))

    def navigate_by(self, action) -> None:
        """Run `action` (navigate, submit a form, click a link) and wait for the next document."""
        self.js("window.__previousDocument = true")
        action()
        self.wait_for("!window.__previousDocument && document.readyState === 'complete'")

    def screenshot(self, path: Path) -> Path:
        path.write_bytes(base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"]))
        return path

    def close(self) -> None:
        """Stop Chromium and all its processes, then remove its profile. Its renderer, network
        and crash-handler processes outlive the main one for a moment and still write to the
        profile: removing it before they are gone failed now and then with 'Directory not
        empty: Default' (the test's one rare failure)."""
        self._stack.close()
        group = self._proc.pid          # its own session: the group holds every process it started
        self._signal(group, signal.SIGTERM)
        try:
            self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._signal(group, signal.SIGKILL)
            self._proc.wait()
        killed_at = time.monotonic() + 5
        give_up = killed_at + 5         # (zombies nobody reaps would keep the group forever)
        while self._signal(group, 0) and time.monotonic() < give_up:   # any of its processes left?
            if time.monotonic() > killed_at:
                self._signal(group, signal.SIGKILL)
                killed_at = give_up
            time.sleep(0.05)
        self._profile.cleanup()

    @staticmethod
    def _signal(group: int, sig: int) -> bool:
        """Send `sig` to the process group; False when no process of it is left."""
        try:
            os.killpg(group, sig)
        except ProcessLookupError:
            return False
        return True

    def __enter__(self) -> "Browser":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
