"""The agent's panel in a real browser (the distribution's headless Chromium, driven by Selenium
through chromium-driver): the English demo call played through ``run``'s loop on a fake caller
line shows its cues on the card, the mute button mutes the headset, "this cue was wrong" reaches
the call log and the store; screenshots at 360 and 1280 px are kept in test-artifacts/panel/
(or ``$VOICEASSIST_ARTIFACTS``) for people to look at. One browser for the whole module."""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from panel_helpers import PanelRun, panel_run
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from voiceassist.calllog import read_log
from voiceassist.cues.tts import TtsRenderer
from voiceassist.panel.strings import STRINGS

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(os.environ.get("VOICEASSIST_ARTIFACTS", ROOT / "test-artifacts")) / "panel"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
#: Longest wait for the page to catch up with the stream, s (a bound, not a timing assertion).
WAIT_S = 20


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(DRIVER).exists():
        pytest.fail("chromium-driver is missing: run scripts/setup.sh")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--no-first-run",
                 "--disable-sync", "--hide-scrollbars", "--window-size=1280,900"):
        opts.add_argument(flag)
    driver = webdriver.Chrome(options=opts, service=Service(DRIVER))
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def renderer() -> TtsRenderer:
    return TtsRenderer()


def viewport(driver: object, width: int, height: int) -> None:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",  # type: ignore[attr-defined]
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})


def wait(driver: object, cond: object, message: str) -> object:
    return WebDriverWait(driver, WAIT_S, poll_frequency=0.05).until(cond, message)  # type: ignore[arg-type]


def text(driver: object, element_id: str) -> str:
    return str(driver.find_element(By.ID, element_id).text)  # type: ignore[attr-defined]


