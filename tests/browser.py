"""Open an HTML file in headless Chromium with all network disabled, for tests and benchmarks (test-only: not installed).

Talks the DevTools protocol over ``--remote-debugging-pipe`` (no port, no websocket library): records console
errors, uncaught exceptions and every request the page makes, waits until the map says it is ready, evaluates
JavaScript and takes screenshots.

Example
-------
>>> with Browser() as b:                                          # doctest: +SKIP
...     page = b.open("outputs/map.html", ready="document.documentElement.dataset.geoReady === '1'")
...     b.evaluate("document.querySelectorAll('path.geo-area').length")
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Browser", "PageLoad", "find_chromium"]

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--mute-audio",
    # every host name resolves to nothing and any proxy use fails: the page gets no network at all
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--proxy-server=http://0.0.0.0:1",
    "--proxy-bypass-list=<-loopback>",
)


def find_chromium() -> str | None:
    """Path of Debian's chromium (or another Chromium/Chrome on PATH), None when there is none."""
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class PageLoad:
    """What happened while a page loaded."""

    url: str
    ready: bool
    load_s: float  # wall time from navigation to the ready condition (or the load event without one)
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)  # URLs the page asked for (file:, data:, or others)

    @property
    def external_requests(self) -> list[str]:
        """Requests that would need a network (anything but file:, data:, blob:, about:)."""
        return [u for u in self.requests if not u.startswith(("file:", "data:", "blob:", "about:"))]


def _pipe_fds(read_fd: int, write_fd: int) -> None:
    """In the child: put the pipe ends on fds 3 and 4 (via fresh copies, in case one already is 3 or 4)."""
    r, w = os.dup(read_fd), os.dup(write_fd)
    os.dup2(r, 3)
    os.dup2(w, 4)


