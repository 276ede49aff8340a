"""Render report.html in headless Chromium and check that every image loads.

A small script, added to a copy of the page, writes each <img>'s
naturalWidth into the DOM once the page has loaded; --dump-dom prints it.
Skips only when no Chromium binary can be found (scripts/setup.sh installs
Debian's `chromium`)."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest

PROBE = """<script>
window.addEventListener("load", function () {
  var widths = [];
  document.querySelectorAll("img").forEach(function (img) {
    widths.push(img.complete ? img.naturalWidth : -1);
  });
  var pre = document.createElement("pre");
  pre.id = "imgcheck";
  pre.textContent = JSON.stringify(widths);
  document.body.appendChild(pre);
});
</script>"""


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        p = shutil.which(name)
        if p:
            return p
    return None


BROKEN = '<img alt="deliberately broken" src="data:image/png;base64,AAAA">'


def render_widths(html_path: str, tmp_path) -> list[int]:
    """render_widths loads a copy of the page, with one deliberately broken
    image appended (the probe must see it fail), and returns every <img>'s
    naturalWidth as Chromium reports it."""
    exe = chromium()
    if exe is None:
        pytest.skip("no chromium binary on PATH (scripts/setup.sh installs Debian's chromium)")
    page = tmp_path / "probe.html"
    html = open(html_path, encoding="utf-8").read()
    assert "</body>" in html
    page.write_text(html.replace("</body>", BROKEN + PROBE + "</body>"), encoding="utf-8")
    r = subprocess.run([exe, "--headless", "--disable-gpu", "--no-sandbox", "--disable-dev-shm-usage",
                        f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=10000",
                        "--dump-dom", page.as_uri()],
                       capture_output=True, text=True, timeout=120)
    m = re.search(r'<pre id="imgcheck">([^<]*)</pre>', r.stdout)
    assert m, f"chromium printed no probe result (exit {r.returncode}): {r.stderr[-500:]}"
    widths = json.loads(m.group(1))
    assert widths and widths[-1] == 0, "the probe did not detect the deliberately broken image"
    return widths[:-1]


def test_every_image_loads_in_chromium(full_report, tmp_path):
    out, _, _ = full_report
    html_path = os.path.join(out, "report.html")
    n_imgs = len(re.findall(r"<img ", open(html_path, encoding="utf-8").read()))
    assert n_imgs >= 20
    widths = render_widths(html_path, tmp_path)
    assert len(widths) == n_imgs
    assert all(w > 100 for w in widths), widths
