"""Tests of `tools/check_site_browser.py` on a tiny hand-written site: a sound page passes, and each
kind of problem a reader's browser would meet on a broken page is reported. Needs Chromium, as CI
has it (`.ci/run` installs Debian's `chromium`): without it these tests fail, saying how to install it."""
import struct, subprocess, sys, zlib
from pathlib import Path
import pytest

TOOLS = Path(__file__).resolve().parents[1] / "tools"
sys.path.insert(0, str(TOOLS))
import check_site_browser as csb  # noqa: E402

REPO_URL = "https://github.com/owner/project"


def png(width=2, height=1) -> bytes:
    "A valid RGB PNG, black."
    chunk = lambda kind, data: struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\0" + b"\0\0\0" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def source(path, line): return f'<p class="api-source"><a href="{REPO_URL}/blob/main/{path}#L{line}">source</a></p>'


GOOD = f"""<!DOCTYPE html><html><head><title>Good</title></head><body><main><h1>Good</h1>
<p>A price of $5 and $10 is not maths; <code>$x$</code> in code is not either.</p><img src="plot.png">
<section class="api-entry" id="f"><h3>f</h3>{source("pkg/mod.py", 3)}</section>
<section class="api-entry" id="thing-call"><h3>Thing.__call__</h3>{source("pkg/mod.py", 6)}</section>
</main></body></html>"""

BAD = f"""<!DOCTYPE html><html><head><title>Bad</title></head><body><main><h1>Bad</h1>
<img src="missing.png"><img src="empty.png"><img src="https://example.com/remote.png">
<script>console.error("boom from the page");</script>
<script>fetch("data/none.json");</script>
<script>setTimeout(() => {{ throw new Error("kaboom"); }}, 0);</script>
<p>The loss is <span class="math notranslate nohighlight">\\(x^2\\)</span>, and here is raw TeX: $\\sum_i x_i$.</p>
<section class="api-entry" id="gone"><h3>gone</h3>{source("pkg/nope.py", 1)}</section>
<section class="api-entry" id="past"><h3>past</h3>{source("pkg/mod.py", 99)}</section>
<section class="api-entry" id="g"><h3>g</h3>{source("pkg/mod.py", 1)}</section>
<section class="api-entry" id="h"><h3>h</h3>{source("pkg/untracked.py", 1)}</section>
<section class="api-entry" id="thing-call"><h3>Thing.<strong>call</strong></h3>{source("pkg/mod.py", 6)}</section>
</main></body></html>"""


@pytest.fixture(scope="module")
def chromium():
    path = csb.find_chromium()
    if path is None: pytest.fail(f"check_site_browser: {csb.INSTALL_HINT}")
    return path


@pytest.fixture(scope="module")
def checked(chromium, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("site")
    repo = tmp / "repo"
    (repo / "pkg").mkdir(parents=True)
    (repo / "pkg" / "mod.py").write_text("import os\n\n@decorator\ndef f(): pass\nclass Thing:\n    def __call__(self): pass\n\ng = 1\n")
    (repo / "pkg" / "untracked.py").write_text("h = 1\n")
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run(["git", "add", "pkg/mod.py"], cwd=repo, check=True)
    site = tmp / "html"
    site.mkdir()
    (site / "good.html").write_text(GOOD)
    (site / "bad.html").write_text(BAD)
    (site / "plot.png").write_bytes(png())
    (site / "empty.png").write_bytes(b"")
    check = csb.SiteBrowserCheck(site, repo_root=repo, repo_url=REPO_URL)
    shot = tmp / "shot" / "good.png"
    check.run(chromium, screenshot=shot, screenshot_page="good.html")
    return check, shot


def test_sound_page_passes(checked):
    check, _ = checked
    assert check.problems.get("good.html", []) == []
    assert set(check.timings) == {"good.html", "bad.html"}


@pytest.mark.parametrize("expect", [
    "console error: boom from the page",
    "uncaught exception: Error: kaboom",
    "failed request: HTTP 404 missing.png",
    "failed request: HTTP 404 data/none.json",
    "request to the network (the site must work offline): https://example.com/remote.png",
    "image missing.png: did not load",
    "image empty.png: did not load",
    "maths not typeset",
    "raw maths (TeX not typeset)",
    "source link to a file that does not exist: pkg/nope.py",
    "source link past the end of pkg/mod.py (8 lines)",
    "source link of `g` points at line 1 of pkg/mod.py, which does not define it",
    "source link to a file that git does not track",
    'API entry title shows "Thing.call": "call" is set in <strong>',
])
def test_broken_page_is_reported(checked, expect):
    check, _ = checked
    found = check.problems.get("bad.html", [])
    assert any(expect in p for p in found), f"{expect!r} not in:\n" + "\n".join(found)


def test_raw_maths_message_quotes_the_text(checked):
    found = checked[0].problems["bad.html"]
    assert any("raw maths" in p and "\\sum_i x_i" in p for p in found), found


def test_screenshot_is_a_png(checked):
    _, shot = checked
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (csb.VIEWPORT[0], csb.SCREENSHOT_HEIGHT)


def test_no_chromium_says_how_to_install(tmp_path, monkeypatch, capsys):
    (tmp_path / "index.html").write_text("<html></html>")
    monkeypatch.setenv("CHROMIUM", str(tmp_path / "no-such-browser"))
    assert csb.find_chromium() is None
    assert csb.main([str(tmp_path)]) == 2
    assert "apt-get install -y chromium" in capsys.readouterr().out
