"""One LSTM layer's gradient (batch 32, time 64, input 64, hidden 256) under each approach tried for issue #25.

Each variant runs in a fresh process pinned to one core (XLA_FLAGS take effect only when XLA
starts) and reports the median CPU time of `jax.value_and_grad` of a mean-squared loss over 15
calls, and, for the `lax.scan` path, how many thunks the scan bodies compile to and whether
XLA:CPU runs them as a plain sequential loop (its limit is 8 thunks), read from XLA's log
(`TF_CPP_VMODULE=thunk_executor=2`: one line per executor, the whole programs and the loop bodies).
Variants: the scan path (unroll 1, 2, 4; XLA's multi-output fusion; YNNPACK taking each dot)
and the fused kernel (`jax.ffi`). Exit status 1 when the fused kernel is not built or is not
the fastest.

    python bench/rnn_variants.py [ROUNDS]    # the list run ROUNDS times (default 2), interleaved; best of the rounds
"""
import os, re, subprocess, sys

VARIANTS = [  # name, backend, unroll, XLA_FLAGS, compiler options
    ("lax.scan (default)", "jax", 1, "", {}),
    ("lax.scan, unroll 2", "jax", 2, "", {}),
    ("lax.scan, unroll 4", "jax", 4, "", {}),
    ("lax.scan, multi-output fusion", "jax", 1, "--xla_backend_extra_options=xla_cpu_use_multi_output_fusion", {}),
    ("lax.scan, YNNPACK per dot", "jax", 1, "", {"xla_cpu_experimental_ynn_fusion_type": "LIBRARY_FUSION_TYPE_INDIVIDUAL_DOT"}),
    ("fused kernel (jax.ffi)", "ffi", 1, "", {}),
]

CHILD = r"""
import os, sys, time, json
os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:1])
import numpy as np, jax, jax.numpy as jnp
from walk_with_dl.nn.recurrent import recurrent_layer
backend, unroll, options = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
rng = np.random.default_rng(0)
T, B, F, H = 64, 32, 64, 256
x = jnp.asarray(rng.normal(size=(T, B, F)), jnp.float32)
w = [jnp.asarray(rng.uniform(-.06, .06, s), jnp.float32) for s in [(4 * H, F), (4 * H, H), (4 * H,), (4 * H,)]]
def loss(w, x): return jnp.mean(recurrent_layer("lstm", x, *w, backend=backend, unroll=unroll)[0] ** 2)
f = jax.jit(jax.value_and_grad(loss), compiler_options=options)
jax.block_until_ready(f(w, x)); cpu = []
for _ in range(15):
    start = time.process_time(); jax.block_until_ready(f(w, x)); cpu.append(time.process_time() - start)
print(f"CPU_MS {sorted(cpu)[7] * 1e3:.1f}", flush=True)
"""


def main():
    import json
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    print(f"one LSTM layer, value_and_grad, 1 core; load average {os.getloadavg()[0]:.1f}")
    results = {}
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    for name, backend, unroll, flags, options in [v for _ in range(rounds) for v in VARIANTS]:   # rounds interleaved
        env = {**os.environ, "XLA_FLAGS": (os.environ.get("XLA_FLAGS", "") + " " + flags).strip(),
               "TF_CPP_MIN_LOG_LEVEL": "0", "TF_CPP_VMODULE": "thunk_executor=2",
               "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
        run = subprocess.run([sys.executable, "-c", CHILD, backend, str(unroll), json.dumps(options)],
                             capture_output=True, text=True, env=env)
        cpu = re.search(r"CPU_MS ([\d.]+)", run.stdout)
        if run.returncode or not cpu:
            print(f"  {name:32s} failed: {run.stderr[-500:]}"); continue
        # thunk executors XLA built (the programs and their loop bodies; one-thunk ones left out): size, sequential?
        executors = [(int(n), s) for n, s in re.findall(r"ThunkExecutor with (\d+) thunks.*?is_sequential=(\w+)", run.stderr)]
        listed = ", ".join(f"{n}{'' if s == 'true' else '*'}" for n, s in executors if n > 1)
        results[name] = min(results.get(name, float("inf")), float(cpu.group(1)))
        print(f"  {name:32s} {float(cpu.group(1)):7.1f} ms CPU; executors (thunks; * = not sequential): {listed}")
    fastest = min(results, key=results.get) if results else None
    print("best of the rounds: " + ", ".join(f"{name} {ms:.1f} ms" for name, ms in results.items()))
    print(f"fastest: {fastest}")
    sys.exit(0 if fastest == "fused kernel (jax.ffi)" else 1)


if __name__ == "__main__":
    main()
