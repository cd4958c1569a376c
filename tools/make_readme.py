"""Write README.md from nbs/index.ipynb (nbdev-readme needs Quarto, which is not available here).

    python tools/make_readme.py          # write README.md
    python tools/make_readme.py --check  # fail if README.md differs from what index.ipynb gives

Markdown cells are copied; code cells become ```python blocks followed by their text output;
cells marked `#| hide` are left out, and nbdev directives (`#| ...`) are dropped.
"""
import json, re, sys, tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def render(nb_path: Path) -> str:
    nb = json.loads(nb_path.read_text())
    parts = []
    for cell in nb["cells"]:
        src = "".join(cell["source"])
        lines = src.splitlines()
        directives = [l for l in lines if l.startswith("#|")]
        if any(d.replace(" ", "") in ("#|hide", "#|exporti") for d in directives): continue
        body = "\n".join(l for l in lines if not l.startswith("#|")).strip()
        if cell["cell_type"] == "markdown":
            if body: parts.append(body)
        elif cell["cell_type"] == "code" and body:
            parts.append(f"```python\n{body}\n```")
            text = "".join("".join(o.get("text", "")) for o in cell.get("outputs", []) if o.get("output_type") == "stream")
            text += "".join("".join(o.get("data", {}).get("text/plain", "")) for o in cell.get("outputs", [])
                            if o.get("output_type") == "execute_result")
            if text.strip(): parts.append("```\n" + text.rstrip() + "\n```")
    return "\n\n".join(parts) + "\n"

def doc_url() -> str:
    "The documentation site's address, from pyproject.toml."
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return meta.get("urls", {}).get("Documentation", "").rstrip("/")

def link_pages(text: str, base: str) -> str:
    "Links to notebooks and pages (`05_learner.ipynb#x`, `authoring.md`) become links to the docs site."
    def page(m):
        name = re.sub(r"^\d+_", "", m.group(1)) if m.group(2) == "ipynb" else m.group(1)
        return f"]({base}/{name}.html{m.group(3) or ''})"
    return re.sub(r"\]\(([\w-]+)\.(ipynb|md)(#[\w.-]+)?\)", page, text)

def main():
    readme, text = ROOT / "README.md", link_pages(render(ROOT / "nbs" / "index.ipynb"), doc_url())
    text += "\n<!-- Generated from nbs/index.ipynb by tools/make_readme.py: edit the notebook, not this file. -->\n"
    if "--check" in sys.argv:
        if not readme.exists() or readme.read_text() != text:
            sys.exit("README.md is out of date with nbs/index.ipynb: run `python tools/make_readme.py`")
        print("README.md matches nbs/index.ipynb")
    else:
        readme.write_text(text); print("wrote README.md")

if __name__ == "__main__":
    main()
