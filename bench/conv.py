"""Convolution kernels and CNN training steps on the CPU: our fast path vs plain XLA vs PyTorch, side by side.

    python bench/conv.py                  # everything (about 3 minutes on 2 busy cores)
    python bench/conv.py --rounds 31 --only steps --json out.json
    python bench/conv.py --only steps --models lenet --devices 1    # one model, no data-parallel step

In one process, with the same number of threads for JAX and PyTorch (`torch.set_num_threads` =
the cores JAX uses), each contender is called once per round, round after round (interleaved, so
that all see the same machine load), after a warm-up; the median over rounds is reported, with the
median CPU time of the process (all threads) beside it: on a shared machine the wall-clock time
blurs, the CPU time shows the work done. Contenders:

- `fast`: `walk_with_dl.ops.conv_kernels` with `implementation='fast'` (XLA's forward; the weight gradient
  by cache-blocked matmuls; blocked forward / input gradient for narrow 5x5 layers; slice-based pooling);
- `xla`: the same functions with `implementation='xla'` (plain `lax.conv_general_dilated` and
  `lax.reduce_window`, with the gradients JAX derives);
- `fast-2dev` (with N CPU devices, `--devices N`, by default one per core): the fast step with the batch
  split over N CPU devices by `jax.shard_map` (parameters replicated, gradients summed over the devices),
  in the same process: `jax.config.update("jax_num_cpu_devices", N)` is set before JAX's first operation,
  and the single-device contenders run on device 0 as before. XLA:CPU runs each convolution on one thread;
  this is the way to give a step both cores. (Measured here, jax 0.10.2: steps dispatched one after the
  other without waiting for the previous one can deadlock in the devices' all-reduce; every timed call
  here waits for its result.)
- `torch`: PyTorch on the CPU in its default layout (channels first, NCHW), and `torch-cl` in
  channels-last memory format, its faster layout for convolutions here. PyTorch's OpenMP threads
  spin while they wait, which makes it many times slower when the cores are shared with other
  processes; unless `--omp-active` is given, `OMP_WAIT_POLICY=PASSIVE` is set before PyTorch starts
  (measured: LeNet-5's step 618 ms -> 29 ms on this busy machine).

With `--conv-library onednn` (or `eigen`), XLA runs its convolutions (in `xla`, and XLA's parts of `fast`)
with oneDNN's (or Eigen's) multi-threaded kernels instead of YNNPACK's, which in jax 0.10.2 run on one
thread: `walk_with_dl.ops.conv_kernels.set_cpu_convolution_library` before JAX starts. A fourth
contender, `auto`, then joins: what `implementation='auto'` picks with that library (XLA's convolutions,
the fast pooling), and the data-parallel step uses it. The library is fixed for the process: compare
libraries by running the bench once per library (each run has PyTorch beside it).

Parts measured:
1. the forward, input gradient and weight gradient of one convolution: 3x3, 32 -> 64 channels on
   128 images of 28x28 ('SAME'), the first layer (1 -> 32) of the same network, and LeNet-5's second
   layer (5x5, 6 -> 16, 'VALID' on 14x14);
2. ReLU + 2x2 max-pooling on 128 x 28 x 28 x 64, forward and backward;
3. whole training steps (forward, cross-entropy, backward, Adam) with batch 128:
   - a 2-conv CNN, the network whose training step first showed XLA:CPU 2.2x slower than PyTorch here
     (~620 against ~1,350 samples/s): conv 32 3x3 'SAME' -> ReLU -> conv 64 3x3 'SAME' -> ReLU ->
     2x2 max-pool -> dense 128 -> ReLU -> dense 10, on 28x28x1 (1,625,866 parameters);
   - LeNet-5, modern: conv 6 5x5 -> ReLU -> pool -> conv 16 5x5 -> ReLU -> pool -> 120 -> 84 -> 10
     on 32x32x1 (61,706 parameters), and the same network as the library's `nnx` model
     `walk_with_dl.models.lenet.LeNet5` if it is installed (`lenet-nnx`: layers, split/merge, the
     whole training-loop pattern of the Learner).
   Every step runs under `jax.jit` with the training state donated, the PyTorch steps as a plain loop.

Checks (asserted): every contender computes the same numbers (forward and gradients against
XLA, PyTorch against XLA); the fast training steps give the same gradients as the XLA step (to 1e-4
relative; the data-parallel step sums in another order) and, after 5 Adam steps from the same start, the
same parameters (to 1e-4; the data-parallel step to 5e-4, half a step of Adam's learning rate: Adam turns a
rounding difference on a gradient entry near zero into a difference of up to one step); the fast step is faster than the XLA
step (the faster of `fast` and `auto`). The goal (issues 5 and 25): what a user gets with the default settings (`implementation=None`
in this process: `fast` with YNNPACK, `auto` with another library) has at least the best PyTorch layout's throughput on one device,
for each model timed; GOAL MET / GOAL MISSED is printed with the ratio, and the script exits 1 when a goal is missed (on a shared
machine a single run can miss it by noise: repeat it).
"""
import argparse, json, os, statistics, sys, time

