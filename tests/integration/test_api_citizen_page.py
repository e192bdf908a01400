"""The citizen page in headless Chromium at phone and desktop widths, with screenshots.

Besides the lookup and its live updates: accessibility (every form control labelled,
the lookup done with the keyboard alone, no horizontal scrolling at 390 px, WCAG AA
contrast computed from the rendered colours) and English for the whole page.
Chromium is Debian's ``chromium`` package; CI installs it. Screenshots are kept in
``test-artifacts/`` (not committed) for a human to look at.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import shutil
import subprocess
import time
import unicodedata
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

    async def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (promises awaited)."""
        result = await self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression}: {result['exceptionDetails']}")
        return result.get("result", {}).get("value")

    async def press(self, key: str, code: int) -> None:
        """A key press as a real keyboard sends it (Tab moves the focus, Enter submits)."""
        text = "\r" if key == "Enter" else ""
        down = {"key": key, "code": key, "windowsVirtualKeyCode": code, "text": text}
        await self.call("Input.dispatchKeyEvent", type="keyDown" if text else "rawKeyDown", **down)
        await self.call("Input.dispatchKeyEvent", type="keyUp", key=key, code=key)

    async def type(self, text: str) -> None:
        await self.call("Input.insertText", text=text)

    async def focused(self) -> str:
        value = await self.evaluate(
            "(e => e ? (e.id || e.tagName.toLowerCase()) : '')(document.activeElement)"
        )
        return str(value)

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


# --- accessibility: labels, keyboard use, reflow at 390 px, contrast, both languages ---

_MAIN_TEXT = (
    "h1",
    ".org",
    "#lookup .hint",
    "label[for=code]",
    "#code",
    "#code-help",
    "#result-title",
    "#r-procedure",
    ".facts dt",
    ".facts dd",
    "#r-timeline li span",
    "#r-timeline time",
    "#support-title",
    "label[for=s-question]",
    ".foot p",
)
_BUTTONS = ("#lang", "#lookup .primary", "#support-form .primary")
_BADGES = ("#r-status", "#r-live", "#r-overdue", "#r-waiting", "#message")
_AA = 4.5
_COLOR = re.compile(r"rgba?\(([\d.]+)[, ]+([\d.]+)[, ]+([\d.]+)(?:[, /]+([\d.]+%?))?\)")

_CONTROLS = """
[...document.querySelectorAll("input, select, textarea, button")]
  .filter((e) => e.type !== "hidden")
  .map((e) => ({
    control: e.id || e.name || e.outerHTML.slice(0, 60),
    button: e.tagName === "BUTTON",
    label: [...(e.labels || [])].map((l) => l.textContent.trim()).join(" "),
    name: (e.getAttribute("aria-label") || e.textContent || "").trim(),
  }))
"""

# Each element's text colour and the background colours from it up to <html>; hidden
# badges and the alert are shown for the measurement, as they are when they apply.
_COLOURS = """
((selectors) => selectors.map((selector) => {
  const el = document.querySelector(selector);
  if (!el) return { selector, missing: true };
  const hidden = el.hidden, text = el.textContent;
  el.hidden = false;
  if (!text.trim()) el.textContent = "Không tìm thấy hồ sơ";
  const backgrounds = [];
  for (let n = el; n; n = n.parentElement) backgrounds.push(getComputedStyle(n).backgroundColor);
  const found = { selector, color: getComputedStyle(el).color, backgrounds,
                  shown: el.getClientRects().length > 0 };
  el.hidden = hidden;
  el.textContent = text;
  return found;
}))(%s)
"""

# Visible leaf text outside the dossier's own data and outside anything marked lang="vi".
_INTERFACE_TEXT = """
[...document.body.querySelectorAll("*")]
  .filter((e) => e.children.length === 0 && e.textContent.trim() && e.getClientRects().length)
  .filter((e) => !e.closest("#result") && e.closest("[lang]").lang !== "vi")
  .map((e) => e.textContent.trim())
"""


def _rgba(css: str) -> tuple[float, float, float, float]:
    found = _COLOR.fullmatch(css.strip())
    assert found, f"unexpected computed colour {css!r}"
    red, green, blue, alpha = found.groups()
    a = 1.0 if alpha is None else float(alpha.rstrip("%")) / (100 if "%" in alpha else 1)
    return float(red), float(green), float(blue), a


def _over(
    top: tuple[float, float, float, float], below: tuple[float, float, float]
) -> tuple[float, float, float]:
    r, g, b, a = top
    return (r * a + below[0] * (1 - a), g * a + below[1] * (1 - a), b * a + below[2] * (1 - a))


