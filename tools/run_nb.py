"""Execute notebooks in place, saving their outputs (plots, tables) for the docs site.

    python tools/run_nb.py nbs/05_learner.ipynb [more.ipynb ...] [--slow]

Cells flagged `#| slow` are skipped unless --slow. Run `nbdev-clean` afterwards.
"""
import os, sys
from nbdev.test import test_nb

args = [a for a in sys.argv[1:] if not a.startswith("--")]
skip = [] if "--slow" in sys.argv else ["slow"]
failed = False
for nb in [os.path.abspath(a) for a in args]:
    ok, secs = test_nb(nb, skip_flags=skip, save=True)
    print(f"{nb}: {'saved' if ok else 'FAILED (not saved)'} in {secs:.1f}s")
    failed |= not ok
sys.exit(1 if failed else 0)
