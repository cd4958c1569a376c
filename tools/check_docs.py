"""Check the built documentation site the way a reader would meet it, offline.

    python tools/check_docs.py docs/_build/html

Verifies that
- every notebook `nbs/*.ipynb` and page `nbs/*.md` has its HTML page (named as nbdev names it:
  `00_core.ipynb` -> `core.html`), and that page has a title and content;
- every internal link (`<a href>`, `<link href>`, `<script src>`, `<img src>` ...) points at a file
  of the site, and its `#anchor` at an element id on that page;
- no page loads anything from the network: no http(s) or protocol-relative URL in
  `<script src>`, `<link href>` (stylesheets, fonts, icons, preloads), `<img src>`, `<iframe src>`,
  nor in CSS `@import` / `url(...)` (inline styles and the site's .css files);
- every page that shows maths loads MathJax from the site itself, and that MathJax has its fonts;
- every image referenced exists and is not empty.
Exits 1 with the problems listed per page, 0 when the site is sound.
"""
from __future__ import annotations
import re, sys
from collections import defaultdict
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT / "nbs"

_re_external = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.I)       # http://, https://, //host
_re_scheme = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)                 # mailto:, data:, javascript:
_re_css_url = re.compile(r"""@import\s+(?:url\()?\s*['"]?([^'")\s;]+)|url\(\s*['"]?([^'")]+)['"]?\s*\)""", re.I)
# <link rel=...> values that only name a URL and load nothing
_NON_LOADING_RELS = {"canonical", "alternate", "author", "license", "me", "bookmark", "external", "help", "next", "prev",
                     "search", "index", "top", "up", "first", "last", "copyright", "edit"}


def expected_pages() -> dict[str, str]:
    "Source file in `nbs/` -> the HTML page it must produce (nbdev's naming)."
    from nbdev.config import nbpath2html
    pages = {}
    for p in sorted(NBS.glob("*.ipynb")) + sorted(NBS.glob("*.md")):
        if p.name[0] in "._": continue
        name = nbpath2html(p).name if p.suffix == ".ipynb" else _md_page(p)
        pages[f"nbs/{p.name}"] = name
    return pages


def _md_page(p: Path) -> str:
    m = re.match(r"\A\s*---\s*\n(.*?)\n---", p.read_text(encoding="utf-8"), re.S)
    out = re.search(r"^output-file:\s*['\"]?([^'\"\s]+)", m.group(1), re.M) if m else None
    return out.group(1) if out else p.with_suffix(".html").name


