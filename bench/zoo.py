"""ResNet-18 training step on the CPU: walk_with_dl.models.resnet18 (JAX, jitted, state donated) against torchvision's.

One step = forward of a batch of 32 images of 64x64x3, cross-entropy against 1,000 classes, backward, SGD with
momentum 0.9 (lr 0.01), batch norm in training mode (running statistics updated), on both sides. Each
contender runs in a fresh process pinned to the same N cores (`os.sched_setaffinity` before JAX or PyTorch
starts: XLA sizes its thread pool from the cores it may use; PyTorch gets `torch.set_num_threads(N)` on top,
and `OMP_WAIT_POLICY=PASSIVE` so that its OpenMP threads do not spin on a shared machine). The processes
take turns, `--repeats` times, so that both see the machine's load; each reports the median step of
`--rounds` timed steps after a warm-up (compilation excluded), and the CPU time per step (all threads).
Contenders: `ours` (NHWC, compiled as the package compiles a step: `walk_with_dl.ops.conv_kernels.cpu_jit`, whose XLA
options give this function's convolutions to oneDNN by default, `default_cpu_convolution_library()`, with `ops.conv`'s
'auto' choosing each layer's kernels for it; `--conv-library` picks another), `torch` (NCHW) and `torch-cl`
(channels-last memory format). The step's numbers are checked equal to PyTorch's in
nbs/26_residual_cnns.ipynb (one SGD step, same weights).

The goal (issue 16) is ours at least as fast as the faster PyTorch layout: the ratio is PyTorch's time / ours
(> 1: ours is faster), at 1 thread and at all cores by default (`--threads 1 2`). The script prints GOAL MET / GOAL
MISSED per thread count and exits 1 when the goal is missed at any of them.

    python bench/zoo.py                          # 1 thread, then all cores: 2 repeats of 10 timed steps each
    python bench/zoo.py --threads 1 --rounds 20 --json out.json
    python bench/zoo.py --parts --threads 1      # each distinct convolution of the step, part by part (no goal)

`--parts` times, in one process pinned to `--threads` cores, the forward, input gradient and weight gradient of each
distinct convolution of ResNet-18 at this size: `ops.conv` with `implementation='fast'` and `'xla'`, and PyTorch's
channels-last kernels (`convolution_backward`), CPU milliseconds per call (median of `--rounds`).
"""
import argparse, json, os, statistics, subprocess, sys, time


def worker(name: str, args) -> dict:
    import numpy as np
    rng = np.random.default_rng(0)
    x = rng.standard_normal((args.batch, args.size, args.size, 3)).astype(np.float32)
    y = rng.integers(0, 1000, args.batch).astype(np.int32)
    if name == "ours":
        import jax, jax.numpy as jnp, optax
        from walk_with_dl.ops.conv_kernels import cpu_jit
        from flax import nnx
        from walk_with_dl.models.residual_cnns import resnet18
        model = resnet18(rngs=nnx.Rngs(0))
        model.train()
        graphdef, params, rest = nnx.split(model, nnx.Param, ...)
        pdef, rdef = jax.tree.structure(params), jax.tree.structure(rest)
        params, rest = nnx.to_pure_dict(params), nnx.to_pure_dict(rest)
        tx = optax.sgd(0.01, momentum=0.9)
        state = (params, rest, tx.init(params))

        def step(state, x, y):
            params, rest, opt = state
            def loss_fn(params, rest):
                m = nnx.merge(graphdef, jax.tree.unflatten(pdef, jax.tree.leaves(params)), jax.tree.unflatten(rdef, jax.tree.leaves(rest)))
                logits = m(x)
                loss = optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()
                return loss, nnx.to_pure_dict(nnx.state(m, nnx.Not(nnx.Param)))
            (loss, rest), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, rest)
            updates, opt = tx.update(grads, opt, params)
            return (optax.apply_updates(params, updates), rest, opt), loss

        # the package's compiled step: XLA options choosing the convolution library for this function (oneDNN
        # unless --conv-library says), `ops.conv`'s 'auto' choosing each layer's kernels for it
        compiled = cpu_jit(step, library=args.conv_library, donate_argnums=0)
        xd, yd = jnp.asarray(x), jnp.asarray(y)
        holder = [state]
        def run():
            holder[0], loss = compiled(holder[0], xd, yd)
            return float(loss)
    else:
        import torch, torchvision
        torch.set_num_threads(args.threads)
        torch.manual_seed(0)
        fmt = torch.channels_last if name == "torch-cl" else torch.contiguous_format
        model = torchvision.models.resnet18().train().to(memory_format=fmt)
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        xt = torch.from_numpy(x.transpose(0, 3, 1, 2).copy()).contiguous(memory_format=fmt)
        yt = torch.from_numpy(y.astype(np.int64))
        def run():
            loss = torch.nn.functional.cross_entropy(model(xt), yt)
            opt.zero_grad(set_to_none=True); loss.backward(); opt.step()
            return float(loss)
    start = time.perf_counter()
    first = run()                                   # compiles (ours)
    warm = time.perf_counter() - start
    for _ in range(2): run()
    wall, cpu = [], []
    for _ in range(args.rounds):
        c, t = time.process_time(), time.perf_counter()
        run()
        wall.append(time.perf_counter() - t); cpu.append(time.process_time() - c)
    assert np.isfinite(first), f"{name}: the loss is not finite"
    return dict(library=getattr(compiled, 'library', None) if name == 'ours' else None, wall_ms=statistics.median(wall) * 1e3, min_ms=min(wall) * 1e3, cpu_ms=statistics.median(cpu) * 1e3,
                first_call_s=warm, load=os.getloadavg()[0])


