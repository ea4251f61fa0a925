"""Chinese pages on a computer without a CJK font: the console says so instead of showing boxes.
Real headless Chromium twice: with the machine's fonts (fonts-noto-cjk, which `make test`
installs) and with a fontconfig that offers only DejaVu, as on a machine without CJK fonts."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser import ARGS, CHROMIUM, MARKS
from tests.web_fixtures import live_server, redis_web_app, sqlite_url  # noqa: F401

pytestmark = MARKS
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")


def _notice_shown(server, env: dict | None = None, screenshot: str | None = None) -> bool:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, env=env)
        try:
            page = browser.new_context(locale="zh-CN").new_page()
            page.goto(f"{server.url}/login")
            assert page.get_attribute("html", "lang") == "zh-Hans"
            page.wait_for_function("() => typeof window.hotlineCjkMissing === 'function'")
            if screenshot:
                page.screenshot(path=screenshot)
            return page.is_visible("#cjk-font-missing")
        finally:
            browser.close()


def test_no_notice_where_a_cjk_font_is_installed(live_server):
    if not any(Path("/usr/share/fonts").rglob("*CJK*")):
        pytest.skip("no CJK font on this machine (apt-get install fonts-noto-cjk)")
    assert not _notice_shown(live_server)


def test_the_notice_names_the_font_to_install_where_none_is(live_server, tmp_path):
    if not DEJAVU.is_dir():
        pytest.skip("DejaVu fonts are missing (apt-get install fonts-dejavu-core)")
    conf = tmp_path / "fonts.conf"
    conf.write_text(f"""<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig><dir>{DEJAVU}</dir><cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>
""")
    env = {**os.environ, "FONTCONFIG_FILE": str(conf)}
    shot = Path(__file__).resolve().parents[2] / "docs" / "screens" / "login-zh-no-cjk-font.png"
    assert _notice_shown(live_server, env, screenshot=str(shot))