class Site:
    def __init__(self, root: Path):
        from bs4 import BeautifulSoup
        self.root = root.resolve()
        # pages, not assets: `_static/` holds theme templates such as webpack-macros.html
        self.pages = {p: BeautifulSoup(p.read_text(encoding="utf-8", errors="replace"), "html.parser")
                      for p in sorted(self.root.rglob("*.html"))
                      if not p.relative_to(self.root).parts[0] in ("_static", "_sources", "_images")}
        self.ids = {p: {t["id"] for t in soup.find_all(id=True)} | {t["name"] for t in soup.find_all("a", attrs={"name": True})}
                    for p, soup in self.pages.items()}
        self.problems: dict[str, list[str]] = defaultdict(list)

    def rel(self, p: Path) -> str:
        return p.relative_to(self.root).as_posix()

    def problem(self, page: Path | str, msg: str):
        self.problems[page if isinstance(page, str) else self.rel(page)].append(msg)

    def resolve(self, page: Path, url: str) -> tuple[Path | None, str]:
        "Local file and anchor a relative `url` on `page` points at (None if it leaves the site)."
        parts = urlsplit(url)
        path = unquote(parts.path)
        target = page if not path else (self.root / path.lstrip("/") if path.startswith("/") else page.parent / path)
        target = Path(*target.parts).resolve() if target.is_absolute() else target
        try: target.relative_to(self.root)
        except ValueError: return None, parts.fragment
        if target.is_dir(): target = target / "index.html"
        return target, unquote(parts.fragment)

    # -- checks ---------------------------------------------------------------------------------
    def check_expected(self, expected: dict[str, str]):
        for source, name in expected.items():
            page = self.root / name
            if page not in self.pages:
                self.problem(name, f"missing: no page for {source}")
                continue
            soup = self.pages[page]
            main = soup.find("main") or soup.find("article") or soup.body
            if main is None or not main.find("h1"):
                self.problem(page, f"the page of {source} has no title (<h1>)")
            elif len(main.get_text(" ", strip=True)) < 40:
                self.problem(page, f"the page of {source} is (almost) empty")

    def check_page(self, page: Path, soup):
        refs = []   # (what, url[, link text])
        for tag in soup.find_all("a", href=True): refs.append(("link", tag["href"], tag.get_text(strip=True)))
        for tag in soup.find_all("link", href=True):
            rels = {r.lower() for r in (tag.get("rel") or [])}
            if _re_external.match(tag["href"]):
                if not rels or not rels <= _NON_LOADING_RELS:
                    self.problem(page, f"loads from the network: <link rel=\"{' '.join(rels)}\" href=\"{tag['href']}\">")
                continue
            refs.append(("link[rel=" + " ".join(sorted(rels)) + "]", tag["href"]))
        for name, attr in (("script", "src"), ("img", "src"), ("iframe", "src"), ("source", "src"),
                           ("video", "src"), ("audio", "src"), ("embed", "src"), ("object", "data")):
            for tag in soup.find_all(name, attrs={attr: True}):
                url = tag[attr]
                if _re_external.match(url):
                    self.problem(page, f"loads from the network: <{name} {attr}=\"{url}\">")
                else: refs.append((name, url))
        for tag in soup.find_all("img", srcset=True):
            for url in (u.strip().split()[0] for u in tag["srcset"].split(",") if u.strip()):
                if _re_external.match(url): self.problem(page, f"loads from the network: <img srcset=\"{url}\">")
                else: refs.append(("img", url))
        css = [t.get_text() for t in soup.find_all("style")] + [t["style"] for t in soup.find_all(style=True)]
        for text in css: self._check_css_text(page, text, "inline style")

        for what, url, *text in refs:
            url, text = url.strip(), (text[0] if text else "").strip("`()")
            if not url or (_re_scheme.match(url) and not _re_external.match(url)): continue  # mailto:, data:, javascript:
            if _re_external.match(url): continue  # <a href> to another site: a link, not a load
            target, anchor = self.resolve(page, url)
            if target is None:
                self.problem(page, f"{what} leaves the site: {url}"); continue
            if not target.exists():
                self.problem(page, f"broken {what}: {url} (no file {self.rel(target) if target.is_relative_to(self.root) else target})")
                continue
            if what in ("img", "source") and target.stat().st_size == 0:
                self.problem(page, f"empty image: {url}")
            if anchor and target.suffix == ".html":
                if target not in self.ids: continue
                if anchor not in self.ids[target]:
                    hint = ""
                    owner, _, member = anchor.rpartition(".")
                    if owner and member and owner in self.ids[target]:
                        symbol = text if text.lower() == anchor else f"{owner}.{member}"
                        hint = (f"; `{symbol}` in backticks links to its API entry, and there is none: add a "
                                f"`show_doc({symbol})` cell to the notebook, after the definition")
                    self.problem(page, f"broken anchor: {url} (no id \"{anchor}\" in {self.rel(target)}{hint})")

        self._check_maths(page, soup)

    def _check_maths(self, page: Path, soup):
        has_math = soup.find(class_="math") is not None or soup.find("math") is not None
        if not has_math: return
        scripts = [s["src"] for s in soup.find_all("script", src=True) if "mathjax" in s["src"].lower()]
        if not scripts:
            self.problem(page, "shows maths but loads no MathJax"); return
        for src in scripts:
            if _re_external.match(src):
                continue   # already reported as a network load
            target, _ = self.resolve(page, src)
            if target is None or not target.exists():
                self.problem(page, f"shows maths but its MathJax is missing: {src}"); continue
            fonts = target.parent / "output" / "chtml" / "fonts" / "woff-v2"
            if "chtml" in target.name and not (fonts / "MathJax_Main-Regular.woff").exists():
                self.problem(page, f"MathJax {src} has no fonts beside it ({self.rel(fonts)})")

    def _check_css_text(self, where: Path | str, text: str, what: str, base: Path | None = None):
        for m in _re_css_url.finditer(text):
            url = (m.group(1) or m.group(2) or "").strip()
            if not url or url.startswith(("data:", "#")): continue
            if _re_external.match(url):
                self.problem(where, f"{what} loads from the network: {url}")
            elif base is not None:
                target = (base.parent / unquote(urlsplit(url).path)).resolve()
                if not target.exists():
                    self.problem(where, f"{what} refers to a missing file: {url}")

    def check_css_files(self):
        for css in sorted(self.root.rglob("*.css")):
            text = css.read_text(encoding="utf-8", errors="replace")
            self._check_css_text(self.rel(css), text, "stylesheet", base=css)

    def run(self, expected: dict[str, str]) -> int:
        self.check_expected(expected)
        for page, soup in self.pages.items(): self.check_page(page, soup)
        self.check_css_files()
        return sum(len(v) for v in self.problems.values())


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) > 1 or (argv and argv[0] in ("-h", "--help")):
        print(__doc__); return 0 if argv and argv[0] in ("-h", "--help") else 2
    root = Path(argv[0] if argv else "docs/_build/html")
    if not (root / "index.html").exists():
        print(f"check_docs: {root} has no index.html: build the site first (python tools/build_docs.py)")
        return 1
    site = Site(root)
    expected = expected_pages()
    n = site.run(expected)
    maths = sum(1 for s in site.pages.values() if s.find(class_="math") is not None)
    if n:
        print(f"check_docs: {n} problem(s) in {root}:")
        sources = {page: source for source, page in expected.items()}
        for page in sorted(site.problems):
            print(f"  {page}" + (f"  (from {sources[page]})" if page in sources else ""))
            for msg in site.problems[page]: print(f"    - {msg}")
        return 1
    print(f"check_docs: OK: {len(site.pages)} HTML files, {len(expected)} chapter/guide pages expected and present, "
          f"{maths} with maths (local MathJax), all internal links, anchors and images resolve, nothing loaded from the network")
    return 0


if __name__ == "__main__":
    sys.exit(main())
