"""Headless Chromium driven by Selenium, offline: what the explorer's tests
and its screenshot command open pages with.

    with chromium() as driver:
        driver.get(pathlib.Path("attention.html").resolve().as_uri())

Debian's ``chromium`` and ``chromium-driver`` (``apt-get install chromium
chromium-driver``) and PyPI's ``selenium`` (the dev extra). Chromium's
background connections are switched off: on a closed network they are
refused and would fill the log; a fresh profile each time.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--force-device-scale-factor=1")
INSTALL_HINT = ("install them with `apt-get install -y chromium chromium-driver` and "
                "`pip install selenium` (or `pip install -e .[dev]`)")


def missing() -> str | None:
    """Why a browser cannot be started here, or None when it can."""
    absent = [path for path in (CHROMIUM, CHROMEDRIVER) if not os.path.exists(path)]
    try:
        import selenium  # noqa: F401  (optional: only the tests and screenshots need it)
    except ImportError:
        absent.append("the selenium package")
    if absent:
        return f"no headless browser: {', '.join(absent)} missing; {INSTALL_HINT}"
    return None


@contextlib.contextmanager
def chromium(width=1600, height=1000):
    """A Selenium driver of headless Chromium whose page area (viewport) is
    ``width`` x ``height`` pixels; the browser log (console errors included)
    is kept for ``get_log``."""
    reason = missing()
    if reason:
        raise RuntimeError(reason)
    from selenium import webdriver                      # optional, see missing()
    from selenium.webdriver.chrome.service import Service
    profile = tempfile.mkdtemp(prefix="gradformer-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS + (f"--window-size={width},{height}", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        _fit_viewport(driver, width, height)
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _fit_viewport(driver, width, height):
    """Headless Chromium's window includes a toolbar's height: grow the
    window until the page area is the size asked for."""
    inner = driver.execute_script("return [window.innerWidth, window.innerHeight]")
    if inner != [width, height]:
        outer = driver.get_window_size()
        driver.set_window_size(outer["width"] + width - inner[0],
                               outer["height"] + height - inner[1])
