"""Regenerate the namespace notebooks nbs/9x_<pkg>.ipynb from the submodules in walk_with_dl/<pkg>/.

Run after adding, removing or renaming an exported name (then `nbdev-export`); the test cell of
each namespace notebook fails when it is out of date."""
import ast, pathlib, collections, textwrap
import jupytext
root = pathlib.Path(__file__).resolve().parents[1]

def public_names(module_file: pathlib.Path) -> list[str]:
    "The module's `__all__`, read from its source (importing could fail on the very namespace being regenerated)."
    for node in ast.parse(module_file.read_text()).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
            return list(ast.literal_eval(node.value))
    return []

TITLES = {"ops": ("Pure, jit-able kernels: convolution, pooling, attention.", 90),
          "nn": ("Flax NNX layers, activations, losses, initialisers, optimisers and recurrent cells, in one namespace.", 91),
          "models": ("Architectures, from the perceptron and MLP to LeNet-5, LSTMs and Transformers, in one namespace.", 92)}
for pkg, (summary, num) in TITLES.items():
    subs = sorted(f.stem for f in (root / "walk_with_dl" / pkg).glob("*.py") if not f.stem.startswith("_"))
    owners = collections.defaultdict(list)
    for s in subs:
        for n in public_names(root / "walk_with_dl" / pkg / f"{s}.py"): owners[n].append(s)
    ambiguous = sorted(n for n, o in owners.items() if len(o) > 1)
    lines = []
    for s in subs:
        names = [n for n in public_names(root / "walk_with_dl" / pkg / f"{s}.py") if n not in ambiguous]
        if names:
            body = textwrap.fill(", ".join(names), width=96, initial_indent="    ", subsequent_indent="    ")
            lines.append(f"from walk_with_dl.{pkg}.{s} import (\n{body})")
    imports = "\n".join(lines)
    amb_text = (" Names that two submodules both define (" + ", ".join(f"`{n}` in {' and '.join(f'`{o}`' for o in owners[n])}" for n in ambiguous)
                + ") are left out: import them from their submodule.") if ambiguous else ""
    src = f'''# %% [markdown]
# # walk_with_dl.{pkg}
# > {summary}

# %%
#| default_exp {pkg}.__init__

# %% [markdown]
# Chapters export their code to submodules of `walk_with_dl.{pkg}` ({", ".join(f"`{s}`" for s in subs)});
# this page makes one public namespace of them, so users write `from walk_with_dl.{pkg} import ...`
# without knowing which chapter defined what.{amb_text}

# %%
#| export
{imports}

# %% [markdown]
# Every public name of every submodule is re-exported, except names that two submodules define
# differently, which are left out rather than silently shadowed:

# %%
import importlib, pkgutil
from collections import defaultdict
import walk_with_dl.{pkg} as package
owners = defaultdict(list)
for info in pkgutil.iter_modules(package.__path__):
    if info.name.startswith("_"): continue
    module = importlib.import_module(f"walk_with_dl.{pkg}.{{info.name}}")
    for public in module.__all__: owners[public].append(module)
for public, modules in owners.items():
    if len(modules) == 1:
        assert getattr(package, public, None) is getattr(modules[0], public), f"{{public}} of {{modules[0].__name__}} is not re-exported"
    else:
        assert public not in vars(package), f"{{public}} is defined by several submodules: it must not be re-exported"
print(f"{{sum(len(m) == 1 for m in owners.values())}} names re-exported from {{len({{m[0].__name__ for m in owners.values()}})}} submodules; "
      f"left out as ambiguous: {{sorted(n for n, m in owners.items() if len(m) > 1)}}")
'''
    notebook = jupytext.reads(src, fmt="py:percent")
    notebook.metadata = {"kernelspec": {"display_name": "python3", "language": "python", "name": "python3"}}
    path = root / "nbs" / f"{num}_{pkg}.ipynb"
    if path.exists():   # keep cell ids (smaller diffs); outputs are saved again by tools/run_nb.py
        old = jupytext.read(path)
        if len(old.cells) == len(notebook.cells):
            for new_cell, old_cell in zip(notebook.cells, old.cells): new_cell.id = old_cell.id
    jupytext.write(notebook, path)
    print(pkg, subs, "ambiguous:", ambiguous)