def _luminance(rgb: tuple[float, float, float]) -> float:
    """WCAG 2 relative luminance of an sRGB colour."""

    def linear(channel: float) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(foreground: str, backgrounds: list[str]) -> float:
    """WCAG contrast of computed colours: the backgrounds (element first, up to <html>)
    composited over the white canvas, then the text colour over them."""
    background: tuple[float, float, float] = (255.0, 255.0, 255.0)
    for css in reversed(backgrounds):
        background = _over(_rgba(css), background)
    text = _over(_rgba(foreground), background)
    light, dark = sorted((_luminance(text), _luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_contrast_ratio_matches_wcag_reference_values() -> None:
    assert contrast_ratio("rgb(0, 0, 0)", ["rgb(255, 255, 255)"]) == pytest.approx(21.0)
    assert contrast_ratio("rgb(118, 118, 118)", ["rgba(0, 0, 0, 0)"]) == pytest.approx(4.54, 0.01)
    assert contrast_ratio("rgba(0, 0, 0, 0.5)", ["rgb(255, 255, 255)"]) < _AA


def _vietnamese(text: str) -> bool:
    decomposed = unicodedata.normalize("NFD", text)
    return "đ" in text.lower() or any(unicodedata.combining(c) for c in decomposed)


async def _token_when_ready(api: RunningApi) -> str:
    """The lookup token of the test dossier, once the API's view has read its state."""
    token = LookupTokens(LOOKUP_SECRET.encode()).issue(CODE)
    async with httpx.AsyncClient(base_url=api.url, timeout=10) as client:
        for _ in range(100):
            answer = await client.get(f"/v1/citizen/dossiers/{CODE}", params={"token": token})
            if answer.is_success:
                break
            await asyncio.sleep(0.1)
    return token


async def _open(page: Browser, url: str) -> None:
    """Navigate and wait until the page's scripts have started."""
    await page.call("Page.navigate", url=url)
    started = "location.pathname === '/citizen/' && document.readyState === 'complete'"
    for _ in range(500):
        if await page.evaluate(
            f"{started} && document.getElementById('result-title').tabIndex < 0"
        ):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"the citizen page did not load from {url}")


@pytest.mark.parametrize("size", sorted(SIZES))
async def test_citizen_page_has_labels_contrast_and_fits_the_screen(
    page_api: RunningApi, size: str
) -> None:
    token = await _token_when_ready(page_api)
    width, height = SIZES[size]
    async with browser(width, height, mobile=size == "phone") as page:
        await _open(page, f"{page_api.url}/citizen/?code={CODE}&token={token}")
        await page.wait_text("r-status", "Đang xử lý", timeout_s=15)

        controls = await page.evaluate(_CONTROLS)
        assert len(controls) >= 8, controls
        unlabelled = [
            c["control"] for c in controls if not (c["name"] if c["button"] else c["label"])
        ]
        assert not unlabelled, f"form controls without a label: {unlabelled}"

        scroll_width, inner_width = await page.evaluate(
            "[document.documentElement.scrollWidth, window.innerWidth]"
        )
        assert inner_width == width
        assert scroll_width <= inner_width, f"{scroll_width}px of content in {inner_width}px"

        selectors = [*_MAIN_TEXT, *_BUTTONS, *_BADGES]
        measured = await page.evaluate(_COLOURS % json.dumps(selectors))
        low: list[str] = []
        for m in measured:
            assert not m.get("missing"), f"no {m['selector']} on the page"
            assert m["shown"], f"{m['selector']} is not shown"
            ratio = contrast_ratio(m["color"], m["backgrounds"])
            if ratio < _AA:
                low.append(f"{m['selector']}: {ratio:.2f} ({m['color']} on {m['backgrounds']})")
        assert not low, f"contrast below {_AA}:1 (WCAG AA):\n" + "\n".join(low)


@pytest.mark.parametrize("size", sorted(SIZES))
async def test_citizen_lookup_works_with_the_keyboard_only(page_api: RunningApi, size: str) -> None:
    token = await _token_when_ready(page_api)
    width, height = SIZES[size]
    ARTIFACTS.mkdir(exist_ok=True)
    async with browser(width, height, mobile=size == "phone") as page:
        await _open(page, f"{page_api.url}/citizen/")
        path: list[str] = []
        while len(path) < 6 and (not path or path[-1] != "code"):
            await page.press("Tab", 9)
            path.append(await page.focused())
        assert path[-1] == "code", f"Tab from the top went {path}, never to the dossier code"
        await page.type(CODE)
        await page.press("Tab", 9)
        assert await page.focused() == "token"
        await page.type(token)
        await page.press("Enter", 13)
        await page.wait_text("r-status", "Đang xử lý", timeout_s=10)
        assert await page.text("r-code") == CODE
        assert await page.focused() == "result-title", "the focus should move to the result"
        await page.screenshot(ARTIFACTS / f"citizen-page-{size}-keyboard.png")
    assert (ARTIFACTS / f"citizen-page-{size}-keyboard.png").stat().st_size > 10_000


@pytest.mark.parametrize("size", sorted(SIZES))
async def test_language_switch_covers_the_support_section(page_api: RunningApi, size: str) -> None:
    width, height = SIZES[size]
    async with browser(width, height, mobile=size == "phone") as page:
        await _open(page, f"{page_api.url}/citizen/")
        assert await page.text("support-title") == "Hỏi đáp, phản ánh về hồ sơ"

        await page.evaluate("document.getElementById('lang').click()")
        assert await page.evaluate("document.documentElement.lang") == "en"
        english = await page.evaluate(_INTERFACE_TEXT)
        left = [t for t in english if _vietnamese(t)]
        assert not left, f"Vietnamese text left after switching to English: {left}"
        for expected in (
            "Questions and feedback about a dossier",
            "Full name",
            "Email for the answer",
            "Question",
            "Send question",
        ):
            assert expected in english
        scroll_width = await page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= width, f"English: {scroll_width}px of content in {width}px"
        await page.evaluate("document.querySelector('#support-form .primary').click()")
        await page.wait_text("s-message", "Please enter your name and your question.", 5)

        await page.evaluate("document.getElementById('lang').click()")
        assert await page.evaluate("document.documentElement.lang") == "vi"
        assert await page.text("support-title") == "Hỏi đáp, phản ánh về hồ sơ"
        label = "document.querySelector('label[for=s-name]').textContent"
        assert await page.evaluate(label) == "Họ và tên"
