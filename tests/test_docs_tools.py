"""Tests of the documentation tools: the checker catches each kind of broken page, and the
staging step turns nbdev's output into the intended Markdown. Fast: no Sphinx build here
(CI builds and checks the real site with `tools/build_docs.py` and `tools/check_docs.py`)."""
import sys
from pathlib import Path
import pytest

TOOLS = Path(__file__).resolve().parents[1] / "tools"
sys.path.insert(0, str(TOOLS))
pytest.importorskip("bs4")
import build_docs, check_docs  # noqa: E402

SITE = "https://walk-with-dl.github.io/walk_with_dl/"


# --------------------------------------------------------------------------------------------
# check_docs

GOOD_PAGE = """<!DOCTYPE html><html><head>
<link rel="stylesheet" href="_static/site.css"><link rel="canonical" href="{site}{name}">
<script src="_static/mathjax/tex-chtml.js"></script></head>
<body><main><h1 id="title">{title}</h1><p>Some text that is long enough to count as content.</p>
<span class="math">\\(x^2\\)</span><img src="_images/plot.png">
<a href="index.html">home</a> <a href="core.html#key_for">key_for</a> <a href="#title">top</a>
<a href="https://example.com/">elsewhere</a> <a href="mailto:a@b.c">mail</a></main></body></html>"""