def parts(args):
    "CPU ms of forward / input gradient / weight gradient for each distinct convolution of ResNet-18: fast, xla, torch."
    import numpy as np, jax, jax.numpy as jnp, torch
    from walk_with_dl.ops.conv_kernels import conv
    torch.set_num_threads(args.threads)
    def cpu_ms(f):
        f(); times = []
        for _ in range(args.rounds):
            c = time.process_time(); f(); times.append(time.process_time() - c)
        return statistics.median(times) * 1e3
    rng, B, S = np.random.default_rng(0), args.batch, args.size
    layers = [(S, 3, 64, 7, 2)]                                   # (input side, in, out, window, stride)
    side, cin = S // 4, 64
    for i, cout in enumerate((64, 128, 256, 512)):
        if i: layers += [(side, cin, cout, 3, 2), (side, cin, cout, 1, 2)]; side = -(-side // 2)
        layers.append((side, cout, cout, 3, 1)); cin = cout
    print(f"ResNet-18's convolutions, batch {B}, {args.threads} thread(s), CPU ms per call: forward / input gradient / weight gradient")
    for side, cin, cout, k, s in layers:
        x = jnp.asarray(rng.standard_normal((B, side, side, cin)).astype(np.float32))
        w = jnp.asarray(rng.standard_normal((k, k, cin, cout)).astype(np.float32) / np.sqrt(k * k * cin))
        p, row = (k - 1) // 2, []
        for impl in ("fast", "xla"):
            f = lambda x, w: conv(x, w, s, p, implementation=impl)
            g = jnp.ones(jax.eval_shape(f, x, w).shape, jnp.float32)
            fns = [jax.jit(f), jax.jit(lambda x, w, g: jax.vjp(lambda x: f(x, w), x)[1](g)[0]),
                   jax.jit(lambda x, w, g: jax.vjp(lambda w: f(x, w), w)[1](g)[0])]
            row += [cpu_ms(lambda: jax.block_until_ready(fns[0](x, w)))] + [cpu_ms(lambda fn=fn: jax.block_until_ready(fn(x, w, g))) for fn in fns[1:]]
        tx = torch.from_numpy(np.moveaxis(np.asarray(x), -1, 1).copy()).contiguous(memory_format=torch.channels_last)
        tw = torch.from_numpy(np.moveaxis(np.asarray(w), (-1, -2), (0, 1)).copy())
        tg = torch.from_numpy(np.moveaxis(np.asarray(g), -1, 1).copy()).contiguous(memory_format=torch.channels_last)
        back = lambda mask: torch.ops.aten.convolution_backward(tg, tx, tw, None, [s, s], [p, p], [1, 1], False, [0, 0], 1, mask)
        row += [cpu_ms(lambda: torch.nn.functional.conv2d(tx, tw, stride=s, padding=p)),
                cpu_ms(lambda: back([True, False, False])), cpu_ms(lambda: back([False, True, False]))]
        print(f"  {k}x{k} s{s} {cin:3d}->{cout:3d} on {side:2d}x{side:<2d} | fast {row[0]:7.1f} {row[1]:7.1f} {row[2]:7.1f}"
              f" | xla {row[3]:7.1f} {row[4]:7.1f} {row[5]:7.1f} | torch {row[6]:6.1f} {row[7]:6.1f} {row[8]:6.1f}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--threads", type=int, nargs="+", default=None,
                        help="cores for every contender, one measurement per value (default: 1 and all this process may use)")
    parser.add_argument("--rounds", type=int, default=10, help="timed steps per process (after warm-up)")
    parser.add_argument("--repeats", type=int, default=2, help="processes per contender, taking turns")
    parser.add_argument("--contenders", nargs="+", default=["ours", "torch", "torch-cl"])
    parser.add_argument("--conv-library", choices=["ynnpack", "onednn", "eigen"], default=None,
                        help="the library XLA:CPU runs our convolutions with (default: the package's, "
                             "`default_cpu_convolution_library()`: oneDNN)")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--parts", action="store_true", help="time each convolution part by part instead (no goal)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    available = sorted(os.sched_getaffinity(0))
    thread_counts = list(dict.fromkeys(args.threads or [1, len(available)]))
    args.threads = thread_counts[-1]                    # --parts and --worker: one count (the last given)
    if args.parts:
        os.sched_setaffinity(0, available[:args.threads])
        return parts(args)
    if args.worker:
        os.sched_setaffinity(0, available[:args.threads])
        print("RESULT " + json.dumps(worker(args.worker, args)), flush=True)
        return
    env = dict(os.environ, OMP_WAIT_POLICY=os.environ.get("OMP_WAIT_POLICY", "PASSIVE"))
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    results, ok = {}, True
    for threads in thread_counts:
        summary = measure(args, threads, env)
        results[threads] = summary
        ok = ok and summary.get("ratio", {}).get("median", 1.0) >= 1.0
    if len(thread_counts) > 1:
        print("\n  " + "; ".join(f"{t} thread(s): {r['ratio']['median']:.2f}x" for t, r in results.items() if "ratio" in r)
              + f" -> {'GOAL MET' if ok else 'GOAL MISSED'} (>= 1.0 at every thread count)")
    if args.json:
        with open(args.json, "w") as f: json.dump(dict(args=vars(args), results=results), f, indent=1)
    sys.exit(0 if ok else 1)


def measure(args, threads, env) -> dict:
    "Interleaved fresh processes of every contender on `threads` cores; the summary and, with `ours`, its ratio."
    runs = {name: [] for name in args.contenders}
    for repeat in range(args.repeats):
        for name in args.contenders:
            cmd = [sys.executable, __file__, "--worker", name, "--threads", str(threads), "--batch", str(args.batch),
                   "--size", str(args.size), "--rounds", str(args.rounds)]
            if args.conv_library: cmd += ["--conv-library", args.conv_library]
            out = subprocess.run(cmd, env=env, capture_output=True, text=True)
            line = next((l for l in out.stdout.splitlines() if l.startswith("RESULT ")), None)
            if line is None: sys.exit(f"{name} failed:\n{out.stdout}\n{out.stderr}")
            runs[name].append(json.loads(line[7:]))
            r = runs[name][-1]
            lib = f" [{r['library']}]" if r.get("library") else ""
            print(f"  {threads} thread(s) {name:9s} repeat {repeat}{lib}: {r['wall_ms']:8.1f} ms/step (min {r['min_ms']:.1f}, "
                  f"CPU {r['cpu_ms']:.1f} ms, first call {r['first_call_s']:.1f} s, load {r['load']:.1f})", flush=True)
    summary = {name: dict(wall_ms=statistics.median(r["wall_ms"] for r in rs), min_ms=min(r["min_ms"] for r in rs),
                          cpu_ms=statistics.median(r["cpu_ms"] for r in rs), runs=rs) for name, rs in runs.items()}
    print(f"\nResNet-18 training step, batch {args.batch}, {args.size}x{args.size}, SGD momentum, {threads} thread(s); "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"  {'':9s} {'ms/step':>9s} {'min ms':>8s} {'CPU ms':>8s} {'samples/s':>10s}")
    for name, s in summary.items():
        print(f"  {name:9s} {s['wall_ms']:9.1f} {s['min_ms']:8.1f} {s['cpu_ms']:8.1f} {args.batch / s['wall_ms'] * 1e3:10.1f}")
    if "ours" in summary and len(summary) > 1:
        best = min((n for n in summary if n != "ours"), key=lambda n: summary[n]["wall_ms"])
        ratio = summary[best]["wall_ms"] / summary["ours"]["wall_ms"]
        ratio_min = summary[best]["min_ms"] / summary["ours"]["min_ms"]
        print(f"\n  {threads} thread(s): ratio {best} / ours: {ratio:.2f}x median, {ratio_min:.2f}x min (goal >= 1.0): "
              f"{'GOAL MET' if ratio >= 1.0 else 'GOAL MISSED'}", flush=True)
        summary["ratio"] = dict(reference=best, median=ratio, min=ratio_min)
    return summary


if __name__ == "__main__":
    main()
