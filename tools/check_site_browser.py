"""Open every page of the built documentation site in headless Chromium, offline, and check what a
reader's browser shows.

    python tools/check_site_browser.py docs/_build/html [--screenshot PATH] [--screenshot-page learner.html]
                                                        [--only PAGE ...]

`tools/check_docs.py` reads the HTML; this runs it. The site is served from a local HTTP server on
127.0.0.1 (as GitHub Pages serves it: fonts, scripts and `searchindex.js` load as they would
there), Chromium runs headless with every other host unresolvable and no proxy, and is driven
through the DevTools protocol over a pipe (`--remote-debugging-pipe`: no port, no browser
download, no Python package beyond the standard library). Every HTML page of the site (not the
theme's templates in `_static/`) is loaded in turn; after its load event, MathJax's typesetting
and a quiet network, the page fails on

- a console error: `console.error`, an uncaught exception, or an error Chromium logs (a resource
  that failed to load, a blocked script ...);
- a failed request: one that fails or answers HTTP 400 or more, and any request to a URL that is
  not the local site (`data:` and `blob:` excepted): the site must work offline;
- maths left un-typeset: an element of class `math` with no MathJax output (`mjx-container`),
  a TeX error in the output (`mjx-merror`), or raw `$...$`, `$$`, `\\(` or `\\[` text in the page
  outside code;
- an image that does not load (`naturalWidth` 0 once it is complete);
- an API entry whose source link (`<repository>/blob/<branch>/walk_with_dl/x.py#L<n>`, the
  repository as in pyproject.toml's `[project.urls]`) names a file that git does not track, a
  line past the file's end, or a line that does not define the entry (`def name`, `class name`,
  `name =`, decorators first). Checked against the working tree, never fetched;
- an API entry title with emphasis in it (`RecurrentStack.<strong>call</strong>`: Markdown read
  the underscores of `__call__`).
The browser's own request for `/favicon.ico` (made for pages that declare no icon) is not counted.

It saves a PNG screenshot of one chapter page (default: the top 1280 x 1800 px of
`learner.html`, written to `docs/_build/learner.png`, i.e. beside the HTML folder) for a person
to look at. Exits 1 with the problems listed per page, 0 when every page is sound, 2 when no
Chromium is found (Debian: `apt-get install -y chromium`; or set `CHROMIUM` to its path).
"""
from __future__ import annotations
import argparse, base64, functools, http.server, json, os, re, select, shutil, subprocess, sys, tempfile, threading, time
from collections import defaultdict
from pathlib import Path
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parents[1]
INSTALL_HINT = ("no Chromium found: install it (Debian/Ubuntu: `apt-get install -y chromium`), "
                "or set the environment variable CHROMIUM to the browser's path")
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
PAGE_TIMEOUT_S = 30      # load + typesetting of one page
VIEWPORT = (1280, 900)
SCREENSHOT_HEIGHT = 1800


def find_chromium() -> str | None:
    "The browser to run: `$CHROMIUM` if set, else the first of BROWSERS on the PATH."
    if os.environ.get("CHROMIUM"): return shutil.which(os.environ["CHROMIUM"])
    return next((p for p in map(shutil.which, BROWSERS) if p), None)


def repository_url(root: Path = ROOT) -> str | None:
    "The project's GitHub URL, from pyproject.toml's `[project.urls] Repository`."
    import tomllib
    try: urls = tomllib.loads((root / "pyproject.toml").read_text())["project"]["urls"]
    except (OSError, KeyError, ValueError): return None
    url = urls.get("Repository") or urls.get("Source") or urls.get("Homepage")
    return url.rstrip("/") if url else None


# ---------------------------------------------------------------------------------------------
# Chromium through the DevTools protocol over a pipe

class BrowserError(RuntimeError): pass