def make_site(tmp_path: Path) -> Path:
    root = tmp_path / "html"
    (root / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").mkdir(parents=True)
    (root / "_static" / "mathjax" / "tex-chtml.js").write_text("// mathjax")
    (root / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2" / "MathJax_Main-Regular.woff").write_bytes(b"w")
    (root / "_static" / "site.css").write_text("body { color: black; } @font-face { src: url(fonts/a.woff2); }")
    (root / "_static" / "fonts").mkdir()
    (root / "_static" / "fonts" / "a.woff2").write_bytes(b"f")
    (root / "_images").mkdir()
    (root / "_images" / "plot.png").write_bytes(b"\x89PNG")
    for name, title in (("index.html", "Home"), ("core.html", "Core")):
        (root / name).write_text(GOOD_PAGE.format(site=SITE, name=name, title=title))
    core = (root / "core.html").read_text().replace('<p>Some', '<section id="key-for"><span id="key_for"></span></section><p>Some')
    (root / "core.html").write_text(core)
    return root


def problems(root: Path, expected=None) -> list[str]:
    site = check_docs.Site(root)
    site.run(expected if expected is not None else {"nbs/00_core.ipynb": "core.html"})
    return [f"{page}: {msg}" for page, msgs in site.problems.items() for msg in msgs]


def test_good_site_has_no_problem(tmp_path):
    assert problems(make_site(tmp_path)) == []


@pytest.mark.parametrize("old,new,expect", [
    ('<a href="index.html">', '<a href="missing.html">', "broken link: missing.html"),
    ('core.html#key_for', 'core.html#nope', 'broken anchor: core.html#nope'),
    ('href="#title"', 'href="#gone"', 'broken anchor: #gone'),
    ('src="_images/plot.png"', 'src="_images/none.png"', "broken img: _images/none.png"),
    ('<script src="_static/mathjax/tex-chtml.js"></script>',
     '<script src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js"></script>', "loads from the network"),
    ('<script src="_static/mathjax/tex-chtml.js"></script>', '', "shows maths but loads no MathJax"),
    ('<link rel="stylesheet" href="_static/site.css">',
     '<link rel="stylesheet" href="https://fonts.googleapis.com/css2?family=Lato">', "loads from the network"),
    ('<link rel="stylesheet" href="_static/site.css">', '<link rel="preconnect" href="//fonts.gstatic.com">',
     "loads from the network"),
    ('</head>', '<style>@import url("https://fonts.googleapis.com/css?family=X");</style></head>',
     "inline style loads from the network"),
    ('src="_images/plot.png"', 'src="http://example.com/plot.png"', "loads from the network: <img"),
    ('<a href="index.html">', '<a href="../../etc/passwd">', "leaves the site"),
])
def test_each_fault_is_reported(tmp_path, old, new, expect):
    root = make_site(tmp_path)
    page = root / "index.html"
    text = page.read_text()
    assert old in text
    page.write_text(text.replace(old, new))
    found = problems(root)
    assert any(expect in p for p in found), found


def test_missing_page_empty_image_css_and_fonts(tmp_path):
    root = make_site(tmp_path)
    (root / "_images" / "plot.png").write_bytes(b"")
    (root / "_static" / "site.css").write_text("@import url('https://fonts.googleapis.com/css?family=Roboto');"
                                               " @font-face { src: url(fonts/missing.woff2); }")
    (root / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2" / "MathJax_Main-Regular.woff").unlink()
    found = problems(root, {"nbs/00_core.ipynb": "core.html", "nbs/05_learner.ipynb": "learner.html"})
    for expect in ("learner.html: missing: no page for nbs/05_learner.ipynb", "empty image: _images/plot.png",
                   "stylesheet loads from the network: https://fonts.googleapis.com",
                   "stylesheet refers to a missing file: fonts/missing.woff2", "has no fonts beside it"):
        assert any(expect in p for p in found), (expect, found)


def test_missing_method_entry_gets_a_hint(tmp_path):
    root = make_site(tmp_path)
    page = root / "index.html"
    page.write_text(page.read_text().replace('<a href="index.html">home</a>',
                                             '<a href="core.html#key_for.fold"><code>key_for.fold</code></a>'))
    found = problems(root)
    assert any("add a `show_doc(key_for.fold)` cell" in p for p in found), found


def test_expected_pages_follow_nbdev_naming():
    pages = check_docs.expected_pages()
    assert pages.get("nbs/00_core.ipynb") == "core.html"
    assert all(not Path(s).name.startswith(("_", ".")) for s in pages)


# --------------------------------------------------------------------------------------------
# build_docs staging

@pytest.fixture
def stager():
    return build_docs.Stager(SITE, {"00_core.ipynb": "core", "05_learner.ipynb": "learner", "authoring.md": "authoring"})


def test_links_to_notebooks_become_site_links_outside_code(stager):
    md = ("See [core](00_core.ipynb) and [fit](05_learner.ipynb#fit-one-cycle), "
          "[other](https://x.org/a.ipynb), [missing](99_x.ipynb).\n"
          "Write `[the learner](05_learner.ipynb)` in code.\n```\n[x](00_core.ipynb)\n```\n")
    out = stager.fix_links(md)
    assert f"[core]({SITE}core.html)" in out
    assert f"[fit]({SITE}learner.html#fit-one-cycle)" in out
    assert "[other](https://x.org/a.ipynb)" in out and "[missing](99_x.ipynb)" in out
    assert "`[the learner](05_learner.ipynb)`" in out and "[x](00_core.ipynb)\n```" in out


SHOW_DOC = ("---\n\n[source](https://github.com/walk-with-dl/walk_with_dl/blob/main/walk_with_dl/core.py#LNone)"
            "{target=\"_blank\" style=\"float:right; font-size:smaller\"}\n\n### DataLoaders.from_arrays\n\n"
            "```python\ndef from_arrays(\n    x_train, x_valid:NoneType=None, batch_size:int=64\n)->\"'DataLoaders'\":\n```\n\n"
            "*DataLoaders from numpy arrays.*\n\nArgs:\n    x_train, y_train: training inputs and targets\n"
            "        (same length).\n    batch_size (int): rows per batch.\nReturns:\n    a `DataLoaders`.")


def test_show_doc_markdown_becomes_an_api_section(stager):
    out = stager.show_doc_markdown(SHOW_DOC, level=3)
    assert not out.lstrip().startswith("---")
    head = out.index("{.api-entry}\n### DataLoaders.from\\_arrays")   # underscores escaped: `__call__` would be bold
    assert out.index("{.api-source}\n[source](https://github.com/walk-with-dl/walk_with_dl/blob/main/walk_with_dl/core.py") > head
    assert "#LNone" not in out and "{target=" not in out
    assert "->DataLoaders:" in out and "x_valid=None" in out
    assert "- `x_train, y_train`: training inputs and targets (same length)." in out
    assert "- `batch_size` (int): rows per batch." in out
    assert "**Returns:** a `DataLoaders`." in out
    assert "#### DataLoaders.from\\_arrays" in stager.show_doc_markdown(SHOW_DOC, level=4)


def test_quarto_cell_options_become_myst_nb_tags(stager):
    opts, code = stager._split_options("#| echo: false\n#| output: asis\nshow_doc(f)")
    assert opts == {"echo": "false", "output": "asis"} and code == "show_doc(f)"
    cell = stager._code_cell({"cell_type": "code", "source": "", "outputs": []},
                             {"echo": "false", "include": "false", "code-fold": "true"}, "x = 1")
    assert cell["metadata"]["tags"] == ["remove-cell", "remove-input", "hide-input"] and cell["source"] == "x = 1"


def test_frontmatter_title_and_toctree_parts():
    meta, rest = build_docs.parse_frontmatter("---\ntitle: Core\ndescription: Keys.\noutput-file: core.html\n---\n\nbody")
    assert meta["title"] == "Core" and rest.strip() == "body"
    assert build_docs.page_name(Path("00_core.ipynb"), meta) == "core"
    assert build_docs.title_block(meta, "x") == "# Core\n\n{.lead}\nKeys.\n"
    toc = build_docs.toctree_markdown([("The engine", "core", "Core"), ("The engine", "data", "Data"),
                                       ("Guides", "authoring", "Writing")], hidden=True)
    assert toc.index(":caption: The engine") < toc.index("core\ndata") < toc.index(":caption: Guides")
    assert toc.count(":hidden:") == 2


def test_pandoc_ids_match_nbdev_anchors():
    sys.path.insert(0, str(TOOLS.parent / "docs" / "_ext"))
    from nbdev_compat import pandoc_id
    assert pandoc_id("key_for") == "key_for"
    assert pandoc_id("DataLoader.set_epoch") == "dataloader.set_epoch"
    assert pandoc_id("A model summary, like Keras'") == "a-model-summary-like-keras"
    assert pandoc_id("2. Numbers first") == "numbers-first"


def test_source_url_prefers_the_matching_definition(tmp_path, monkeypatch):
    "A function's source link points at the module-level `def`, a method's at the indented one."
    import build_docs
    pkg = tmp_path / "pkg"; pkg.mkdir()
    (pkg / "m.py").write_text("class A:\n    def generate(self): pass\n\ndef generate(x): pass\n")
    monkeypatch.setattr(build_docs, "ROOT", tmp_path)
    url = "https://github.com/o/r/blob/main/pkg/m.py"
    assert build_docs.Stager._source_url(url, "generate") == url + "#L4"
    assert build_docs.Stager._source_url(url, "A.generate") == url + "#L2"