def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=15, help="timed rounds (each contender once per round)")
    parser.add_argument("--only", choices=["parts", "pool", "steps"], nargs="+", default=["parts", "pool", "steps"])
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--models", choices=["cnn2", "lenet"], nargs="+", default=["cnn2", "lenet"], help="training steps to time")
    parser.add_argument("--omp-active", action="store_true", help="leave OMP_WAIT_POLICY alone (PyTorch spins)")
    parser.add_argument("--conv-library", choices=["ynnpack", "onednn", "eigen"], default=None,
                        help="the library XLA:CPU runs convolutions with (default: the package's default for this process)")
    parser.add_argument("--devices", type=int, default=None,
                        help="CPU devices for the data-parallel step `fast-Ndev` (default: one per core; 1 turns it off)")
    parser.add_argument("--json", help="also write the results to this file")
    return parser.parse_args()

ARGS = parse_args()
if not ARGS.omp_active: os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")   # before PyTorch loads OpenMP
from walk_with_dl.ops.conv_kernels import set_cpu_convolution_library, get_cpu_convolution_library
if ARGS.conv_library: set_cpu_convolution_library(ARGS.conv_library)      # before JAX starts
LIBRARY = get_cpu_convolution_library()

import numpy as np
import jax, jax.numpy as jnp, optax
from jax.sharding import Mesh, NamedSharding, PartitionSpec
import torch, torch.nn as tnn, torch.nn.functional as F
from walk_with_dl.ops.conv_kernels import conv, max_pool

THREADS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
DEVICES = ARGS.devices or THREADS
jax.config.update("jax_num_cpu_devices", DEVICES)     # before JAX's first operation; single-device code runs on device 0
torch.set_num_threads(THREADS)
RESULTS = {}
# single-device contenders; with a multi-threaded convolution library 'auto' (XLA's convolutions, fast pooling) joins
IMPLEMENTATIONS = ("fast", "xla") if LIBRARY == "ynnpack" else ("fast", "auto", "xla")     # 'xla' last
DEFAULT = "fast" if LIBRARY == "ynnpack" else "auto"        # what implementation=None is on this CPU with this library
GOALS = {}
PARALLEL_IMPLS = IMPLEMENTATIONS[:-1]      # the data-parallel step with each of them

def interleaved(contenders: dict, rounds: int, warmup: int = 2) -> dict:
    "Median wall and CPU milliseconds per call of each zero-argument callable, timed round-robin."
    for _ in range(warmup):
        for run in contenders.values(): jax.block_until_ready(run())
    wall = {name: [] for name in contenders}; cpu = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, run in contenders.items():
            c, t = time.process_time(), time.perf_counter()
            jax.block_until_ready(run())
            wall[name].append(time.perf_counter() - t); cpu[name].append(time.process_time() - c)
    return {name: dict(wall_ms=statistics.median(wall[name]) * 1e3, cpu_ms=statistics.median(cpu[name]) * 1e3,
                       wall_spread_ms=(np.percentile(wall[name], 25) * 1e3, np.percentile(wall[name], 75) * 1e3))
            for name in contenders}