def open_panel(driver: object, run: PanelRun) -> None:
    driver.get(run.url)  # type: ignore[attr-defined]
    wait(driver, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-seq"), "no snapshot")


def test_the_call_s_cues_reach_the_card_and_a_wrong_cue_is_stored(browser: object, tmp_path: Path,
                                                                  renderer: TtsRenderer) -> None:
    run = panel_run(tmp_path, renderer)
    try:
        viewport(browser, 1280, 900)
        open_panel(browser, run)
        assert text(browser, "state") == STRINGS["en"]["no_call"]
        assert run.run() == 0
        log = read_log(run.call.summary.logs[0])
        cues = [e for e in log if e["type"] == "cue"]
        last = cues[-1]
        assert last["cue"] == "take_a_breath"  # the hard call ends with a wellbeing cue
        wait(browser, lambda d: d.find_element(By.ID, "card").get_attribute("data-cue") == last["cue"]
             and text(d, "state") == STRINGS["en"]["no_call"], "the card never showed the call's last cue")
        card = browser.find_element(By.ID, "card")  # type: ignore[attr-defined]
        assert card.get_attribute("aria-live") in ("polite", "assertive")
        assert card.get_attribute("data-severity") == last["severity"]
        assert text(browser, "card-say") == last["say"] and text(browser, "card-script") == last["script"]
        # The last cues of the call, newest first; after-call cues in their own list.
        during = [c for c in cues if c["cue"] not in ("take_a_breath", "caller_flagged")]
        shown = [li.text for li in browser.find_elements(By.CSS_SELECTOR, "#recent li")]  # type: ignore[attr-defined]
        assert len(shown) == min(8, len(during))
        assert during[-1]["say"] in shown[0] and during[-1]["script"] in shown[0]
        assert "end_call" in [c["cue"] for c in during]
        after = text(browser, "after")
        assert all(c["say"] in after for c in cues if c["cue"] in ("take_a_breath", "caller_flagged"))
        # The caller's words as recognised, and why on demand.
        finals = [e["text"] for e in log if e["type"] == "transcript" and e["kind"] == "final"
                  and e["speaker"] == "caller" and e["text"].strip()]
        assert finals[-1] in text(browser, "transcript")
        assert not browser.find_element(By.ID, "card-why").is_displayed()  # type: ignore[attr-defined]
        browser.find_element(By.CSS_SELECTOR, "#card-why-box summary").click()  # type: ignore[attr-defined]
        assert "wellbeing" in text(browser, "card-why")
        # Today's shift summary from the store, refreshed after the call.
        wait(browser, lambda d: text(d, "shift").startswith("Calls: 1 · Hard calls: 1"), "no shift summary")
        # No request left the machine: every resource came from the panel itself.
        origins = browser.execute_script(  # type: ignore[attr-defined]
            "return performance.getEntriesByType('resource').map(e => new URL(e.name).origin)")
        assert set(origins) == {run.url.split("/?")[0]}
        shots(browser, "after_call")
        # "This cue was wrong" (key W): in the call's log and in the store, for QA.
        browser.find_element(By.TAG_NAME, "body").send_keys("w")  # type: ignore[attr-defined]
        wait(browser, lambda d: text(d, "wrong-done") == STRINGS["en"]["wrong_done"], "no feedback shown")
        run.recorder.close()
        feedback = [e for e in read_log(run.call.summary.logs[0]) if e["type"] == "cue_feedback"]
        assert [(f["cue"], f["at_ms"]) for f in feedback] == [(last["cue"], last["at_ms"])]
        db = sqlite3.connect(run.store_url.removeprefix("sqlite://"))
        rows = db.execute("SELECT c.call_ref, f.cue, f.at_ms, f.verdict FROM cue_feedback f "
                          "JOIN calls c ON c.id = f.call_id").fetchall()
        db.close()
        assert rows == [(run.call.summary.calls[0], last["cue"], last["at_ms"], "wrong")]
    finally:
        run.close()


def test_the_mute_button_mutes_the_headset_and_the_status_says_so(browser: object, tmp_path: Path,
                                                                   renderer: TtsRenderer) -> None:
    run = panel_run(tmp_path, renderer, lang="it")
    try:
        viewport(browser, 360, 800)
        open_panel(browser, run)
        strings = STRINGS["it"]
        assert text(browser, "mute") == strings["mute"]  # the agent's language
        browser.find_element(By.ID, "mute").click()  # type: ignore[attr-defined]
        wait(browser, lambda d: text(d, "state") == strings["muted"], "the status never showed muted")
        assert run.call.player.muted
        assert run.run() == 0
        log = read_log(run.call.summary.logs[0])
        cues = [e for e in log if e["type"] == "cue"]
        assert len(cues) >= 5
        played = [e for e in log if e["type"] == "cue_playback" and e["kind"] == "started"]
        muted = [e for e in log if e["type"] == "cue_playback" and e["kind"] == "muted"]
        assert played == [] and len(muted) == len(cues)
        assert not run.headset.sound_starts() and not (abs(run.headset.samples()) > 1e-4).any()
        wait(browser, lambda d: d.find_element(By.ID, "card").get_attribute("data-cue") == cues[-1]["cue"],
             "muted cues still show on the card")
        assert text(browser, "state") == strings["muted"]
        # Usable at 360 px: nothing wider than the screen, every control on it.
        assert browser.execute_script("return document.documentElement.scrollWidth") <= 360  # type: ignore[attr-defined]
        for button in browser.find_elements(By.CSS_SELECTOR, ".controls button"):  # type: ignore[attr-defined]
            rect = button.rect
            assert rect["x"] >= 0 and rect["x"] + rect["width"] <= 360, button.text
        shots(browser, "muted_it", widths=(360,))
        browser.find_element(By.TAG_NAME, "body").send_keys("u")  # type: ignore[attr-defined]
        wait(browser, lambda d: text(d, "state") == strings["no_call"], "unmute did not show")
        assert not run.call.player.muted
    finally:
        run.close()


def shots(driver: object, name: str, widths: tuple[int, ...] = (360, 1280)) -> None:
    """Full-page screenshots at each width in ARTIFACTS."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for width in widths:
        viewport(driver, width, 800)
        height = int(driver.execute_script("return document.documentElement.scrollHeight"))  # type: ignore[attr-defined]
        viewport(driver, width, max(400, min(height, 3000)))
        path = ARTIFACTS / f"{name}_{width}.png"
        driver.save_screenshot(str(path))  # type: ignore[attr-defined]
        assert path.stat().st_size > 5000


def test_the_floor_page_lists_agents_alerts_and_hard_calls_and_follows_the_store(
        browser: object, tmp_path: Path) -> None:
    from voiceassist.panel.floor import FloorFeed
    from voiceassist.panel.server import PanelApp, PanelServer
    from voiceassist.store import records as rec
    from voiceassist.store.store import Store, now_ms

    url = f"sqlite://{tmp_path / 'floor.db'}"
    now = now_ms()

    def call(uid: str, agent: str, *, ended: bool, hard: int = 0) -> list[rec.Record]:
        out = [rec.make("call_start", {"id": uid, "call_ref": uid, "started_at": now - 60_000, "lang": "en",
                                       "agent": agent, "caller_id": None, "workstation": f"ws-{agent}",
                                       "source": "device:default"})]
        if ended:
            out.append(rec.make("call_end", {
                "id": uid, "ended_at": now - 1000, "duration_ms": 59_000, "end_reason": "hangup",
                "highest_rung": 3, "highest_cue": "end_call", "cue_count": 4, "urgent_count": 1,
                "hard": hard, "cue_counts": "{}"}))
        return out

    def alert(cue: str, agent: str) -> rec.Record:
        return rec.make("alert", {"id": rec.new_id(), "created_at": now_ms(), "call_id": "c-marco",
                                  "at_ms": 42_000, "kind": "cue", "cue": cue, "category": "threat",
                                  "severity": "urgent",
                                  "agent": agent, "workstation": f"ws-{agent}", "caller_id": None,
                                  "message": f"{agent}: {cue}"})

    with Store.open(url) as store:
        store.apply([*call("c-dana", "dana", ended=True, hard=1), *call("c-marco", "marco", ended=False)])
    feed = FloorFeed(lambda: Store.open(url, create=False), lang="es", interval_s=0.2).start()
    server = PanelServer(PanelApp("floor.html", feed.hub, lang="es"), port=0).start()
    try:
        viewport(browser, 1280, 800)
        browser.get(server.url)  # type: ignore[attr-defined]
        strings = STRINGS["es"]
        wait(browser, lambda d: "marco" in text(d, "agents"), "no agents on the page")
        agents = [r.text for r in browser.find_elements(By.CSS_SELECTOR, "#agents tbody tr")]  # type: ignore[attr-defined]
        assert agents[0].startswith("marco") and strings["on_call"] in agents[0]
        assert agents[1].startswith("dana") and strings["idle"] in agents[1]
        assert "dana" in text(browser, "hard") and "end_call" in text(browser, "hard")
        assert text(browser, "alerts").endswith(strings["none"])
        assert strings["col_severity"] in text(browser, "alerts")  # column headers in the page's language
        with Store.open(url) as store:  # an alert arrives: the open page shows it without a reload
            store.apply([alert("call_supervisor", "marco")])
        wait(browser, lambda d: "call_supervisor" in text(d, "alerts"), "the new alert never showed")
        assert "URGENT" in text(browser, "alerts")
        shots(browser, "floor", widths=(1280,))
    finally:
        server.close()
        feed.close()
