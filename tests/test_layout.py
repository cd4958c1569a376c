"""The project's layout rules, checked on every notebook (DESIGN.md, "Architecture" and "Conventions").

- a notebook exports one module, and no two notebooks export the same module;
- a notebook imports only from lower-numbered notebooks (reading in order never needs a later chapter);
- the layers point one way: ops <- nn <- models <- apps; nothing imports the cli.
"""
import json, re
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for p in (ROOT / "nbs").glob("[0-9][0-9]_*.ipynb"))
IMPORT = re.compile(r"^\s*(?:from\s+(walk_with_dl(?:\.\w+)*)\s+import|import\s+(walk_with_dl(?:\.\w+)*))", re.M)

def code(nb_path):
    cells = json.loads(nb_path.read_text())["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]

def exported_module(nb_path):
    found = [m.group(1) for src in code(nb_path) for m in re.finditer(r"^#\|\s*default_exp\s+([\w.]+)", src, re.M)]
    assert len(found) <= 1, f"{nb_path.name} declares several default_exp: {found}"
    return ("walk_with_dl." + found[0]).removesuffix(".__init__") if found else None

MODULES = {nb: exported_module(nb) for nb in NOTEBOOKS}
OWNER = {}
for nb, mod in MODULES.items():
    if mod: OWNER.setdefault(mod, []).append(nb)

def number(nb): return int(nb.name[:2])

def test_one_notebook_per_module():
    twice = {m: [n.name for n in nbs] for m, nbs in OWNER.items() if len(nbs) > 1}
    assert not twice, f"modules exported by several notebooks: {twice}"

def imports_of(nb):
    return {m.group(1) or m.group(2) for src in code(nb) for m in IMPORT.finditer(src)}

def owner_of(module):
    "The notebook that exports `module` (or the package namespace it belongs to)."
    while module:
        if module in OWNER: return OWNER[module][0]
        module = module.rpartition(".")[0]
    return None

@pytest.mark.parametrize("nb", NOTEBOOKS, ids=[n.stem for n in NOTEBOOKS])
def test_imports_only_lower_numbered_notebooks(nb):
    later = sorted({(m, owner_of(m).name) for m in imports_of(nb)
                    if owner_of(m) is not None and owner_of(m) != nb and number(owner_of(m)) >= number(nb)})
    assert not later, f"{nb.name} imports from notebooks that come later: {later}"

LAYERS = {"ops": 0, "nn": 1, "models": 2, "apps": 3}

@pytest.mark.parametrize("nb", NOTEBOOKS, ids=[n.stem for n in NOTEBOOKS])
def test_layers_point_one_way(nb):
    mod = MODULES[nb]
    if mod is None: return
    exported_src = "\n".join(s for s in code(nb) if re.match(r"#\|\s*export", s))
    imported = {m.group(1) or m.group(2) for m in IMPORT.finditer(exported_src)}
    assert "walk_with_dl.cli" not in imported, f"{nb.name}: nothing may import the cli"
    layer = LAYERS.get(mod.split(".")[1])
    if layer is None: return
    for m in imported:
        other = LAYERS.get(m.split(".")[1]) if m.count(".") else None
        assert other is None or other <= layer, f"{nb.name} ({mod}) imports {m}, a higher layer"
        if layer <= LAYERS["models"]:
            assert m.split(".")[1] not in ("learner", "recipes", "cli"), f"{nb.name} ({mod}) imports {m}: below the learner"