def report(title: str, timings: dict, reference: str = "fast"):
    "Print one table: median wall ms (interquartile range), CPU ms, and each contender's time / the reference's."
    print(f"\n{title}")
    print(f"  {'':10s} {'wall ms':>9s} {'(IQR)':>15s} {'CPU ms':>8s}   {'time / ' + reference:>12s}")
    for name, t in timings.items():
        lo, hi = t["wall_spread_ms"]
        print(f"  {name:10s} {t['wall_ms']:9.1f} {f'({lo:.1f}-{hi:.1f})':>15s} {t['cpu_ms']:8.1f}   "
              f"{t['wall_ms'] / timings[reference]['wall_ms']:12.2f}")
    RESULTS[title] = timings

def to_nchw(a): return torch.tensor(np.moveaxis(np.asarray(a), -1, 1).copy())
def kernel_to_torch(k): return torch.tensor(np.moveaxis(np.asarray(k), (-1, -2), (0, 1)).copy())
def close(a, b, rel=1e-4): return float(np.abs(np.asarray(a) - np.asarray(b)).max()) <= rel * max(1.0, float(np.abs(np.asarray(b)).max()))

# ---------------------------------------------------------------- 1. one convolution, part by part
def bench_parts():
    cases = {"3x3 32->64, 28x28": ((28, 28), 32, 64, 3, "SAME"),
             "first layer 3x3 1->32, 28x28": ((28, 28), 1, 32, 3, "SAME"),
             "LeNet C3 5x5 6->16, 14x14": ((14, 14), 6, 16, 5, "VALID")}
    rng = np.random.default_rng(0)
    for title, (spatial, cin, cout, k, padding) in cases.items():
        x = rng.standard_normal((ARGS.batch, *spatial, cin)).astype(np.float32)
        w = (rng.standard_normal((k, k, cin, cout)) / np.sqrt(k * k * cin)).astype(np.float32)
        y_shape = jax.eval_shape(lambda: conv(x, w, padding=padding)).shape
        g = rng.standard_normal(y_shape).astype(np.float32)
        x, w, g = map(jnp.asarray, (x, w, g))
        jax_fns = {}
        for impl in ("fast", "xla"):
            f = lambda x, w, impl=impl: conv(x, w, padding=padding, implementation=impl)
            jax_fns[impl] = dict(forward=jax.jit(f),
                                 input_gradient=jax.jit(lambda x, w, g, f=f: jax.vjp(lambda x: f(x, w), x)[1](g)[0]),
                                 weight_gradient=jax.jit(lambda x, w, g, f=f: jax.vjp(lambda w: f(x, w), w)[1](g)[0]))
        pad = (k // 2) if padding == "SAME" else 0
        torch_inputs = {}
        for name, fmt in (("torch", torch.contiguous_format), ("torch-cl", torch.channels_last)):
            torch_inputs[name] = [t.contiguous(memory_format=fmt) for t in (to_nchw(x), kernel_to_torch(w), to_nchw(g))]
        def torch_part(name, part):
            tx, tw, tg = torch_inputs[name]
            if part == "forward":
                return lambda: F.conv2d(tx, tw, padding=pad)
            mask = [part == "input_gradient", part == "weight_gradient", False]
            return lambda: torch.ops.aten.convolution_backward(tg, tx, tw, None, [1, 1], [pad, pad], [1, 1], False,
                                                               [0, 0], 1, mask)[0 if mask[0] else 1]
        for part in ("forward", "input_gradient", "weight_gradient"):
            args = (x, w) if part == "forward" else (x, w, g)
            contenders = {impl: (lambda fn=jax_fns[impl][part]: fn(*args)) for impl in ("fast", "xla")}
            contenders.update({name: torch_part(name, part) for name in ("torch", "torch-cl")})
            want = np.asarray(contenders["xla"]())
            assert close(contenders["fast"](), want), f"{title} {part}: fast differs from xla"
            got_torch = contenders["torch"]().detach().numpy()
            got_torch = np.moveaxis(got_torch, (0, 1), (-1, -2)) if part == "weight_gradient" else np.moveaxis(got_torch, 1, -1)
            assert close(got_torch, want), f"{title} {part}: torch differs from xla"
            report(f"{title}, batch {ARGS.batch}: {part.replace('_', ' ')}", interleaved(contenders, ARGS.rounds))

# ---------------------------------------------------------------- 2. ReLU + max-pool
def bench_pool():
    rng = np.random.default_rng(1)
    x = jnp.asarray(rng.standard_normal((ARGS.batch, 28, 28, 64)).astype(np.float32))
    b = jnp.asarray(rng.standard_normal(64).astype(np.float32))
    g = jnp.asarray(rng.standard_normal((ARGS.batch, 14, 14, 64)).astype(np.float32))
    contenders, results = {}, {}
    for impl in ("fast", "xla"):
        step = jax.jit(lambda x, b, g, impl=impl: jax.vjp(lambda x: max_pool(jax.nn.relu(x + b), 2, implementation=impl), x)[1](g)[0])
        results[impl] = np.asarray(step(x, b, g))
        contenders[impl] = lambda step=step: step(x, b, g)
    assert close(results["fast"], results["xla"], 1e-6)
    for name, fmt in (("torch", torch.contiguous_format), ("torch-cl", torch.channels_last)):
        tx = to_nchw(x).contiguous(memory_format=fmt).requires_grad_(); tb = torch.tensor(np.asarray(b))[:, None, None]
        tg = to_nchw(g).contiguous(memory_format=fmt)
        def run(tx=tx, tb=tb, tg=tg):
            tx.grad = None
            F.max_pool2d(F.relu(tx + tb), 2).backward(tg)
            return tx.grad
        assert close(np.moveaxis(run().numpy(), 1, -1), results["xla"], 1e-6)
        contenders[name] = run
    report(f"ReLU + 2x2 max-pool, {ARGS.batch}x28x28x64, forward + backward", interleaved(contenders, ARGS.rounds))

# ---------------------------------------------------------------- 3. training steps
def cnn2(p, x, impl):
    x = jax.nn.relu(conv(x, p["w1"], implementation=impl) + p["b1"])
    x = jax.nn.relu(conv(x, p["w2"], implementation=impl) + p["b2"])
    x = max_pool(x, 2, implementation=impl).reshape(x.shape[0], -1)
    x = jax.nn.relu(x @ p["w3"] + p["b3"])
    return x @ p["w4"] + p["b4"]

def lenet(p, x, impl):
    x = max_pool(jax.nn.relu(conv(x, p["w1"], padding="VALID", implementation=impl) + p["b1"]), 2, implementation=impl)
    x = max_pool(jax.nn.relu(conv(x, p["w2"], padding="VALID", implementation=impl) + p["b2"]), 2, implementation=impl)
    x = x.reshape(x.shape[0], -1)
    x = jax.nn.relu(x @ p["w3"] + p["b3"]); x = jax.nn.relu(x @ p["w4"] + p["b4"])
    return x @ p["w5"] + p["b5"]

def torch_model(kind):
    if kind == "cnn2":
        return tnn.Sequential(tnn.Conv2d(1, 32, 3, padding=1), tnn.ReLU(), tnn.Conv2d(32, 64, 3, padding=1), tnn.ReLU(),
                              tnn.MaxPool2d(2), tnn.Flatten(), tnn.Linear(14 * 14 * 64, 128), tnn.ReLU(), tnn.Linear(128, 10))
    return tnn.Sequential(tnn.Conv2d(1, 6, 5), tnn.ReLU(), tnn.MaxPool2d(2), tnn.Conv2d(6, 16, 5), tnn.ReLU(), tnn.MaxPool2d(2),
                          tnn.Flatten(), tnn.Linear(400, 120), tnn.ReLU(), tnn.Linear(120, 84), tnn.ReLU(), tnn.Linear(84, 10))

def params_from_torch(net, kind):
    "The PyTorch model's initial weights in our layouts (the JAX models start from the same point)."
    layers = [m for m in net if isinstance(m, (tnn.Conv2d, tnn.Linear))]
    p = {}
    for i, m in enumerate(layers, 1):
        w = m.weight.detach().numpy()
        if isinstance(m, tnn.Conv2d): w = np.moveaxis(w, (0, 1), (-1, -2))
        else:
            w = w.T
            if i == len([l for l in layers if isinstance(l, tnn.Conv2d)]) + 1:       # first dense: NCHW -> NHWC flatten order
                c = layers[i - 2].out_channels; side = int(round((w.shape[0] / c) ** 0.5))
                w = w.reshape(c, side, side, -1).transpose(1, 2, 0, 3).reshape(w.shape[0], -1)
        p[f"w{i}"], p[f"b{i}"] = jnp.asarray(w), jnp.asarray(m.bias.detach().numpy())
    return p

def bench_steps():
    optimizer = optax.adam(1e-3)
    rng = np.random.default_rng(2)
    for kind, model, side in [c for c in (("cnn2", cnn2, 28), ("lenet", lenet, 32)) if c[0] in ARGS.models]:
        torch.manual_seed(0)
        nets = {"torch": torch_model(kind), "torch-cl": torch_model(kind)}
        nets["torch-cl"].load_state_dict(nets["torch"].state_dict())
        p0 = params_from_torch(nets["torch"], kind)
        n_params = sum(int(np.prod(v.shape)) for v in p0.values())
        batches = [(rng.standard_normal((ARGS.batch, side, side, 1)).astype(np.float32), rng.integers(0, 10, ARGS.batch)) for _ in range(5)]
        x, y = jnp.asarray(batches[0][0]), jnp.asarray(batches[0][1])

        def loss_fn(p, x, y, impl): return optax.softmax_cross_entropy_with_integer_labels(model(p, x, impl), y).mean()
        steps, grads, trained = {}, {}, {}
        for impl in IMPLEMENTATIONS:
            def step(state, x, y, impl=impl):
                p, opt_state = state
                loss, g = jax.value_and_grad(loss_fn)(p, x, y, impl)
                updates, opt_state = optimizer.update(g, opt_state, p)
                return (optax.apply_updates(p, updates), opt_state), loss
            steps[impl] = jax.jit(step, donate_argnums=0)
            grads[impl] = jax.jit(jax.grad(loss_fn), static_argnums=3)(p0, x, y, impl)
            state = (jax.tree.map(jnp.copy, p0), optimizer.init(p0))
            for bx, by in batches: state, _ = steps[impl](state, jnp.asarray(bx), jnp.asarray(by))
            trained[impl] = state[0]
        parallels = [f"{impl}-{DEVICES}dev" for impl in PARALLEL_IMPLS] if DEVICES > 1 else []
        if DEVICES > 1:                               # the same step, the batch split over the CPU devices (jax.shard_map)
            mesh = Mesh(np.array(jax.devices()[:DEVICES]), ("data",))
            batch_split, replicated = NamedSharding(mesh, PartitionSpec("data")), NamedSharding(mesh, PartitionSpec())
        for impl, parallel in zip(PARALLEL_IMPLS, parallels):
            def shard_grads(p, x, y, impl=impl):
                # parameters come in replicated: JAX sums their per-device gradients over the devices (the
                # transpose of the implicit cast to "varying"); each device's loss is a mean over its share
                loss, g = jax.value_and_grad(loss_fn)(p, x, y, impl)
                return jax.lax.pmean(loss, "data"), jax.tree.map(lambda a: a / DEVICES, g)
            shard_grads = jax.shard_map(shard_grads, mesh=mesh, in_specs=(PartitionSpec(), PartitionSpec("data"), PartitionSpec("data")),
                                        out_specs=(PartitionSpec(), PartitionSpec()))
            def parallel_step(state, x, y, shard_grads=shard_grads):
                p, opt_state = state
                loss, g = shard_grads(p, x, y)
                updates, opt_state = optimizer.update(g, opt_state, p)
                return (optax.apply_updates(p, updates), opt_state), loss
            steps[parallel] = jax.jit(parallel_step, donate_argnums=0)
            grads[parallel] = jax.jit(lambda p, x, y, shard_grads=shard_grads: shard_grads(p, x, y)[1])(
                jax.device_put(p0, replicated), jax.device_put(x, batch_split), jax.device_put(y, batch_split))
            state = jax.device_put((jax.tree.map(jnp.copy, p0), optimizer.init(p0)), replicated)
            for bx, by in batches: state, _ = steps[parallel](state, jax.device_put(bx, batch_split), jax.device_put(by, batch_split))
            trained[parallel] = state[0]
        for name in p0:                               # the fast steps compute what the XLA step computes
            for impl in [i for i in grads if i != "xla"]:
                # the data-parallel step sums the devices' gradients in another order: equal to float rounding
                # (measured: 3e-9 on gradients of 9e-3). Adam divides by sqrt(v): on a gradient entry near 0 that
                # rounding can flip a step of size ~lr, so its parameters are compared within half a step (lr 1e-3)
                assert close(grads[impl][name], grads["xla"][name], 1e-4), f"{kind}: gradient of {name} differs ({impl})"
                assert close(trained[impl][name], trained["xla"][name], 1e-4 if impl == "fast" else 5e-4), (f"{kind}: {name} after 5 Adam steps differs ({impl}): "
                    f"{float(np.abs(np.asarray(trained[impl][name]) - np.asarray(trained['xla'][name])).max()):.2e}, gradients "
                    f"{float(np.abs(np.asarray(grads[impl][name]) - np.asarray(grads['xla'][name])).max()):.2e} of "
                    f"{float(np.abs(np.asarray(grads['xla'][name])).max()):.2e}")

        contenders = {}
        for impl in steps:
            state = [(jax.tree.map(jnp.copy, p0), optimizer.init(p0))]
            args = (x, y)
            if impl in parallels:
                state[0] = jax.device_put(state[0], replicated)
                args = (jax.device_put(x, batch_split), jax.device_put(y, batch_split))
            def run(step=steps[impl], state=state, args=args):
                state[0], loss = step(state[0], *args); return loss
            contenders[impl] = run
        if kind == "lenet":
            nnx_run = lenet_nnx_step(x, y, optimizer)
            if nnx_run: contenders["lenet-nnx"] = nnx_run
        tx, ty = to_nchw(x), torch.tensor(np.asarray(y), dtype=torch.long)
        for name, net in nets.items():
            fmt = torch.channels_last if name == "torch-cl" else torch.contiguous_format
            net = net.to(memory_format=fmt); tinput = tx.contiguous(memory_format=fmt)
            opt = torch.optim.Adam(net.parameters(), 1e-3)
            def trun(net=net, opt=opt, tinput=tinput):
                opt.zero_grad(); loss = F.cross_entropy(net(tinput), ty); loss.backward(); opt.step(); return loss.item()
            contenders[name] = trun
        timings = interleaved(contenders, ARGS.rounds)
        for t in timings.values(): t["samples_per_s"] = ARGS.batch / t["wall_ms"] * 1e3
        title = f"training step, {'2-conv CNN' if kind == 'cnn2' else 'LeNet-5'} ({n_params:,} params), batch {ARGS.batch}, Adam"
        report(title, timings)
        best_torch = min(timings["torch"]["wall_ms"], timings["torch-cl"]["wall_ms"])
        ours = min(IMPLEMENTATIONS[:-1], key=lambda i: timings[i]["wall_ms"])     # the faster of fast / auto
        speed_vs_torch = best_torch / timings[ours]["wall_ms"]
        print(f"  samples/s: " + ", ".join(f"{n} {t['samples_per_s']:.0f}" for n, t in timings.items()))
        for parallel in parallels:
            print(f"  {parallel} throughput / best PyTorch: {best_torch / timings[parallel]['wall_ms']:.2f};  "
                  f"{parallel} / {ours}: {timings[ours]['wall_ms'] / timings[parallel]['wall_ms']:.2f}x")
        print(f"  {ours} throughput / best PyTorch: {speed_vs_torch:.2f}  (CPU time: "
              f"{min(timings['torch']['cpu_ms'], timings['torch-cl']['cpu_ms']) / timings[ours]['cpu_ms']:.2f});"
              f"  {ours} / xla: {timings['xla']['wall_ms'] / timings[ours]['wall_ms']:.2f}")
        GOALS[kind] = best_torch / timings[DEFAULT]["wall_ms"]
        print(f"  default settings ({DEFAULT}, {LIBRARY}) throughput / best PyTorch: {GOALS[kind]:.2f}"
              f"  -> {'GOAL MET' if GOALS[kind] >= 1 else 'GOAL MISSED'} (one device, default settings >= PyTorch)")
        assert timings[ours]["wall_ms"] < timings["xla"]["wall_ms"], f"{kind}: our step is not faster than plain XLA's"

def lenet_nnx_step(x, y, optimizer):
    "A jitted training step of the library's nnx LeNet5 (split/merge pattern), or None if it is not installed."
    try:
        from flax import nnx
        from walk_with_dl.models.lenet import LeNet5
    except ImportError:
        return None
    model = LeNet5(rngs=nnx.Rngs(0))
    graphdef, params, rest = nnx.split(model, nnx.Param, ...)
    def step(state, x, y):
        params, opt_state = state
        def loss_fn(params):
            logits = nnx.merge(graphdef, params, rest)(x)
            return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()
        loss, g = jax.value_and_grad(loss_fn)(params)
        updates, opt_state = optimizer.update(g, opt_state, params)
        return (optax.apply_updates(params, updates), opt_state), loss
    step = jax.jit(step, donate_argnums=0)
    state = [(params, optimizer.init(params))]
    def run():
        state[0], loss = step(state[0], x, y); return loss
    return run

def parallel_speedup() -> float:
    "How much faster two threads run a matmul than one, now: ~2 when a second core is free, ~1 when it is busy."
    a = torch.randn(768, 768)
    def timed(threads):
        torch.set_num_threads(threads); torch.mm(a, a)
        t = time.perf_counter()
        for _ in range(20): torch.mm(a, a)
        return time.perf_counter() - t
    ratio = statistics.median(timed(1) / timed(THREADS) for _ in range(3))
    torch.set_num_threads(THREADS)
    return ratio

if __name__ == "__main__":
    print(f"jax {jax.__version__} ({jax.default_backend()}), torch {torch.__version__} with {torch.get_num_threads()} threads, "
          f"{THREADS} cores, OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}, "
          f"XLA_FLAGS={os.environ.get('XLA_FLAGS', '') or 'unset'}, {jax.device_count()} CPU devices, {ARGS.rounds} rounds, "
          f"load average {os.getloadavg()[0]:.1f}, parallel speed-up of {THREADS} threads now {parallel_speedup():.2f}x")
    if "parts" in ARGS.only: bench_parts()
    if "pool" in ARGS.only: bench_pool()
    if "steps" in ARGS.only: bench_steps()
    print(f"\nload average at the end {os.getloadavg()[0]:.1f}, parallel speed-up now {parallel_speedup():.2f}x")
    if ARGS.json:
        with open(ARGS.json, "w") as f: json.dump(RESULTS, f, indent=1)
    if GOALS:
        print("goal, default settings on one device >= PyTorch: " + ", ".join(f"{k} {v:.2f}x" for k, v in GOALS.items()) +
              f" -> {'GOAL MET' if min(GOALS.values()) >= 1 else 'GOAL MISSED'}")
        sys.exit(0 if min(GOALS.values()) >= 1 else 1)