class Chromium:
    """A headless Chromium and its DevTools protocol over `--remote-debugging-pipe`: the browser reads
    commands from fd 3 and writes replies and events to fd 4, each a JSON message ended by a NUL."""

    def __init__(self, executable: str):
        self.profile = tempfile.mkdtemp(prefix="wwdl-chromium-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        def child_fds():   # in the child, before exec: the pipe ends at fds 3 and 4 (inheritable)
            r, w = os.dup(to_browser_r), os.dup(from_browser_w)   # out of the way of 3 and 4
            os.dup2(r, 3); os.dup2(w, 4)
        args = [executable, "--headless", "--remote-debugging-pipe", f"--user-data-dir={self.profile}",
                "--no-sandbox",                     # CI runs as root
                "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
                "--disable-extensions", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
                "--no-proxy-server", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
                f"--window-size={VIEWPORT[0]},{VIEWPORT[1]}", "about:blank"]
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.stderr,
                                     close_fds=False, preexec_fn=child_fds)
        os.close(to_browser_r); os.close(from_browser_w)
        self._buf, self._id, self.events = b"", 0, []

    def _read(self, timeout: float) -> dict | None:
        "The next message from the browser, or None after `timeout` seconds."
        while b"\0" not in self._buf:
            ready, _, _ = select.select([self._from_browser], [], [], max(0.0, timeout))
            if not ready: return None
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                self.stderr.seek(0)
                raise BrowserError("Chromium closed its DevTools pipe (it exited?): "
                                   + self.stderr.read().decode(errors="replace")[-2000:])
            self._buf += chunk
        msg, _, self._buf = self._buf.partition(b"\0")
        return json.loads(msg)

    def send(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = PAGE_TIMEOUT_S):
        "Send one command and wait for its result; events that arrive meanwhile are kept in `events`."
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if session: msg["sessionId"] = session
        data = json.dumps(msg).encode() + b"\0"
        while data: data = data[os.write(self._to_browser, data):]
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline - time.monotonic())
            if reply is None: raise BrowserError(f"no answer to {method} in {timeout} s")
            if reply.get("id") == self._id:
                if "error" in reply: raise BrowserError(f"{method}: {reply['error'].get('message')}")
                return reply.get("result", {})
            self.events.append(reply)

    def pump(self, timeout: float):
        "Collect the events that arrive within `timeout` seconds."
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            msg = self._read(left)
            if msg is None: return
            self.events.append(msg)

    def close(self):
        try: self.send("Browser.close", timeout=5)
        except Exception: pass
        try: self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill(); self.proc.wait()
        for fd in (self._to_browser, self._from_browser):
            try: os.close(fd)
            except OSError: pass
        self.stderr.close()
        shutil.rmtree(self.profile, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# The local web server

class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args): pass


def serve(root: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    "Serve `root` on 127.0.0.1 (a free port) in a background thread: (server, base URL)."
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(root)))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


# ---------------------------------------------------------------------------------------------
# What is checked on each page, in the browser

# Runs after the load event: waits for MathJax and the fonts, then reports what a reader would see.
PAGE_SCRIPT = r"""(async () => {
  const timeout = (ms) => new Promise(r => setTimeout(r, ms));
  const out = {maths: [], rawMaths: [], images: [], sourceLinks: [], titles: [], mathjax: !!window.MathJax};
  const mathEls = [...document.querySelectorAll('.math')];
  if (mathEls.length && window.MathJax && MathJax.startup && MathJax.startup.promise)
    await Promise.race([MathJax.startup.promise, timeout(20000)]);
  for (const img of document.images) img.loading = 'eager';
  await Promise.race([Promise.all([...document.images].map(img => img.complete ? null :
    new Promise(r => { img.addEventListener('load', r); img.addEventListener('error', r); }))), timeout(10000)]);
  await Promise.race([document.fonts.ready, timeout(5000)]);
  const where = (el) => { const s = el.closest('section[id]'); return s ? ' in #' + s.id : ''; };
  const snippet = (s) => s.replace(/\s+/g, ' ').trim().slice(0, 80);
  for (const el of mathEls) {
    const mjx = el.querySelector('mjx-container');
    if (!mjx) out.maths.push(`not typeset${where(el)}: ${snippet(el.textContent)}`);
    else if (mjx.querySelector('mjx-merror'))
      out.maths.push(`TeX error${where(el)}: ${snippet(mjx.querySelector('mjx-merror').textContent)} in ${snippet(el.getAttribute('data-tex') || (mjx.querySelector('mjx-assistive-mml') || mjx).textContent)}`);
  }
  // raw TeX in the text a reader sees, outside code and MathJax's own output
  const skip = 'pre, code, kbd, samp, script, style, textarea, noscript, template, mjx-container, .math, .highlight';
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {acceptNode: n =>
    (n.parentElement && !n.parentElement.closest(skip)) ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_REJECT});
  const raw = /\\\(|\\\[|\$\$|(?<![\w$\\])\$(?=\S)[^$\n]{1,300}?(?<=[^\s\\])\$(?![\w$])/;
  const blocks = new Map();   // text is split into nodes by inline markup: test each block's text
  for (let n; (n = walker.nextNode());) {
    const block = n.parentElement.closest('p, li, td, th, dt, dd, h1, h2, h3, h4, h5, h6, div, section, caption, figcaption') || document.body;
    blocks.set(block, (blocks.get(block) || '') + n.nodeValue);
  }
  for (const [block, text] of blocks) {
    const m = text.match(raw);
    if (m) out.rawMaths.push(`${where(block)}: "${snippet(text.slice(Math.max(0, m.index - 30), m.index + m[0].length + 30))}"`);
  }
  for (const img of document.images) {
    if (!img.complete || img.naturalWidth === 0)
      out.images.push(`${img.getAttribute('src')}${where(img)}: ${img.complete ? 'did not load (naturalWidth 0)' : 'still loading after 10 s'}`);
  }
  for (const a of document.querySelectorAll('a[href]')) {
    const entry = a.closest('.api-entry');
    const title = entry && entry.querySelector('h1, h2, h3, h4, h5, h6');
    // the entry's name as written: Markdown may have read the `__` of `__call__` as bold
    const name = title ? [...title.childNodes].filter(n => !(n.classList && n.classList.contains('headerlink'))).map(n =>
      n.nodeName === 'STRONG' ? `__${n.textContent}__` : n.nodeName === 'EM' ? `_${n.textContent}_` : n.textContent).join('').trim() : null;
    if (a.closest('.api-source') || a.href.includes('/blob/'))
      out.sourceLinks.push({href: a.href, name, api: !!a.closest('.api-source')});
  }
  for (const title of document.querySelectorAll('.api-entry > h1, .api-entry > h2, .api-entry > h3, .api-entry > h4, .api-entry > h5, .api-entry > h6')) {
    const marked = title.querySelector('strong, em, b, i');
    if (marked) out.titles.push(`API entry title shows "${snippet(title.textContent.replace(/#$/, ''))}": "${marked.textContent}" is set in <${marked.nodeName.toLowerCase()}> (Markdown read underscores of the name as emphasis; escape them in the heading)`);
  }
  return out;
})()"""


