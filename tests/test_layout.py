"""The project's layout rules, checked on every notebook (see nbs/authoring.md, "Where exported code goes").

- every module has one owner, the notebook whose `#| default_exp` names it; other notebooks may add
  cells to it (`#| export module`) only if nbdev exports them after the owner, which rewrites the file;
- a notebook imports only names that lower-numbered notebooks define (reading in order never needs a
  later chapter);
- the layers point one way: ops <- nn <- models <- apps, nothing below the learner imports it, and
  nothing imports the cli;
- each name lives in its room: `models` hold architectures (and what runs them), not data pipelines,
  downloaders, losses or metrics.
"""
import ast, importlib, inspect, json, re
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for p in (ROOT / "nbs").glob("[0-9][0-9]_*.ipynb"))
IMPORT = re.compile(r"^\s*(?:from\s+(walk_with_dl(?:\.\w+)*)\s+import\s+(\([^)]*\)|[^\n#]*)|import\s+(walk_with_dl(?:\.\w+)*))", re.M)
DIRECTIVE = re.compile(r"^#\|\s*(default_exp|export|exports|exporti)\b[ \t]*([\w.]*)", re.M)

def code(nb_path):
    cells = json.loads(nb_path.read_text())["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]

def module_name(name):
    return ("walk_with_dl." + name).removesuffix(".__init__")

def default_module(nb):
    found = [m.group(2) for src in code(nb) for m in DIRECTIVE.finditer(src) if m.group(1) == "default_exp"]
    assert len(found) <= 1, f"{nb.name} declares several default_exp: {found}"
    return module_name(found[0]) if found else None

def exported_cells(nb):
    "(module, source) of each exported cell of `nb`."
    default = default_module(nb)
    for src in code(nb):
        m = DIRECTIVE.match(src)
        if m and m.group(1) != "default_exp":
            yield (module_name(m.group(2)) if m.group(2) else default), src

def defined_names(src):
    try: tree = ast.parse(src)
    except SyntaxError: return set()
    names = set()
    for n in tree.body:
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)): names.add(n.name)
        elif isinstance(n, ast.Assign): names |= {t.id for t in n.targets if isinstance(t, ast.Name)}
        elif isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name): names.add(n.target.id)
    return names

DEFAULT = {nb: default_module(nb) for nb in NOTEBOOKS}
OWNERS, CONTRIBUTORS, DEFINED_BY = {}, {}, {}
for nb in NOTEBOOKS:
    if DEFAULT[nb]: OWNERS.setdefault(DEFAULT[nb], []).append(nb)
    for mod, src in exported_cells(nb):
        CONTRIBUTORS.setdefault(mod, set()).add(nb)
        for name in defined_names(src): DEFINED_BY.setdefault((mod, name), nb)

def number(nb): return int(nb.name[:2])

def test_every_module_has_one_owner():
    twice = {m: [n.name for n in nbs] for m, nbs in OWNERS.items() if len(nbs) > 1}
    assert not twice, f"modules that several notebooks declare as their default_exp: {twice}"
    orphans = sorted(m for m in CONTRIBUTORS if m not in OWNERS)
    assert not orphans, (f"modules that notebooks export to but no notebook owns (`#| default_exp`): {orphans}; nbdev would "
                         "append to them on every export")

def test_contributors_come_after_the_owner():
    "nbdev-export runs the notebooks in name order; the owner rewrites its module, later notebooks append to it."
    early = sorted((m, nb.name, OWNERS[m][0].name) for m, nbs in CONTRIBUTORS.items() if m in OWNERS
                   for nb in nbs if nb.name < OWNERS[m][0].name)
    assert not early, f"notebooks that add to a module before its owner rewrites it (module, notebook, owner): {early}"

def imports_of(nb, sources=None):
    "(module, names or None for a whole-module import) for every walk_with_dl import in `sources` (default: all code)."
    for src in (code(nb) if sources is None else sources):
        for m in IMPORT.finditer(src):
            if m.group(3): yield m.group(3), None
            else:
                names = [x.split(" as ")[0].strip() for x in m.group(2).strip("() \n").replace("\n", " ").split(",")]
                yield m.group(1), [n for n in names if n]

def provider(module, name):
    "The notebook that defines `module.name` (or, for a submodule or a whole module, its owner)."
    if name is not None and (module, name) in DEFINED_BY: return DEFINED_BY[module, name]
    sub = f"{module}.{name}" if name else module
    for m in (sub, module):
        while m:
            if m in OWNERS: return OWNERS[m][0]
            m = m.rpartition(".")[0]
    return None

