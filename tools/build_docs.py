"""Build the documentation website from the notebooks, offline.

    python tools/build_docs.py [--out docs/_build/html] [--force] [--allow-warnings]

1. nbdev's docs processing turns `nbs/` into `_proc/`: the same processors that
   `nbdev-proc-nbs` applies (exported code replaced by its API entry from `show_doc`, hidden
   cells dropped, symbols in backticks linked), called through nbdev's Python API, so nothing
   tries to install Quarto, and with a stricter rule for which cells run to render the API
   entries (exported and import-only cells; see `_eval_for_docs`). Cached by file time.
2. Each processed notebook (and `.md` page) is staged in `docs/_src/` under the name nbdev
   gives its page (`00_core.ipynb` -> `core.html`, as in `walk_with_dl/_modidx.py`): the
   front matter becomes the page title and a lead paragraph, `show_doc` outputs become
   markdown, Quarto cell options become myst-nb tags, and the home page gets the table of
   contents (chapters in numeric order, grouped by part).
3. Sphinx + myst-nb + pydata-sphinx-theme build the HTML with `docs/conf.py`. Notebooks are
   never executed: the pages show the outputs saved in the notebooks.

Any Sphinx warning fails the build (after the whole build ran, all warnings listed), unless
`--allow-warnings`. Check the result with `python tools/check_docs.py docs/_build/html`.
"""
from __future__ import annotations
import argparse, io, json, os, re, shutil, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NBS, PROC = ROOT / "nbs", ROOT / "_proc"
DOCS = ROOT / "docs"
SRC = DOCS / "_src"

# Parts of the book, by the tens digit of a chapter's number (see the numbering in DESIGN.md).
PARTS = {0: "The engine", 1: "From neurons to MLPs", 2: "Convolutional networks",
         3: "Sequences", 4: "Attention and transformers", 5: "Generative models",
         6: "Graphs", 7: "Tabular data", 8: "Beyond accuracy and few labels", 9: "The package and its command line"}
GUIDES = "Guides"   # pages without a number (e.g. authoring.md)

# ---------------------------------------------------------------------------------------------
# 1. nbdev processing

def _eval_for_docs(cell) -> bool:
    """Which cells nbdev runs to render `show_doc`: exported cells, cells of imports only, and
    `show_doc(...)` cells. (nbdev itself also runs any cell that contains an import, tests and
    training included; such a cell fails out of context or makes the build slow.)"""
    import ast
    from nbdev.processors import cell_lang, _show_docs
    if cell.cell_type != "code" or cell_lang(cell) != "python" or not cell.source: return False
    if "nbdev_export" + "()" in cell.source: return False
    if cell.directives_.get("eval", "").lower() == "false": return False
    if cell.directives_.keys() & {"export", "exports", "exporti", "exec_doc"}: return True
    trees = cell.parsed_()
    if not trees: return False
    if all(isinstance(t, (ast.Import, ast.ImportFrom)) for t in trees): return True
    return bool(_show_docs(trees))


def _nnx_signatures() -> None:
    """Give Flax NNX module classes the signature of their `__init__`.

    `inspect.signature(SomeModule)` finds the generic `__call__(*args: Any, **kwargs: Any)` of
    NNX's metaclass, whose string annotations do not evaluate (NameError: 'Any'), so nbdev's
    `show_doc` fails on every `nnx.Module` subclass. Only done in the docs worker processes."""
    import inspect
    try: from flax.nnx import pytreelib
    except Exception: return
    meta = getattr(pytreelib, "PytreeMeta", None)
    if meta is None or isinstance(meta.__dict__.get("__signature__"), property): return
    def signature(cls):
        try: sig = inspect.signature(cls.__init__, eval_str=True)
        except Exception: sig = inspect.signature(cls.__init__)
        return sig.replace(parameters=list(sig.parameters.values())[1:], return_annotation=inspect.Signature.empty)
    meta.__signature__ = property(signature)   # a data descriptor on the metaclass: classes only