def _is_local(url: str, base: str) -> bool:
    return url.startswith(base) or url.startswith(("data:", "blob:", "about:"))


def _browser_own(url: str, base: str) -> bool:
    """The browser's own request for `/favicon.ico` at the server's root, which it makes for a page that
    declares no icon: not the page's (a declared icon is a <link> that check_docs.py checks)."""
    return url == base + "favicon.ico"


class SiteBrowserCheck:
    """Loads every page of a built site in one headless Chromium tab and collects problems per page."""

    def __init__(self, root: Path, repo_root: Path = ROOT, repo_url: str | None = None):
        self.root = root.resolve()
        self.repo_root = repo_root.resolve()
        self.repo_url = (repo_url or repository_url(self.repo_root) or "").rstrip("/")
        self.problems: dict[str, list[str]] = defaultdict(list)
        self.timings: dict[str, float] = {}
        self._tracked = None
        self._lines: dict[str, list[str]] = {}

    def pages(self) -> list[str]:
        return [p.relative_to(self.root).as_posix() for p in sorted(self.root.rglob("*.html"))
                if p.relative_to(self.root).parts[0] not in ("_static", "_sources", "_images")]

    # -- source links, offline ------------------------------------------------------------------
    def tracked(self) -> set[str] | None:
        "Files git tracks in the repository (None when it is not a git checkout: then files on disk count)."
        if self._tracked is None:
            try:
                out = subprocess.run(["git", "ls-files", "-z"], cwd=self.repo_root, capture_output=True, check=True).stdout
                self._tracked = set(out.decode().split("\0")) - {""}
            except (OSError, subprocess.CalledProcessError):
                self._tracked = set()
        return self._tracked or None

    def check_source_link(self, href: str, name: str | None, api: bool) -> str | None:
        "The problem with one source link, or None."
        m = re.match(r"^(https://github\.com/[^/]+/[^/]+)/blob/[^/]+/([^#?]+)(?:#L(\d+)(?:-L\d+)?)?$", href)
        if not m or m.group(1).rstrip("/").lower() != self.repo_url.lower():
            return f"source link outside the repository {self.repo_url or '(none in pyproject.toml)'}: {href}" if api else None
        path, line = unquote(m.group(2)), m.group(3)
        tracked = self.tracked()
        file = self.repo_root / path
        if not file.is_file(): return f"source link to a file that does not exist: {path} ({href})"
        if tracked is not None and path not in tracked:
            return f"source link to a file that git does not track (it would not be on GitHub): {path} ({href})"
        if line is None: return f"source link without a line anchor: {href}" if api else None
        lines = self._lines.setdefault(path, file.read_text(encoding="utf-8", errors="replace").splitlines())
        n = int(line)
        if not 1 <= n <= len(lines):
            return f"source link past the end of {path} ({len(lines)} lines): {href}"
        if not name: return None
        short = re.split(r"[(\s]", name.strip())[0].split(".")[-1]   # `Learner.fit_one_cycle` -> fit_one_cycle
        i = n - 1
        while i < len(lines) and lines[i].lstrip().startswith("@"): i += 1   # decorators
        definition = re.compile(rf"^\s*(?:async\s+def|def|class)\s+{re.escape(short)}\b|^\s*{re.escape(short)}\s*(?::[^=]*)?=")
        if i >= len(lines) or not definition.search(lines[i]):
            found = next((k + 1 for k, l in enumerate(lines) if definition.search(l)), None)
            where = (f"; it is defined on line {found}: did the module change after the site was built?" if found else "")
            return (f"source link of `{name}` points at line {n} of {path}, which does not define it "
                    f"({lines[n - 1].strip()[:60]!r}{where}): {href}")
        return None

    # -- one page in the browser ----------------------------------------------------------------
    def check_page(self, browser: Chromium, session: str, base: str, page: str):
        url = base + page
        problems = self.problems[page]
        browser.events.clear()
        t0 = time.monotonic()
        nav = browser.send("Page.navigate", {"url": url}, session)
        if nav.get("errorText"):
            problems.append(f"did not open: {nav['errorText']}"); return
        deadline = t0 + PAGE_TIMEOUT_S
        loaded = lambda: any(e.get("method") == "Page.loadEventFired" for e in browser.events)
        while not loaded() and time.monotonic() < deadline: browser.pump(0.05)
        if not loaded(): problems.append(f"no load event after {PAGE_TIMEOUT_S} s")
        res = browser.send("Runtime.evaluate", {"expression": PAGE_SCRIPT, "awaitPromise": True, "returnByValue": True},
                           session, timeout=PAGE_TIMEOUT_S + 40)
        if "exceptionDetails" in res:
            problems.append(f"the checking script failed: {res['exceptionDetails'].get('text')}"); seen = {}
        else: seen = res["result"]["value"]
        self._wait_quiet(browser, deadline=time.monotonic() + 5)
        self.timings[page] = time.monotonic() - t0
        self._collect_events(browser.events, base, problems)
        problems += [f"maths {m}" for m in seen.get("maths", [])]
        if seen.get("maths") and not seen.get("mathjax"): problems.append("shows maths but MathJax did not load")
        problems += [f"raw maths (TeX not typeset){m}" for m in seen.get("rawMaths", [])]
        problems += [f"image {m}" for m in seen.get("images", [])]
        problems += seen.get("titles", [])
        for link in seen.get("sourceLinks", []):
            if (msg := self.check_source_link(link["href"], link["name"], link["api"])): problems.append(msg)

    @staticmethod
    def _wait_quiet(browser: Chromium, deadline: float, quiet_s: float = 0.15):
        "Wait until no request is in flight (fonts MathJax asked for, late scripts) for `quiet_s`."
        while time.monotonic() < deadline:
            inflight = set()
            for e in browser.events:
                m, p = e.get("method"), e.get("params", {})
                if m == "Network.requestWillBeSent": inflight.add(p["requestId"])
                elif m in ("Network.loadingFinished", "Network.loadingFailed"): inflight.discard(p["requestId"])
            n = len(browser.events)
            browser.pump(quiet_s)
            if not inflight and len(browser.events) == n: return

    @staticmethod
    def _collect_events(events: list[dict], base: str, problems: list[str]):
        requests, own = {}, set()
        for e in events:
            m, p = e.get("method"), e.get("params", {})
            if p.get("requestId") in own: continue
            if m == "Network.requestWillBeSent" and _browser_own(p["request"]["url"], base):
                own.add(p["requestId"]); continue
            if m == "Network.requestWillBeSent":
                url = p["request"]["url"]
                requests[p["requestId"]] = url
                if not _is_local(url, base):
                    problems.append(f"request to the network (the site must work offline): {url}")
            elif m == "Network.responseReceived" and p["response"].get("status", 200) >= 400:
                problems.append(f"failed request: HTTP {p['response']['status']} {p['response']['url'].removeprefix(base)}")
            elif m == "Network.loadingFailed" and not p.get("canceled"):
                url = requests.get(p["requestId"], "?")
                if _is_local(url, base):   # a network URL is reported above already
                    problems.append(f"failed request: {url.removeprefix(base)}: {p.get('errorText')}")
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                text = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
                problems.append(f"console error: {text[:300]}")
            elif m == "Runtime.exceptionThrown":
                d = p.get("exceptionDetails", {})
                text = (d.get("exception") or {}).get("description") or d.get("text", "")
                problems.append(f"uncaught exception: {text.splitlines()[0][:300] if text else '?'}"
                                f" ({d.get('url', '').removeprefix(base)}:{d.get('lineNumber', 0) + 1})")
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                entry = p["entry"]
                if entry.get("source") == "network": continue   # a failed request: reported from its Network events
                problems.append(f"console error ({entry.get('source')}): {entry.get('text', '')[:300]}"
                                + (f" {entry['url'].removeprefix(base)}" if entry.get("url") else ""))

    # -- the whole site -------------------------------------------------------------------------
    def run(self, browser_path: str, only: list[str] | None = None, screenshot: Path | None = None,
            screenshot_page: str = "learner.html") -> int:
        pages = self.pages() if not only else [p for p in only]
        server, base = serve(self.root)
        browser = Chromium(browser_path)
        try:
            target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            for domain in ("Page", "Network", "Runtime", "Log"): browser.send(f"{domain}.enable", {}, session)
            browser.send("Network.setCacheDisabled", {"cacheDisabled": False}, session)
            browser.send("Emulation.setDeviceMetricsOverride", {"width": VIEWPORT[0], "height": VIEWPORT[1],
                                                                "deviceScaleFactor": 1, "mobile": False}, session)
            for page in pages:
                self.check_page(browser, session, base, page)
                if screenshot is not None and page == screenshot_page:
                    self.screenshot(browser, session, screenshot)
            if screenshot is not None and screenshot_page not in pages:
                self.problems[screenshot_page].append("no such page for the screenshot")
        finally:
            browser.close()
            server.shutdown(); server.server_close()
        self.problems = defaultdict(list, {k: v for k, v in self.problems.items() if v})
        return sum(len(v) for v in self.problems.values())

    @staticmethod
    def screenshot(browser: Chromium, session: str, path: Path):
        """The top of the current page as a PNG: a window 1280 px wide and SCREENSHOT_HEIGHT tall (a
        tall window rather than a capture beyond the viewport, where the sticky sidebars would end)."""
        metrics = lambda h: {"width": VIEWPORT[0], "height": h, "deviceScaleFactor": 1, "mobile": False}
        browser.send("Emulation.setDeviceMetricsOverride", metrics(SCREENSHOT_HEIGHT), session)
        try:
            browser.send("Runtime.evaluate", {"expression": "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))",
                                              "awaitPromise": True}, session)
            data = browser.send("Page.captureScreenshot", {"format": "png"}, session, timeout=60)["data"]
        finally:
            browser.send("Emulation.setDeviceMetricsOverride", metrics(VIEWPORT[1]), session)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("site", nargs="?", default="docs/_build/html", help="the built HTML folder")
    ap.add_argument("--screenshot", help="PNG to write (default: <site>/../<page>.png, e.g. docs/_build/learner.png)")
    ap.add_argument("--screenshot-page", default="learner.html", help="the page to photograph")
    ap.add_argument("--only", nargs="+", metavar="PAGE", help="check only these pages (e.g. learner.html)")
    args = ap.parse_args(argv)
    root = Path(args.site)
    if not (root / "index.html").exists():
        print(f"check_site_browser: {root} has no index.html: build the site first (python tools/build_docs.py)")
        return 1
    browser = find_chromium()
    if browser is None:
        print(f"check_site_browser: {INSTALL_HINT}"); return 2
    shot = Path(args.screenshot) if args.screenshot else root.resolve().parent / Path(args.screenshot_page).with_suffix(".png").name
    t0 = time.monotonic()
    check = SiteBrowserCheck(root)
    n = check.run(browser, only=args.only, screenshot=shot, screenshot_page=args.screenshot_page)
    secs = time.monotonic() - t0
    slowest = sorted(check.timings.items(), key=lambda kv: -kv[1])[:3]
    timing = f"{len(check.timings)} pages in {secs:.1f} s (slowest: " + ", ".join(f"{p} {s:.1f} s" for p, s in slowest) + ")"
    if n:
        print(f"check_site_browser: {n} problem(s) in {root}, as headless Chromium shows it ({timing}):")
        for page in sorted(check.problems):
            print(f"  {page}")
            for msg in check.problems[page]: print(f"    - {msg}")
        if shot.exists(): print(f"screenshot of {args.screenshot_page}: {shot}")
        return 1
    print(f"check_site_browser: OK: {timing}: no console error, no failed or network request, maths typeset, "
          f"images loaded, source links resolve; screenshot of {args.screenshot_page}: {shot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
