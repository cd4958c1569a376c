"""Sphinx configuration for the walk_with_dl documentation site.

Do not run sphinx-build on this directory by hand: `python tools/build_docs.py` processes the
notebooks in `nbs/` with nbdev, stages them in `docs/_src/` and builds from there with this
configuration (confdir = docs/, srcdir = docs/_src/).
Everything the pages load is served from the site itself: MathJax comes from the
`sphinx-mathjax-offline` wheel, the theme bundles its fonts and icons; no CDN, no network.
"""
import importlib.util, sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))

project = "walk_with_dl"
author = "walk_with_dl authors"
copyright = "walk_with_dl authors"
html_title = "walk_with_dl"
html_baseurl = "https://walk-with-dl.github.io/walk_with_dl/"

extensions = ["myst_nb", "nbdev_compat", "sphinx.ext.githubpages"]   # githubpages: writes .nojekyll
exclude_patterns = ["**.ipynb_checkpoints", "_build"]
templates_path = [str(DOCS / "_templates")]

# Notebooks are never executed here: the pages show the outputs saved in nbs/*.ipynb
# (python tools/run_nb.py saves them).
nb_execution_mode = "off"
nb_render_markdown_format = "myst"   # markdown outputs may hold maths too
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath", "attrs_block", "attrs_inline",
                          "colon_fence", "deflist", "html_image"]
myst_dmath_double_inline = True      # Quarto/nbdev write `$$...$$` inside paragraphs too

# MathJax 3 from the sphinx-mathjax-offline wheel, copied into _static/mathjax/.
_mathjax_spec = importlib.util.find_spec("sphinx-mathjax-offline")
if _mathjax_spec is None:
    raise ImportError("the docs need the `sphinx-mathjax-offline` package (pip install -e '.[docs]')")
_mathjax_static = Path(_mathjax_spec.origin).parent / "static"
html_static_path = [str(DOCS / "_static"), str(_mathjax_static)]
mathjax_path = "mathjax/tex-chtml.js"
html_css_files = ["custom.css"]

html_theme = "pydata_sphinx_theme"
html_copy_source = False
html_show_sourcelink = False
html_sidebars = {"**": ["chapters-nav.html"]}
html_context = {"default_mode": "auto"}     # without it the theme logs "invalid theme mode" on a first visit
html_theme_options = {
    "navbar_center": [],                      # the chapters live in the left sidebar
    "navbar_end": ["search-button", "theme-switcher", "navbar-icon-links"],
    "secondary_sidebar_items": ["page-toc"],
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "show_prev_next": True,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
    "icon_links": [{"name": "GitHub", "url": "https://github.com/walk-with-dl/walk_with_dl",
                    "icon": "fa-brands fa-github"}],
}