def _process_one(job: tuple[str, str]) -> tuple[str, str | None]:
    "Process one notebook as nbdev's docs step does (in a worker process): (name, error or None)."
    import nbdev.processors
    from fastcore.nbio import read_nb, write_nb
    nbdev.processors._do_eval = _eval_for_docs
    _nnx_signatures()
    src, dst = map(Path, job)
    os.environ["IN_TEST"] = "1"
    main_module = sys.modules["__main__"]   # IPython's shell (which runs the cells) replaces it
    try:
        nb = read_nb(src)
        nbdev.processors.FilterDefaults()(nb)
        write_nb(nb, dst)
        return src.name, None
    except Exception as e:
        dst.unlink(missing_ok=True)
        return src.name, f"{type(e).__name__}: {e}"
    finally:
        os.environ.pop("IN_TEST", None)
        sys.modules["__main__"] = main_module


def process_notebooks(force: bool = False, workers: int | None = None) -> Path:
    """nbdev's docs processing of `nbs/` into `_proc/`, as `nbdev-proc-nbs` does it (same
    processors), without its Quarto install step and with the safer cell rule of `_eval_for_docs`.
    A notebook is reprocessed when it is newer than its processed copy (all, with `force`)."""
    import concurrent.futures, multiprocessing
    import nbdev.processors
    if not hasattr(nbdev.processors, "_do_eval") or not hasattr(nbdev.processors, "FilterDefaults"):
        sys.exit("build_docs: this nbdev has no processors._do_eval/FilterDefaults; update tools/build_docs.py")
    os.chdir(ROOT)  # nbdev finds pyproject.toml from the working directory
    stamp = max(p.stat().st_mtime for p in (ROOT / "pyproject.toml", Path(__file__),
                                            Path(nbdev.processors.__file__), ROOT / "walk_with_dl" / "_modidx.py")
                if p.exists())
    if force or (PROC.exists() and PROC.stat().st_mtime < stamp): shutil.rmtree(PROC, ignore_errors=True)
    PROC.mkdir(exist_ok=True)
    jobs, keep = [], set()
    for src in sorted(NBS.rglob("*")):
        rel = src.relative_to(NBS)
        if not src.is_file() or any(part[0] in "._" for part in rel.parts): continue
        dst = PROC / rel
        keep.add(dst)
        if dst.exists() and src.stat().st_mtime <= dst.stat().st_mtime: continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.suffix == ".ipynb": jobs.append((str(src), str(dst)))
        else: shutil.copy2(src, dst)     # markdown pages, images
    for old in PROC.rglob("*"):
        if old.is_file() and old not in keep: old.unlink()
    # a worker pays ~5 s of imports (jax, flax, IPython) once, then ~0.3 s a notebook
    workers = workers or (2 if len(jobs) > 12 and (os.cpu_count() or 1) > 1 else 1)
    errors = []
    if jobs:
        ctx = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
        with concurrent.futures.ProcessPoolExecutor(workers, mp_context=ctx) as pool:
            for name, err in pool.map(_process_one, jobs):
                if err: errors.append(f"nbs/{name}: {err}")
    if any("NameError" in e and "show_doc(" in e for e in errors):
        errors.append("(A NameError in show_doc: it evaluates the annotations of the signature; with "
                      "`from __future__ import annotations` they are strings, so every name used in an "
                      "annotation must be imported by an exported cell.)")
    if errors:
        sys.exit("build_docs: nbdev could not process these notebooks for the docs:\n\n" + "\n\n".join(errors) +
                 "\n\nTo render the API docs (show_doc), the exported cells and the import-only cells of "
                 "each notebook run in order, in a fresh namespace: they must not need other cells.")
    PROC.touch()
    return PROC

# ---------------------------------------------------------------------------------------------
# 2. staging: processed notebook -> Sphinx source

_re_frontmatter = re.compile(r"\A\s*---\s*\n(.*?)\n---\s*\n?", re.S)
_re_chapter = re.compile(r"^(\d+)_")

def parse_frontmatter(text: str) -> tuple[dict, str]:
    "Split YAML front matter `---\\n...\\n---` from `text`: (metadata, rest)."
    import yaml
    m = _re_frontmatter.match(text)
    if not m: return {}, text
    meta = yaml.safe_load(m.group(1)) or {}
    return (meta if isinstance(meta, dict) else {}), text[m.end():]

def page_name(source: Path, meta: dict) -> str:
    "The page (document) name: nbdev's `output-file` without `.html`, else the file stem."
    out = meta.get("output-file")
    if out: return Path(out).with_suffix("").as_posix()
    return source.stem

