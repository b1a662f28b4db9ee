"""The real `ohjaamo run`: broken content at start, then a fix that goes live by itself."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import CONTENT, REPO
from tests.e2e_support import BotProcess, Person, text_of
from tests.loopback_api import LoopbackBotApi
from tests.test_live_content import break_yaml
from tests.test_operator_desk import mark_answers


async def test_broken_content_starts_on_the_last_good_version_and_a_fix_goes_live(
        tmp_path: Path) -> None:
    root = tmp_path / "content"
    shutil.copytree(CONTENT, root)
    env = {"OHJAAMO_CONTENT": str(root), "OHJAAMO_RELOAD_SECONDS": "1"}
    # A version that loaded without errors earlier, kept as the bot keeps it.
    shutil.copytree(CONTENT, tmp_path / "last-good-content" / "earlier")
    (tmp_path / "last-good-content" / "current").write_text("earlier\n", encoding="utf-8")
    broken = break_yaml(root)
    async with LoopbackBotApi() as api:
        second = BotProcess(api, tmp_path / "bot.db", env=env)
        await second.start()
        person = Person(api)
        served = await person.says("How do I get a tax card?")
        shutil.copy(CONTENT / "en" / "housing_money.yaml", broken)  # the editor fixes it
        mark_answers(root, "LIVE-EDIT")  # and edits an answer; nobody restarts anything
        for _ in range(60):  # the bot looks every second and builds in a few
            await asyncio.sleep(0.5)
            live = await person.says("How do I get a tax card?")
            if "LIVE-EDIT" in text_of(live[-1]):
                break
        log = await second.stop()

    assert "Tax card" in text_of(served[-1])
    assert f"the content in {root} has 1 error(s)" in log
    assert f"{broken}:" in log
    assert "LIVE-EDIT" in text_of(live[-1])
    assert "error while handling update" not in log


def test_broken_content_with_no_last_good_version_refuses_to_start(tmp_path: Path) -> None:
    root = tmp_path / "content"
    shutil.copytree(CONTENT, root)
    broken = break_yaml(root)
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": "123:TEST", "OHJAAMO_CONTENT": str(root),
           "OHJAAMO_DB": str(tmp_path / "bot.db"),
           "OHJAAMO_LAST_GOOD_CONTENT": str(tmp_path / "nothing-kept")}

    result = subprocess.run([sys.executable, "-m", "bot", "run"], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=120, check=False)

    assert result.returncode == 1
    assert f"{broken}:" in result.stderr
    assert "ohjaamo content check" in result.stderr
