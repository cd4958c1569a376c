"""Memory and time of the `chunked` attention kernel against the plain `xla` one, on this CPU.

    python bench/attention.py [--lengths 1024 2048 4096 8192 16384] [--heads 4] [--head-dim 64]
                              [--budget-gib 3] [--repeats 3] [--causal] [--json out.json]

For each sequence length, forward+backward of `attention(q, k, v)` (batch 1, `heads` heads of
`head_dim`, float32, gradients for q, k and v) is compiled with each implementation, and XLA's
memory analysis gives its temporary memory *before anything runs*. `xla` is only run when that
is within the budget (default 3 GiB: the machine is shared); `chunked` always runs. Both are timed
in this one process, interleaved (xla, chunked, xla, chunked, ...) after a warm-up call, and the
best of `repeats` is reported with the ratios chunked / xla. Where both run, their gradients are
also checked equal. The script asserts the claims of `nbs/40_attention_ops.ipynb`:
`chunked` runs at every length, including those where `xla` does not fit the budget, and takes at
most 1.5x the time of `xla` where both run.
"""
import argparse, json, time
import numpy as np, jax, jax.numpy as jnp
from walk_with_dl.ops.attention_kernels import attention

def compiled_step(implementation, seq_len, heads, head_dim, is_causal):
    "Compiled forward+backward (gradients of q, k, v) and its temporary memory in bytes."
    x = jax.ShapeDtypeStruct((1, seq_len, heads, head_dim), jnp.float32)
    loss = lambda q, k, v: attention(q, k, v, is_causal=is_causal, implementation=implementation).sum()
    compiled = jax.jit(jax.grad(loss, argnums=(0, 1, 2))).lower(x, x, x).compile()
    return compiled, compiled.memory_analysis().temp_size_in_bytes

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[1024, 2048, 4096, 8192, 16384])
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--head-dim", type=int, default=64)
    parser.add_argument("--budget-gib", type=float, default=3.0, help="run xla only if its temporary memory fits")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--causal", action="store_true")
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args()
    budget = args.budget_gib * 2**30
    print(f"attention forward+backward, batch 1, {args.heads} heads x {args.head_dim}, float32, "
          f"{'causal' if args.causal else 'full'}; xla run only if temp <= {args.budget_gib:g} GiB; "
          f"{jax.device_count()} {jax.default_backend()} device(s)")
    header = f"{'tokens':>7} | {'xla temp':>10} | {'chunked temp':>12} | {'mem ratio':>9} | {'xla ms':>8} | {'chunked ms':>10} | {'time ratio':>10}"
    print(header); print("-" * len(header))
    rows = []
    for n in args.lengths:
        steps = {}
        xla_step, xla_temp = compiled_step("xla", n, args.heads, args.head_dim, args.causal)
        chunked_step, chunked_temp = compiled_step("chunked", n, args.heads, args.head_dim, args.causal)
        if xla_temp <= budget: steps["xla"] = xla_step
        else: del xla_step                       # decided from the memory analysis, before running
        steps["chunked"] = chunked_step
        rng = np.random.default_rng(0)
        q, k, v = (jnp.asarray(rng.standard_normal((1, n, args.heads, args.head_dim), dtype=np.float32)) for _ in range(3))
        grads = {name: jax.block_until_ready(step(q, k, v)) for name, step in steps.items()}   # warm-up
        if "xla" in grads:
            for got, want in zip(grads["chunked"], grads["xla"]):
                err = float(jnp.abs(got - want).max() / jnp.abs(want).max())
                assert err < 1e-4, f"{n} tokens: chunked and xla gradients differ by {err:.1e}"
        best = {name: float("inf") for name in steps}
        for _ in range(args.repeats):
            for name, step in steps.items():
                t0 = time.perf_counter()
                jax.block_until_ready(step(q, k, v))
                best[name] = min(best[name], time.perf_counter() - t0)
        del grads, q, k, v
        row = dict(tokens=n, xla_temp_mib=xla_temp / 2**20, chunked_temp_mib=chunked_temp / 2**20,
                   xla_ms=best["xla"] * 1e3 if "xla" in best else None, chunked_ms=best["chunked"] * 1e3)
        row["time_ratio"] = row["chunked_ms"] / row["xla_ms"] if row["xla_ms"] else None
        rows.append(row)
        xla_ms = f"{row['xla_ms']:8.0f}" if row["xla_ms"] else f"{'skipped':>8}"
        ratio = f"{row['time_ratio']:10.2f}" if row["time_ratio"] else f"{'-':>10}"
        print(f"{n:7d} | {xla_temp / 2**20:7.0f} MiB | {chunked_temp / 2**20:8.1f} MiB | {xla_temp / chunked_temp:8.0f}x"
              f" | {xla_ms} | {row['chunked_ms']:10.0f} | {ratio}", flush=True)
    if args.json:
        with open(args.json, "w") as f: json.dump(rows, f, indent=1)
    both = [r for r in rows if r["time_ratio"]]
    only_chunked = [r["tokens"] for r in rows if not r["time_ratio"]]
    print(f"chunked / xla time where both run: " + ", ".join(f"{r['tokens']}: {r['time_ratio']:.2f}" for r in both))
    print(f"chunked alone (xla over the {args.budget_gib:g} GiB budget): {only_chunked or 'none'}")
    assert all(r["time_ratio"] <= 1.5 for r in both), "chunked is more than 1.5x slower than xla somewhere"

if __name__ == "__main__":
    main()