def title_block(meta: dict, fallback: str) -> str:
    "Markdown for a page's title and its one-line summary as a lead paragraph."
    title = str(meta.get("title") or fallback)
    md = f"# {title}\n"
    if meta.get("description"): md += f"\n{{.lead}}\n{str(meta['description']).strip()}\n"
    return md


class Stager:
    "Rewrites nbdev's processed pages into myst-nb sources; knows every page's name."
    def __init__(self, site_url: str, pages: dict[str, str]):
        self.site_url = site_url.rstrip("/") + "/"
        self.pages = pages  # source file name (00_core.ipynb, authoring.md) -> page name (core)

    # -- links ------------------------------------------------------------------------------
    def fix_links(self, md: str) -> str:
        "Point links at notebooks/pages of `nbs/` (`05_learner.ipynb#fit`) at their web pages."
        def repl(m):
            target, anchor = m.group(2), m.group(3) or ""
            name = self.pages.get(Path(target).name)
            if name is None or "/" in target.strip("./"): return m.group(0)
            return f"{m.group(1)}{self.site_url}{name}.html{anchor})"
        link = re.compile(r"(\]\()(?:\./)?([\w.-]+\.(?:ipynb|md|qmd))(#[^)\s]*)?\)")
        chunks = re.split(r"(^```.*?^```|`[^`\n]+`)", md, flags=re.S | re.M)   # leave code alone
        return "".join(c if i % 2 else link.sub(repl, c) for i, c in enumerate(chunks))

    # -- show_doc ---------------------------------------------------------------------------
    def show_doc_markdown(self, md: str, level: int) -> str:
        "nbdev's `show_doc` markdown as a page section: heading level, tidy signature, docstring."
        md = re.sub(r"\A\s*---\s*\n", "", md)        # the rule above: a CSS border instead
        # `[source](url#LNone){target=...}` before the heading: moved under it, with a line number
        source = re.search(r"\[source\]\(([^)#\s]+)(?:#L\w*)?\)(?:\{[^}]*\})?[ \t]*\n?", md)
        if source: md = md[:source.start()] + md[source.end():]
        heading = re.search(r"^#{2,6} +(.+)$", md, flags=re.M)
        if heading:
            title = heading.group(1).strip()
            shown = re.sub(r"(?<!\\)_", r"\\_", title) if "`" not in title else title   # `__call__` is not bold
            block = "{.api-entry}\n" + "#" * level + " " + shown + "\n"
            if source: block += f"\n{{.api-source}}\n[source]({self._source_url(source.group(1), title)})\n"
            md = md[:heading.start()] + block + md[heading.end() + 1:]
        md = self._tidy_signature(md)
        return self._docstring_sections(md)

    @staticmethod
    def _source_url(url: str, name: str) -> str:
        "`url` of a module on GitHub, with the line where `name` is defined (nbdev writes #LNone)."
        m = re.search(r"/blob/[^/]+/(.+)$", url)
        local = ROOT / m.group(1) if m else None
        if local is None or not local.exists(): return url
        short = re.escape(name.split(".")[-1])
        lines = local.read_text(encoding="utf-8").splitlines()
        # `f`: a module-level definition first (a method `f` may come earlier); `Class.f`: a method first
        for indent in ((r"\s+", "") if "." in name else ("", r"\s+")):
            for i, line in enumerate(lines, 1):
                if re.match(rf"{indent}(?:async\s+)?(?:def|class)\s+{short}\b|{indent}{short}\s*[:=]", line): return f"{url}#L{i}"
        return url

    @staticmethod
    def _tidy_signature(md: str) -> str:
        def fix(block):
            block = re.sub(r"""(->|:)\s*"'([^'"]+)'\"""", r"\1\2", block)  # "'DataLoaders'" -> DataLoaders
            block = re.sub(r"""(->|:)\s*'([^'"]+)'""", r"\1\2", block)
            return block.replace(":NoneType=None", "=None")
        return re.sub(r"```python\n.*?```", lambda m: fix(m.group(0)), md, count=1, flags=re.S)

    _re_section = re.compile(r"^(Args|Arguments|Parameters|Params|Keyword Args|Kwargs|Returns|Return|"
                             r"Yields|Raises|Attributes|Shapes|Shape|Example|Examples|Note|Notes):\s*$")
    _re_item = re.compile(r"^(\*{0,2}[A-Za-z_][\w.]*(?:\s*,\s*\*{0,2}[A-Za-z_][\w.]*)*)\s*"
                          r"(?:\(([^)]*)\))?\s*:\s+(.*)$")

    def _docstring_sections(self, md: str) -> str:
        "Google-style `Args:`/`Returns:` blocks (indented, unrendered by nbdev) as lists."
        lines, out, i = md.split("\n"), [], 0
        in_fence = False
        while i < len(lines):
            line = lines[i]
            if line.startswith("```"): in_fence = not in_fence
            m = None if in_fence else self._re_section.match(line)
            if not m:
                out.append(line); i += 1; continue
            name, body = m.group(1), []
            i += 1
            while i < len(lines) and (lines[i].startswith((" ", "\t")) or not lines[i].strip()):
                if not lines[i].strip() and (i + 1 >= len(lines) or not lines[i + 1].startswith((" ", "\t"))): break
                body.append(lines[i]); i += 1
            out += ["", *self._render_section(name, body), ""]
        return "\n".join(out)

    def _render_section(self, name: str, body: list[str]) -> list[str]:
        if not body: return [f"**{name}:**"]
        indent = min(len(l) - len(l.lstrip()) for l in body if l.strip())
        body = [l[indent:] for l in body]
        if name.startswith("Example"):
            return [f"**{name}:**", "", "```python", *body, "```"]
        items = []   # [(head, text)]
        for l in body:
            if l.startswith((" ", "\t")) and items: items[-1][1].append(l.strip()); continue
            m = self._re_item.match(l) if name not in ("Returns", "Return", "Yields") else None
            if m:
                head = f"`{m.group(1)}`" + (f" ({m.group(2)})" if m.group(2) else "")
                items.append((head, [m.group(3)]))
            else: items.append((None, [l.strip()]))
        if len(items) == 1 and items[0][0] is None:
            return [f"**{name}:** " + " ".join(items[0][1])]
        res = [f"**{name}:**", ""]
        for head, text in items:
            res.append(f"- {head}: {' '.join(text)}" if head else f"- {' '.join(text)}")
        return res

    # -- notebooks --------------------------------------------------------------------------
    @staticmethod
    def _source(cell) -> str:
        s = cell.get("source", "")
        return "".join(s) if isinstance(s, list) else s

    @staticmethod
    def _split_options(src: str) -> tuple[dict, str]:
        "Leading Quarto cell options (`#| echo: false`) of a code cell, and the rest."
        opts, lines = {}, src.split("\n")
        while lines and re.match(r"^#\|", lines[0]):
            m = re.match(r"^#\|\s*([\w-]+)\s*:?\s*(.*)$", lines.pop(0))
            if m: opts[m.group(1)] = m.group(2).strip().strip('"\'')
        return opts, "\n".join(lines)

    def stage_notebook(self, path: Path, source_name: str) -> tuple[str, dict, dict]:
        "A processed notebook as a myst-nb notebook: (page name, notebook, front matter)."
        nb = json.loads(path.read_text(encoding="utf-8"))
        cells, meta = nb.get("cells", []), {}
        if cells and cells[0]["cell_type"] == "raw":
            meta, _ = parse_frontmatter(self._source(cells[0]))
            cells = cells[1:]
        name = page_name(path, meta)
        new_cells = [self._md_cell(title_block(meta, Path(source_name).stem))]
        order = self._definition_order(NBS / source_name)
        level = 1
        pending_docs: list[tuple[str, str]] = []   # consecutive show_doc cells: (name, markdown)

        def flush():
            pending_docs.sort(key=lambda d: order.get(d[0], 10**9))  # nbdev inserts them in reverse
            for _, md in pending_docs: new_cells.append(self._md_cell(md))
            pending_docs.clear()

        for cell in cells:
            src = self._source(cell)
            if cell["cell_type"] == "markdown":
                if src.strip() == "<!-- WARNING: THIS FILE WAS AUTOGENERATED! DO NOT EDIT! -->": continue
                flush()
                heads = re.findall(r"^(#{1,6}) ", re.sub(r"```.*?```", "", src, flags=re.S), flags=re.M)
                if heads: level = len(heads[-1])
                new_cells.append(self._md_cell(self.fix_links(src)))
                continue
            if cell["cell_type"] != "code":
                flush(); continue   # raw cells other than the front matter are Quarto-only
            opts, code = self._split_options(src)
            doc = re.match(r"^\s*show_doc\(\s*([\w.]+)", code)
            md_out = self._markdown_output(cell)
            if doc and md_out is not None:
                pending_docs.append((doc.group(1), self.show_doc_markdown(md_out, min(level + 1, 4))))
                continue
            flush()
            new_cells.append(self._code_cell(cell, opts, code))
        flush()
        for i, c in enumerate(new_cells): c["id"] = f"c{i:03d}"   # nbformat 4.5 wants cell ids
        nb["cells"] = new_cells
        nb["nbformat"], nb["nbformat_minor"] = 4, max(5, nb.get("nbformat_minor", 5))
        nb.setdefault("metadata", {}).setdefault("kernelspec",
            {"name": "python3", "display_name": "Python 3", "language": "python"})
        nb["metadata"].setdefault("language_info", {"name": "python"})
        return name, nb, meta

    @staticmethod
    def _definition_order(original: Path) -> dict[str, int]:
        "Position of each top-level definition in the original notebook (to order API entries)."
        if not original.exists(): return {}
        text = "\n".join(Stager._source(c) for c in json.loads(original.read_text(encoding="utf-8"))["cells"]
                         if c["cell_type"] == "code")
        order = {}
        for m in re.finditer(r"^(?:@\w[^\n]*\n)*(?:async\s+)?(?:def|class)\s+(\w+)|^(\w+)\s*[:=]", text, re.M):
            order.setdefault(m.group(1) or m.group(2), m.start())
        for m in re.finditer(r"def\s+(\w+)\(self\s*:\s*(\w+)", text):       # fastcore @patch
            order.setdefault(f"{m.group(2)}.{m.group(1)}", m.start())
        return order

    def _markdown_output(self, cell) -> str | None:
        for o in cell.get("outputs", []):
            md = o.get("data", {}).get("text/markdown")
            if md is not None: return self.fix_links("".join(md) if isinstance(md, list) else md)
        return None

    @staticmethod
    def _md_cell(src: str) -> dict:
        return {"cell_type": "markdown", "metadata": {}, "source": src}

    @staticmethod
    def _code_cell(cell: dict, opts: dict, code: str) -> dict:
        tags = []
        if opts.get("include") == "false": tags.append("remove-cell")
        if opts.get("echo") == "false": tags.append("remove-input")
        if opts.get("output") == "false": tags.append("remove-output")
        if opts.get("code-fold") in ("true", "hide"): tags.append("hide-input")
        new = {**cell, "source": code.strip("\n"), "metadata": {"tags": tags} if tags else {}}
        new.setdefault("outputs", []); new.setdefault("execution_count", None)
        return new

    def stage_markdown(self, path: Path) -> tuple[str, str, dict]:
        "A Markdown page with Quarto front matter as a MyST page: (page name, text, front matter)."
        meta, body = parse_frontmatter(path.read_text(encoding="utf-8"))
        name = page_name(path, meta)
        from nbdev.doclinks import NbdevLookup   # symbols in backticks link, as in notebooks
        body = NbdevLookup().linkify(body)
        if meta.get("title"): body = title_block(meta, name) + "\n" + body
        return name, self.fix_links(body), meta


