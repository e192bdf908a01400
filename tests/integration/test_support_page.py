"""The citizen page's support form in headless Chromium, on the real broker and worker.

A citizen looks up her dossier, asks about it with the form (#support-form, support.js),
sees the confirmation with the request id and its lookup token, and then the routing
(to the agency handling the dossier); the agency answers through the API and the answer
appears on the page live (SSE), as in ``test_support_e2e``, with no reload.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from hub_api.app import create_app
from hub_api.auth import LookupTokens
from hub_settings import ApiSettings
from registry import load_catalog
from tests.integration.api_support import KEYS, LOOKUP_SECRET, _credentials, free_port, serve
from tests.integration.test_api_citizen_page import Browser, browser
from tests.support.dossiers import dossier_code, dossier_event
from tests.support.pipeline import JUSTICE, ONE_STOP, Pipeline

pytestmark = pytest.mark.integration

PROC: dict[str, Any] = {"procedure_code": "2.000488"}  # phiếu lý lịch tư pháp, Sở Tư pháp
QUESTION = "Hồ sơ cấp phiếu lý lịch tư pháp của tôi khi nào có kết quả?"
ANSWER = "Hồ sơ đang được thẩm định; kết quả trả trong 3 ngày làm việc."
BUDGET_S = 55.0
TOKENS = LookupTokens(LOOKUP_SECRET.encode())
RECEIPT = (
    "(r => r.textContent.includes('HT-') && r.textContent)(document.getElementById('s-receipt'))"
)
ROUTED = (
    "(m => !m.hidden && m.textContent.includes('Sở Tư pháp'))(document.getElementById('s-message'))"
)


@dataclass
class PageHub:
    url: str
    dossier: str
    """A dossier the worker tracks (so it is warm): Justice handles it."""


@pytest.fixture(scope="module")
def page_hub(pipeline: Pipeline, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PageHub]:
    """The API (uvicorn, on a free port) over the session pipeline and its worker."""
    code = accepted_dossier(pipeline)
    workdir = tmp_path_factory.mktemp("support-page")
    api = ApiSettings(
        host="127.0.0.1",
        port=free_port(),
        credentials_file=_credentials(workdir / "credentials.json"),
        lookup_secret=SecretStr(LOOKUP_SECRET),
    )
    settings = pipeline.settings.model_copy(update={"api": api})
    with serve(create_app(settings), api.port):
        yield PageHub(f"http://127.0.0.1:{api.port}", code)


def accepted_dossier(pipeline: Pipeline) -> str:
    """A criminal-record dossier received at the one-stop counter, accepted by Justice."""
    code = dossier_code(ONE_STOP)
    now = datetime.now(UTC) - timedelta(minutes=5)
    pipeline.publish(
        dossier_event("DossierSubmitted", ONE_STOP, code, receiving_agency_id=ONE_STOP,
                      submitted_at=now, **PROC),
        dossier_event("DossierAccepted", JUSTICE, code, accepted_at=now, **PROC),
    )  # fmt: skip
    pipeline.dossier_state(code, lambda s: s["status"] == 2)
    return code


async def evaluate(page: Browser, expression: str) -> Any:
    result = await page.call("Runtime.evaluate", expression=expression, returnByValue=True)
    return result.get("result", {}).get("value")


async def fill(page: Browser, element_id: str, text: str) -> None:
    """Focus the field and type into it as a keyboard would (input events included)."""
    assert await evaluate(page, f"(document.getElementById({element_id!r}).focus(), true)")
    await page.call("Input.insertText", text=text)


async def until(page: Browser, expression: str, deadline: float, what: str) -> Any:
    """The truthy value of ``expression`` once there is one, before ``deadline``."""
    while time.monotonic() < deadline:
        value = await evaluate(page, expression)
        if value:
            return value
        await asyncio.sleep(0.05)
    raise AssertionError(f"the page never showed {what}: {await evaluate(page, expression)!r}")


async def test_citizen_asks_on_the_page_and_sees_the_answer_live(page_hub: PageHub) -> None:
    deadline = time.monotonic() + BUDGET_S
    async with asyncio.timeout(BUDGET_S + 5):
        await _ask_and_see_the_answer(page_hub, deadline)


async def _ask_and_see_the_answer(hub: PageHub, deadline: float) -> None:
    code = hub.dossier
    url = f"{hub.url}/citizen/?code={code}&token={TOKENS.issue(code)}"
    agency = {"X-API-Key": KEYS["agency"]}  # the Department of Justice
    async with browser(1280, 900, mobile=False) as page, httpx.AsyncClient(timeout=10) as api:
        await page.call("Page.navigate", url=url)
        await page.wait_text("r-agency", "Sở Tư pháp", timeout_s=15)  # the dossier looked up
        await fill(page, "s-name", "Lê Thị Hồng")
        await fill(page, "s-email", "hong.le@example.vn")
        await fill(page, "s-question", QUESTION)
        await evaluate(page, "document.querySelector('#support-form [type=submit]').click()")

        confirmation = await until(page, RECEIPT, deadline, "the confirmation")
        found = re.search(r"HT-\d{6}-[0-9a-f]{8}", confirmation)
        assert found, confirmation
        request_id = found.group()
        assert TOKENS.issue(request_id) in confirmation, confirmation  # the real lookup token

        # routed by the worker to the agency handling the dossier, shown on the page
        await until(page, ROUTED, deadline, "the routing to Sở Tư pháp")
        opened = await api.get(f"{hub.url}/v1/support/inbox/{request_id}", headers=agency)
        assert opened.status_code == 200, opened.text
        mine = opened.json()
        assert mine["dossier_code"] == code
        assert mine["reason"] == "dossier"
        assert mine["question"] == QUESTION
        assert mine["suggestions"][0]["code"] == "2.000488"  # the finder's answer hint
        requested = datetime.fromisoformat(mine["requested_at"])
        due = datetime.fromisoformat(mine["respond_by"])
        working = load_catalog().calendar().working_time_between(requested, due)
        assert abs(working - timedelta(hours=24)) < timedelta(minutes=1)  # 2.000488: 3 days

        answered = await api.post(
            f"{hub.url}/v1/support/requests/{request_id}/answer",
            json={"answer": ANSWER},
            headers=agency,
        )
        assert answered.status_code == 202, answered.text
        answers = "document.getElementById('s-answers').textContent"
        shown = await until(page, answers, deadline, "the agency's answer")
        assert ANSWER in shown, shown
        assert "Sở Tư pháp" in shown, shown
        # the receipt with the lookup token is still there to copy once the answer came
        receipt = await evaluate(page, "document.getElementById('s-receipt').textContent")
        assert TOKENS.issue(request_id) in receipt, receipt
        assert await evaluate(page, "document.querySelectorAll('#s-answers li').length") == 1
