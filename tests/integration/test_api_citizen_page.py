"""The citizen page in headless Chromium at phone and desktop widths, with screenshots.

Chromium is Debian's ``chromium`` package; CI installs it. Screenshots are kept in
``test-artifacts/`` (not committed) for a human to look at.
"""

from __future__ import annotations

import asyncio
import base64
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest

from hub_api.auth import LookupTokens
from hub_settings import HubSettings
from registry import DossierEvent, EventType, apply, load_catalog
from registry.lifecycle import DossierState
from tests.integration.api_support import (
    AGENCY,
    LOOKUP_SECRET,
    RunningApi,
    free_port,
    produce_state,
    running_api,
)

pytestmark = pytest.mark.integration

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CODE = f"{AGENCY}-261203-0042"
SIZES = {"phone": (390, 844), "desktop": (1280, 900)}


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail(
            "headless Chromium is required for the citizen page test: "
            "apt-get install -y chromium (Debian's package; .ci/run installs it)"
        )
    return found


def _next_status(state: DossierState, status: int) -> DossierState:
    return apply(
        state,
        DossierEvent(
            event_id=f"e{len(state.timeline)}",
            type=EventType.STATUS,
            dossier_code=CODE,
            time=datetime.now(UTC),
            actor=AGENCY,
            status=status,
        ),
        calendar=load_catalog().calendar(),
    )


_STATE: list[DossierState] = []


def _state() -> DossierState:
    if not _STATE:
        _STATE.append(_dossier())
    return _STATE[0]


def _dossier() -> DossierState:
    calendar = load_catalog().calendar()
    start = datetime.now(UTC) - timedelta(days=2)
    state = apply(
        None,
        DossierEvent(
            event_id="e0",
            type=EventType.SUBMITTED,
            dossier_code=CODE,
            time=start,
            actor=AGENCY,
            procedure="2.000488",
            responsible_agency=AGENCY,
            deadline=load_catalog().procedures["2.000488"].deadline,
        ),
        calendar=calendar,
    )
    for index, status in enumerate((2, 4), start=1):
        state = apply(
            state,
            DossierEvent(
                event_id=f"e{index}",
                type=EventType.STATUS,
                dossier_code=CODE,
                time=start + timedelta(hours=index),
                actor=AGENCY,
                status=status,
            ),
            calendar=calendar,
        )
    return state


@pytest.fixture(scope="module")
def page_api(
    settings: HubSettings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningApi]:
    with running_api(settings, tmp_path_factory.mktemp("page")) as api:
        produce_state(api.settings, _state())
        yield api


class Browser:
    """Headless Chromium driven over the DevTools protocol (aiohttp websocket)."""

    def __init__(
        self, process: subprocess.Popen[bytes], ws: aiohttp.ClientWebSocketResponse
    ) -> None:
        self.process = process
        self.ws = ws
        self._next = 0

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._next += 1
        ident = self._next
        await self.ws.send_json({"id": ident, "method": method, "params": params})
        while True:
            message = await asyncio.wait_for(self.ws.receive_json(), timeout=30)
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result

    async def text(self, element_id: str) -> str | None:
        script = f"(document.getElementById({element_id!r}) || {{}}).textContent || null"
        result = await self.call("Runtime.evaluate", expression=script, returnByValue=True)
        value = result.get("result", {}).get("value")
        return value if isinstance(value, str) else None

    async def wait_text(self, element_id: str, expected: str, timeout_s: float) -> float:
        """Seconds until the element shows ``expected``; fails after ``timeout_s``."""
        started = time.monotonic()
        while time.monotonic() - started < timeout_s:
            if await self.text(element_id) == expected:
                return time.monotonic() - started
            await asyncio.sleep(0.02)
        raise AssertionError(
            f"#{element_id} never showed {expected!r}: {await self.text(element_id)!r}"
        )

    async def screenshot(self, path: Path) -> None:
        shot = await self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        await asyncio.to_thread(path.write_bytes, base64.b64decode(shot["data"]))


def _start_chromium(port: int, width: int, height: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            _chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            f"--remote-debugging-port={port}",
            f"--window-size={width},{height}",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@asynccontextmanager
async def browser(width: int, height: int, mobile: bool) -> AsyncIterator[Browser]:
    port = free_port()
    process = await asyncio.to_thread(_start_chromium, port, width, height)
    try:
        async with aiohttp.ClientSession() as session:
            targets: list[dict[str, Any]] = []
            for _ in range(200):
                try:
                    async with session.get(f"http://127.0.0.1:{port}/json/list") as answer:
                        targets = [t for t in await answer.json() if t.get("type") == "page"]
                    if targets:
                        break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
            assert targets, "Chromium did not open its DevTools endpoint"
            async with session.ws_connect(targets[0]["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                driver = Browser(process, ws)
                await driver.call("Page.enable")
                await driver.call(
                    "Emulation.setDeviceMetricsOverride",
                    width=width,
                    height=height,
                    deviceScaleFactor=1,
                    mobile=mobile,
                )
                yield driver
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("size", sorted(SIZES))
async def test_citizen_page_shows_the_dossier_and_live_changes(
    page_api: RunningApi, size: str, lang: str
) -> None:
    token = LookupTokens(LOOKUP_SECRET.encode()).issue(CODE)
    async with httpx.AsyncClient(base_url=page_api.url, timeout=10) as client:
        for _ in range(100):  # the API's view has read the state
            if (
                await client.get(f"/v1/citizen/dossiers/{CODE}", params={"token": token})
            ).is_success:
                break
            await asyncio.sleep(0.1)
    width, height = SIZES[size]
    labels = {
        "vi": ("Đang xử lý", "Đã xử lý xong"),
        "en": ("Processing", "Processed, result ready"),
    }
    before, after = labels[lang]
    ARTIFACTS.mkdir(exist_ok=True)
    async with browser(width, height, mobile=size == "phone") as page:
        url = f"{page_api.url}/citizen/?code={CODE}&token={token}&lang={lang}"
        await page.call("Page.navigate", url=url)
        await page.wait_text("r-status", before, timeout_s=15)
        assert await page.text("r-agency") == "Sở Tư pháp"
        await page.wait_text("r-live", labels_live[lang], timeout_s=5)
        await page.screenshot(ARTIFACTS / f"citizen-page-{size}-{lang}.png")
        state = _state()
        await asyncio.to_thread(produce_state, page_api.settings, _next_status(state, 9))
        waited = await page.wait_text("r-status", after, timeout_s=5)
        assert waited < 1.0, f"the page showed the new status after {waited:.2f}s"
        await page.screenshot(ARTIFACTS / f"citizen-page-{size}-{lang}-updated.png")
        # put the dossier back for the next browser
        await asyncio.to_thread(produce_state, page_api.settings, state)
    for name in (f"citizen-page-{size}-{lang}.png", f"citizen-page-{size}-{lang}-updated.png"):
        assert (ARTIFACTS / name).stat().st_size > 10_000


labels_live = {"vi": "Đang cập nhật trực tiếp", "en": "Live updates on"}