@pytest.mark.parametrize("nb", NOTEBOOKS, ids=[n.stem for n in NOTEBOOKS])
def test_imports_only_lower_numbered_notebooks(nb):
    later = set()
    for module, names in imports_of(nb):
        for name in names or [None]:
            p = provider(module, name)
            if p is not None and p != nb and number(p) >= number(nb): later.add((f"{module}.{name}" if name else module, p.name))
    assert not later, f"{nb.name} imports from notebooks that come later: {sorted(later)}"

LAYERS = {"ops": 0, "nn": 1, "models": 2, "apps": 3}

@pytest.mark.parametrize("nb", NOTEBOOKS, ids=[n.stem for n in NOTEBOOKS])
def test_layers_point_one_way(nb):
    for mod, src in exported_cells(nb):
        layer = LAYERS.get(mod.split(".")[1]) if mod.count(".") else None
        for imported, _ in imports_of(nb, [src]):
            assert imported != "walk_with_dl.cli", f"{nb.name}: nothing may import the cli"
            if layer is None: continue
            other = LAYERS.get(imported.split(".")[1]) if imported.count(".") else None
            assert other is None or other <= layer, f"{nb.name}: {mod} imports {imported}, a higher layer"
            if layer <= LAYERS["models"]:
                assert imported.split(".")[1] not in ("learner", "recipes", "cli"), f"{nb.name}: {mod} imports {imported}: below the learner"

# Names that say "data pipeline, downloader, loss or metric": they belong to data, datasets, nn.losses or metrics.
# A model's own weights are not data: reading, downloading and loading weights (`load_state_dict`,
# `download_weights`, `load_pretrained`) stays with the models, as in torchvision.
NOT_AN_ARCHITECTURE = re.compile(r"(?i)(?!.*(weights|state_dict|pretrained))"
                                 r"(dataloader|corpus|windows$|download|^load_|^read_|_loss$|accuracy|perplexity|"
                                 r"^bits_per_|^(random_|resize_|frame_)|paragraphs|^pad_|^mask_tokens$|_series$)")

def models_modules():
    return sorted(m for m in OWNERS if m.startswith("walk_with_dl.models."))

def _is_a_model_class(cls) -> bool:
    "An nnx module or variable, or a plain model that is fitted or called (not a data container: no dataclass, not iterable)."
    from flax import nnx
    if issubclass(cls, (nnx.Module, nnx.Variable)): return True
    defines = set().union(*(vars(c) for c in cls.__mro__ if c is not object))
    return bool(defines & {"fit", "predict", "__call__"}) and "__iter__" not in defines and "__dataclass_fields__" not in defines

@pytest.mark.parametrize("module", models_modules())
def test_models_hold_architectures(module):
    from flax import nnx
    mod = importlib.import_module(module)
    wrong = []
    for name in mod.__all__:
        obj = getattr(mod, name)
        if NOT_AN_ARCHITECTURE.search(name): wrong.append(f"{name} (its name says data, loss or metric)")
        elif inspect.isclass(obj) and not _is_a_model_class(obj):
            wrong.append(f"{name} (a class that is neither a module nor a model that predicts)")
    assert not wrong, f"{module} holds what is not an architecture: {wrong}; move it to walk_with_dl.data, datasets, nn.losses or metrics"

def test_the_rules_catch_a_misplaced_name():
    "The name rule is not vacuous: it flags what used to live in models."
    for name in ("language_model_dataloaders", "load_text8", "masked_lm_loss", "masked_accuracy", "word_corpus",
                 "frame_digits", "forecast_windows", "pydoc_paragraphs", "bits_per_character", "read_text8_archive"):
        assert NOT_AN_ARCHITECTURE.search(name), name
    for name in ("GPT", "generate", "sample_token", "fill_in", "naive_forecast", "attention_maps"):
        assert not NOT_AN_ARCHITECTURE.search(name), name

def test_modules_compile_without_warnings():
    "Invalid escape sequences (a `\\s` in a docstring meant for LaTeX) are warnings today and errors in a later Python."
    import warnings
    for path in sorted((ROOT / "walk_with_dl").rglob("*.py")):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            try: compile(path.read_text(), str(path), "exec")
            except (SyntaxError, SyntaxWarning, DeprecationWarning) as e:
                pytest.fail(f"{path.relative_to(ROOT)}: {e}; use a raw docstring (r\"\"\"...\"\"\") or escape the backslash")
