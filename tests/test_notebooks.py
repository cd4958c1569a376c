"""Every notebook in `nbs/` is a test: one pytest test per notebook, named after it.

Each notebook runs in a fresh Python process (JAX's global config and device count cannot
leak from one chapter into the next). Cells flagged `#| slow` are skipped unless `--slow`.
"""
import os, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for p in (ROOT / "nbs").glob("*.ipynb") if not p.name.startswith("_"))

RUNNER = """
import sys
from nbdev.test import test_nb
ok, secs = test_nb(sys.argv[1], skip_flags=sys.argv[2].split(',') if sys.argv[2] else [], basepath=sys.argv[3])
print(f"{sys.argv[1]}: {'passed' if ok else 'FAILED'} in {secs:.1f}s")
sys.exit(0 if ok else 1)
"""

@pytest.fixture(scope="session")
def jax_cache(tmp_path_factory):
    "One XLA compilation cache per test session: the same program compiled twice is compiled once."
    return str(tmp_path_factory.mktemp("jax_compilation_cache"))

@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook(notebook, request, jax_cache):
    skip = "" if request.config.getoption("--slow") else "slow"
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0", "JAX_COMPILATION_CACHE_DIR": jax_cache,
           "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0", "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "-1"}
    res = subprocess.run([sys.executable, "-c", RUNNER, str(notebook), skip, str(ROOT)],
                         capture_output=True, text=True, env=env, cwd=notebook.parent)
    assert res.returncode == 0, f"notebook {notebook.name} failed:\n{res.stdout[-4000:]}\n{res.stderr[-8000:]}"