def toctree_markdown(entries: list[tuple[str, str, str]], hidden: bool) -> str:
    "MyST toctree directives, one per part: entries are (part caption, page name, title)."
    parts: dict[str, list[str]] = {}
    for part, name, _ in entries: parts.setdefault(part, []).append(name)
    blocks = []
    for part, names in parts.items():
        opts = f":caption: {part}\n:maxdepth: 1\n" + (":hidden:\n" if hidden else "")
        blocks.append("```{toctree}\n" + opts + "\n" + "\n".join(names) + "\n```\n")
    return "\n".join(blocks)


def write_if_changed(path: Path, text: str) -> None:
    "Write `text` unless the file already holds it (keeps Sphinx's incremental build)."
    if path.exists() and path.read_text(encoding="utf-8") == text: return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def stage(proc: Path, site_url: str, project: dict) -> list[tuple[str, str, str]]:
    "Stage `proc` into `docs/_src`; return the table of contents [(part, page name, title)]."
    sources = sorted(p for p in proc.iterdir() if p.suffix in (".ipynb", ".md") and p.name[0] not in "._")
    # First pass: page names, so links between pages can be rewritten.
    pages, metas = {}, {}
    for p in sources:
        if p.suffix == ".ipynb":
            cells = json.loads(p.read_text(encoding="utf-8")).get("cells", [])
            first = cells[0] if cells and cells[0]["cell_type"] == "raw" else None
            meta = parse_frontmatter(Stager._source(first))[0] if first else {}
        else: meta = parse_frontmatter(p.read_text(encoding="utf-8"))[0]
        pages[p.name], metas[p.name] = page_name(p, meta), meta
    dupes = {n for n in pages.values() if list(pages.values()).count(n) > 1}
    if dupes: sys.exit(f"build_docs: two notebooks make the same page: {sorted(dupes)} (check `output-file`/default_exp)")
    stager = Stager(site_url, pages)

    written, toc, index_written = set(), [], False
    for p in sources:
        if p.suffix == ".ipynb":
            name, nb, meta = stager.stage_notebook(p, p.name)
            if name == "index": index_nb = nb; index_written = True; continue  # toctree added below
            write_if_changed(SRC / f"{name}.ipynb", json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
            written.add(f"{name}.ipynb")
        else:
            name, text, meta = stager.stage_markdown(p)
            if name == "index": index_md = text; index_written = True; continue
            write_if_changed(SRC / f"{name}.md", text)
            written.add(f"{name}.md")
        m = _re_chapter.match(p.name)
        part = PARTS.get(int(m.group(1)) // 10, "Chapters") if m else GUIDES
        toc.append((part, name, str(meta.get("title") or name)))
    # chapters in numeric order, then guides
    toc.sort(key=lambda e: (e[0] == GUIDES, next((k for k, v in pages.items() if v == e[1]), "")))

    if index_written and "index_nb" in locals():
        index_nb["cells"].append({**Stager._md_cell(toctree_markdown(toc, hidden=True)), "id": "toctree"})
        write_if_changed(SRC / "index.ipynb", json.dumps(index_nb, indent=1, ensure_ascii=False) + "\n")
        written.add("index.ipynb")
    else:
        if not index_written:   # no nbs/index.ipynb yet: a plain home page listing the chapters
            index_md = title_block({"title": project["name"], "description": project.get("description", "")},
                                   project["name"])
        index_md += "\n" + toctree_markdown(toc, hidden=False)
        write_if_changed(SRC / "index.md", index_md)
        written.add("index.md")

    # Other files (images referenced by the notebooks) keep their place; stale pages go.
    for f in proc.rglob("*"):
        rel = f.relative_to(proc)
        if f.is_dir() or rel.parts[0].startswith((".", "_")) or f.suffix in (".ipynb", ".md", ".yml", ".yaml", ".qmd"): continue
        dst = SRC / rel
        if not dst.exists() or dst.stat().st_mtime < f.stat().st_mtime:
            dst.parent.mkdir(parents=True, exist_ok=True); shutil.copy2(f, dst)
        written.add(rel.as_posix())
    for f in list(SRC.rglob("*")):
        if f.is_file() and f.relative_to(SRC).as_posix() not in written: f.unlink()
    return toc

# ---------------------------------------------------------------------------------------------
# 3. Sphinx

class _Tee(io.StringIO):
    "Collects Sphinx's warnings, naming each by its notebook and cell, and echoes them."
    _re_where = re.compile(r"^(?:.*?)docs/_src/([^:\s]+?\.ipynb):(\d+): ")

    def __init__(self, names: dict[str, str]):
        super().__init__(); self.names = names; self.lines = []

    def _where(self, m) -> str:
        staged, number = m.group(1), int(m.group(2))
        source = self.names.get(staged, f"docs/_src/{staged}")
        if number < 10000: return f"{source}: "
        cell, line = divmod(number, 10000)   # myst-nb numbers lines as (cell + 1) * 10000 + line
        cell, line = cell - 1, max(1, line - 1)
        try:
            text = Stager._source(json.loads((SRC / staged).read_text(encoding="utf-8"))["cells"][cell])
            first = next((l.strip() for l in text.splitlines() if l.strip()), "")
            snippet = f' "{first[:50]}{"..." if len(first) > 50 else ""}"'
        except Exception: snippet = ""
        return f"{source}, cell{snippet}, line {line}: "

    def write(self, s):
        s = re.sub(r"\x1b\[[0-9;]*m", "", s).replace(str(SRC) + os.sep, "docs/_src/")
        s = self._re_where.sub(self._where, s)
        for staged, original in self.names.items():
            s = s.replace(f"docs/_src/{staged}", original)
        if s.strip(): self.lines.append(s.rstrip())
        sys.stderr.write(s)
        return len(s)


def build_html(out: Path, names: dict[str, str], jobs: int, site_url: str) -> list[str]:
    from sphinx.application import Sphinx
    from sphinx.util.docutils import docutils_namespace, patch_docutils
    from sphinx.util.console import nocolor
    nocolor()
    warnings = _Tee(names)
    with patch_docutils(DOCS), docutils_namespace():
        app = Sphinx(str(SRC), str(DOCS), str(out), str(out.parent / "doctrees"), "html",
                     status=None, warning=warnings, parallel=jobs,
                     confoverrides={"html_baseurl": site_url})   # nbdev's doc_host + doc_baseurl
        app.build(force_all=True)   # re-reads only changed pages, rewrites all (sidebars list every page)
        # pages of notebooks that no longer exist would linger (and be published): remove them
        keep = {f"{d}.html" for d in app.env.found_docs} | {"genindex.html", "search.html", "py-modindex.html"}
        for page in out.rglob("*.html"):
            rel = page.relative_to(out)
            if rel.parts[0] not in ("_static", "_images", "_sources") and rel.as_posix() not in keep:
                page.unlink()
    return warnings.lines


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="docs/_build/html", help="HTML output folder")
    ap.add_argument("--force", action="store_true", help="reprocess every notebook and rebuild every page")
    ap.add_argument("--allow-warnings", action="store_true", help="do not fail on Sphinx warnings")
    ap.add_argument("--jobs", type=int, default=1, help="Sphinx parallel jobs")
    args = ap.parse_args(argv)
    out = (Path.cwd() / args.out).resolve() if not Path(args.out).is_absolute() else Path(args.out)

    t0 = time.time()
    from nbdev.config import get_config
    os.chdir(ROOT)
    cfg = get_config()
    base = str(cfg.get("doc_baseurl", "")).strip("/")
    site_url = str(cfg.doc_host).rstrip("/") + "/" + (base + "/" if base else "")   # where nbdev's links point
    import tomllib
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    proc = process_notebooks(force=args.force)
    t1 = time.time()
    if args.force and SRC.exists(): shutil.rmtree(SRC)
    SRC.mkdir(parents=True, exist_ok=True)
    toc = stage(proc, site_url, project)
    names = {}
    for p in sorted(NBS.glob("*.ipynb")) + sorted(NBS.glob("*.md")):
        if p.name[0] in "._": continue
        staged = [f for f in SRC.iterdir() if f.suffix == p.suffix and f.stem == _stem_for(p, proc)]
        if staged: names[staged[0].name] = f"nbs/{p.name}"
    t2 = time.time()
    if args.force and out.exists(): shutil.rmtree(out); shutil.rmtree(out.parent / "doctrees", ignore_errors=True)
    warnings = build_html(out, names, args.jobs, site_url)
    t3 = time.time()
    print(f"build_docs: {len(toc) + 1} pages in {out} "
          f"(nbdev {t1 - t0:.1f}s, staging {t2 - t1:.1f}s, sphinx {t3 - t2:.1f}s, total {t3 - t0:.1f}s)")
    if warnings and not args.allow_warnings:
        print(f"build_docs: FAILED: {len(warnings)} Sphinx warning(s) (each is something broken on a page):",
              file=sys.stderr)
        for w in warnings: print("  " + w, file=sys.stderr)
        return 1
    return 0


def _stem_for(nb: Path, proc: Path) -> str:
    "The page name a source file in `nbs/` was staged under."
    p = proc / nb.name
    if not p.exists(): return nb.stem
    if p.suffix == ".ipynb":
        cells = json.loads(p.read_text(encoding="utf-8")).get("cells", [])
        meta = parse_frontmatter(Stager._source(cells[0]))[0] if cells and cells[0]["cell_type"] == "raw" else {}
    else: meta = parse_frontmatter(p.read_text(encoding="utf-8"))[0]
    return page_name(p, meta)


if __name__ == "__main__":
    sys.exit(main())