class Browser:
    """A headless Chromium driven over the DevTools pipe; use as a context manager."""

    def __init__(self, *, width: int = 1200, height: int = 900, executable: str | None = None) -> None:
        self.width, self.height = width, height
        self.executable = executable or find_chromium()
        if self.executable is None:
            raise FileNotFoundError("no chromium found: apt-get install chromium (Debian) to open HTML maps")
        self._id = 0
        self._events: list[dict[str, Any]] = []
        self._buf = b""

    # ------------------------------------------------------------------ process and protocol
    def __enter__(self) -> Browser:
        self._profile = tempfile.mkdtemp(prefix="geo-chromium-")
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()
        # Chromium reads commands on fd 3 and writes replies on fd 4
        self._proc = subprocess.Popen(
            [
                self.executable,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={self._profile}",
                "--remote-debugging-pipe",
                f"--window-size={self.width},{self.height}",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(3, 4),
            preexec_fn=lambda: _pipe_fds(to_chrome_r, from_chrome_w),
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        try:
            self._attach()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _attach(self) -> None:
        targets = self._call("Target.getTargets")["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self._session = self._call("Target.attachToTarget", targetId=page["targetId"], flatten=True)["sessionId"]
        for method in ("Runtime.enable", "Log.enable", "Network.enable", "Page.enable"):
            self._call(method, session=True)
        self._call(
            "Emulation.setDeviceMetricsOverride",
            session=True,
            width=self.width,
            height=self.height,
            deviceScaleFactor=1,
            mobile=False,
        )

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(Exception):
            self._call("Browser.close", timeout=5)
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        os.close(self._to_chrome)
        os.close(self._from_chrome)
        shutil.rmtree(self._profile, ignore_errors=True)

    def _send(self, method: str, params: dict[str, Any], session: bool) -> int:
        self._id += 1
        msg: dict[str, Any] = {"id": self._id, "method": method, "params": params}
        if session:
            msg["sessionId"] = self._session
        os.write(self._to_chrome, json.dumps(msg).encode() + b"\0")
        return self._id

    def _read_message(self, deadline: float) -> dict[str, Any]:
        import select

        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("chromium did not answer in time")
            ready, _, _ = select.select([self._from_chrome], [], [], left)
            if ready:
                chunk = os.read(self._from_chrome, 1 << 20)
                if not chunk:
                    raise RuntimeError("chromium closed the DevTools pipe")
                self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def _call(self, method: str, *, session: bool = False, timeout: float = 30, **params: Any) -> dict[str, Any]:
        want = self._send(method, params, session)
        deadline = time.monotonic() + timeout
        while True:
            msg = self._read_message(deadline)
            if msg.get("id") == want:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self._events.append(msg)

    def _pump(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        try:
            while True:
                self._events.append(self._read_message(deadline))
        except TimeoutError:
            pass

    # ------------------------------------------------------------------ page operations
    def evaluate(self, expression: str, *, timeout: float = 30) -> Any:
        """Value of a JavaScript expression in the page (JSON-serialisable results only)."""
        res = self._call(
            "Runtime.evaluate",
            session=True,
            timeout=timeout,
            expression=expression,
            returnByValue=True,
            awaitPromise=True,
        )
        if "exceptionDetails" in res:
            raise RuntimeError(f"JavaScript error: {res['exceptionDetails'].get('text')} in {expression!r}")
        return res["result"].get("value")

    def open(self, path: str | os.PathLike[str], *, ready: str | None = None, timeout: float = 120) -> PageLoad:
        """Navigate to a local file and wait for ``ready`` (a JS expression) to be true, or for the load event.

        ``timeout`` is generous (120 s) on purpose: a loaded machine draws slowly, and tests wait on the page's own
        drawn-state flag, never on fixed sleeps.
        """
        url = Path(path).resolve().as_uri()
        self._events.clear()
        start = time.monotonic()
        self._call("Page.navigate", session=True, url=url)
        deadline = start + timeout
        loaded = False
        while not loaded and time.monotonic() < deadline:
            try:
                msg = self._read_message(min(deadline, time.monotonic() + 0.05))
                self._events.append(msg)
                loaded = msg.get("method") == "Page.loadEventFired"
            except TimeoutError:
                continue
        ok = loaded
        if ready is not None:
            ok = False
            while time.monotonic() < deadline:
                if self.evaluate(f"Boolean({ready})"):
                    ok = True
                    break
                time.sleep(0.02)
        elapsed = time.monotonic() - start
        self._pump(0.3)  # late console messages (errors thrown after the ready flag)
        return PageLoad(url, ok, elapsed, self._console_errors(), self._requests())

    def add_init_script(self, source: str) -> str:
        """Run ``source`` in every page opened from now on, before the page's own scripts (DevTools
        ``Page.addScriptToEvaluateOnNewDocument``), e.g. ``"delete window.DecompressionStream"`` to play an older
        browser; returns the id for :meth:`remove_init_script`."""
        return self._call("Page.addScriptToEvaluateOnNewDocument", session=True, source=source)["identifier"]

    def remove_init_script(self, identifier: str) -> None:
        """Stop running a script added with :meth:`add_init_script` in pages opened from now on."""
        self._call("Page.removeScriptToEvaluateOnNewDocument", session=True, identifier=identifier)

    def screenshot(self, path: str | os.PathLike[str]) -> Path:
        """PNG of the viewport."""
        data = self._call("Page.captureScreenshot", session=True, format="png")["data"]
        out = Path(path)
        out.write_bytes(base64.b64decode(data))
        return out

    def _console_errors(self) -> list[str]:
        out = []
        for ev in self._events:
            m, p = ev.get("method"), ev.get("params", {})
            if m == "Runtime.exceptionThrown":
                d = p.get("exceptionDetails", {})
                exc = d.get("exception", {})
                out.append(f"{d.get('text', 'exception')} {exc.get('description') or exc.get('value') or ''}".strip())
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append(" ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", [])))
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                e = p["entry"]
                out.append(f"{e.get('text')} {e.get('url', '')}".strip())
        return out

    def _requests(self) -> list[str]:
        return [
            ev["params"]["request"]["url"] for ev in self._events if ev.get("method") == "Network.requestWillBeSent"
        ]
