"""Whole training runs on the CPU: the `Learner` on 1 and N CPU devices (and both convolution libraries) vs a PyTorch loop.

    python bench/learner_devices.py                         # LeNet-5 and the 2-conv CNN, 3 rounds (about 6 minutes)
    python bench/learner_devices.py --models lenet --rounds 5 --json out.json

`bench/conv.py` times single training steps; this times what a user waits for: `Learner.fit` epochs
(shuffling, batching, host-to-device copies, the compiled step, validation with metrics) against a
hand-written PyTorch loop doing the same (a shuffled index per epoch, Adam, the same validation).

Data: the bundled digits, framed to 32x32 (`frame_digits`; 28x28 for the 2-conv CNN), the training set
repeated 4 times (5,748 images, 44 steps of batch 128 per epoch), the 360 validation images.
Models (no augmentation, Adam at 1e-3, batch 128):
- `lenet`: `walk_with_dl.models.LeNet5` (61,706 parameters) and its PyTorch twin;
- `cnn2`: the 2-conv CNN of `bench/conv.py` and nbs/20_conv_ops.ipynb, conv 32 3x3 -> ReLU -> conv 64 3x3 ->
  ReLU -> 2x2 max-pool -> dense 128 -> ReLU -> dense 10 on 28x28 (1,625,866 parameters), as our
  `Sequential` and in PyTorch.

Each contender runs in a fresh process (the CPU device count and XLA's convolution library are fixed
when JAX starts): `jax-<library>-<N>dev` is the Learner with `jax_num_cpu_devices = N`
(`wwdl train --cpu-devices N --conv-library <library>`); `torch-nchw` is PyTorch as it comes (NCHW,
as many threads as cores) and `torch-channels-last` its faster layout here; `OMP_WAIT_POLICY=PASSIVE`. A
process trains 1 warm-up epoch (compilation) and `--epochs` timed epochs; rounds run every contender
once, in turn, so that all see the same machine load. Reported: the median epoch time over all timed
epochs of all rounds, and PyTorch's time / ours (> 1: ours faster) compared like with like: the
defaults (`jax-ynnpack-1dev`, what `wwdl train` does, against `torch-nchw`) and the tuned set-ups (the
fastest JAX contender against the fastest PyTorch one, both picked after the fact). Asserted: every
contender learns (validation accuracy >= 0.85 after its 5 epochs), and the goal, tuned JAX at least as fast as tuned
PyTorch for every model (exit 1 when missed).

Whole runs are not single steps (`bench/conv.py`): an epoch here also shuffles and batches the data,
copies it to the device, validates with metrics, and pays each framework's per-step overhead (Python
and autograd bookkeeping in PyTorch, one dispatch of a compiled step in JAX); so a whole-run ratio can
differ from the step ratio of the same set-up, in either direction.
"""
import argparse, json, os, statistics, subprocess, sys, time

CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
REPEAT, BATCH, LR = 4, 128, 1e-3

WORKER = r'''
import json, os, sys, time
kind, model_name, library, devices, epochs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
REPEAT, BATCH, LR, CORES = %d, %d, %r, %d
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import numpy as np
if kind == "jax":
    from walk_with_dl.cli import configure_cpu
    configure_cpu(devices, library)                  # before JAX starts
import jax, jax.numpy as jnp
from walk_with_dl.datasets import load_digits
from walk_with_dl.data.vision import frame_digits
size = 32 if model_name == "lenet" else 28
ds = load_digits(flatten=False, seed=0)
xt = np.asarray(frame_digits(ds.x_train, box_size=20 if size == 32 else 18, canvas_size=size))
xv = np.asarray(frame_digits(ds.x_valid, box_size=20 if size == 32 else 18, canvas_size=size))
xt, yt = np.concatenate([xt] * REPEAT), np.concatenate([ds.y_train] * REPEAT).astype(np.int32)
yv = ds.y_valid.astype(np.int32)
times = []
if kind == "jax":
    import optax
    from walk_with_dl.core import make_rngs
    from walk_with_dl.data import DataLoaders
    from walk_with_dl.learner import Learner
    from walk_with_dl.metrics import accuracy
    from walk_with_dl.nn.conv import Conv, Dense, Flatten, MaxPool, Sequential
    from walk_with_dl.nn.losses import cross_entropy
    from walk_with_dl.models.lenet import LeNet5
    if model_name == "lenet": model = LeNet5(10, rngs=make_rngs(0))
    else:
        relu = jax.nn.relu
        model = Sequential([Conv(32, 3), relu, Conv(64, 3), relu, MaxPool(2), Flatten(), Dense(128), relu, Dense(10)],
                           sample=xt[:2], rngs=make_rngs(0))
    dls = DataLoaders.from_arrays(xt, yt, xv, yv, batch_size=BATCH, seed=0)
    learn = Learner(model, dls, cross_entropy, optimizer=optax.adam, lr=LR, metrics=[accuracy], progress=False)
    assert learn.mesh.size == devices, (learn.mesh.size, devices)
    h = learn.fit(epochs + 1)
    times = [r["seconds"] for r in h[1:]]
    acc = h[-1]["valid_accuracy"]
else:
    import torch, torch.nn as tnn
    torch.set_num_threads(CORES); torch.manual_seed(0)
    if model_name == "lenet":
        net = tnn.Sequential(tnn.Conv2d(1, 6, 5), tnn.ReLU(), tnn.MaxPool2d(2), tnn.Conv2d(6, 16, 5), tnn.ReLU(), tnn.MaxPool2d(2),
                             tnn.Flatten(), tnn.Linear(400, 120), tnn.ReLU(), tnn.Linear(120, 84), tnn.ReLU(), tnn.Linear(84, 10))
    else:
        net = tnn.Sequential(tnn.Conv2d(1, 32, 3, padding=1), tnn.ReLU(), tnn.Conv2d(32, 64, 3, padding=1), tnn.ReLU(),
                             tnn.MaxPool2d(2), tnn.Flatten(), tnn.Linear(14 * 14 * 64, 128), tnn.ReLU(), tnn.Linear(128, 10))
    layout = torch.channels_last if library == "channels-last" else torch.contiguous_format   # PyTorch's default: NCHW
    net = net.to(memory_format=layout)
    opt = torch.optim.Adam(net.parameters(), LR)
    tx = torch.tensor(np.moveaxis(xt, -1, 1).copy()).contiguous(memory_format=layout)
    ty = torch.tensor(yt, dtype=torch.long)
    vx = torch.tensor(np.moveaxis(xv, -1, 1).copy()).contiguous(memory_format=layout)
    vy = torch.tensor(yv, dtype=torch.long)
    g = torch.Generator().manual_seed(0)
    for epoch in range(epochs + 1):
        start = time.perf_counter()
        net.train()
        order = torch.randperm(len(tx), generator=g)
        for i in range(len(tx) // BATCH):                       # full batches, as the Learner's training loader
            idx = order[i * BATCH:(i + 1) * BATCH]
            loss = torch.nn.functional.cross_entropy(net(tx[idx]), ty[idx])
            opt.zero_grad(set_to_none=True); loss.backward(); opt.step()
        net.eval(); correct = 0; vloss = 0.0
        with torch.no_grad():
            for i in range(0, len(vx), 2 * BATCH):
                out = net(vx[i:i + 2 * BATCH])
                vloss += float(torch.nn.functional.cross_entropy(out, vy[i:i + 2 * BATCH], reduction="sum"))
                correct += int((out.argmax(1) == vy[i:i + 2 * BATCH]).sum())
        if epoch: times.append(time.perf_counter() - start)
    acc = correct / len(vx)
print(json.dumps(dict(times=times, accuracy=float(acc))))
''' % (REPEAT, BATCH, LR, CORES)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--models", nargs="+", choices=["lenet", "cnn2"], default=["lenet", "cnn2"])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--epochs", type=int, default=4, help="timed epochs per process (after one warm-up epoch)")
    p.add_argument("--libraries", nargs="+", choices=["ynnpack", "onednn", "eigen"], default=["ynnpack", "onednn"])
    p.add_argument("--devices", type=int, nargs="+", default=sorted({1, CORES}), help="CPU device counts to try")
    p.add_argument("--json", help="also write the results to this file")
    return p.parse_args()


def run(kind, model, library, devices, epochs):
    out = subprocess.run([sys.executable, "-c", WORKER, kind, model, library, str(devices), str(epochs)],
                         capture_output=True, text=True)
    if out.returncode != 0: raise RuntimeError(f"{kind} {model} {library} {devices} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


DEFAULTS = ("jax-ynnpack-1dev", "torch-nchw")   # what `wwdl train` and a plain PyTorch loop do without being told


def main():
    args = parse_args()
    print(f"{CORES} cores; batch {BATCH}, Adam {LR}, {args.rounds} rounds x {args.epochs} timed epochs per contender")
    results, missed = {}, []
    for model in args.models:
        contenders = ([("jax", lib, n) for lib in args.libraries for n in args.devices]
                      + [("torch", layout, CORES) for layout in ("nchw", "channels-last")])
        name = lambda c: f"torch-{c[1]}" if c[0] == "torch" else f"jax-{c[1]}-{c[2]}dev"
        times = {name(c): [] for c in contenders}; accs = {name(c): [] for c in contenders}
        for r in range(args.rounds):
            for c in contenders:
                res = run(c[0], model, c[1], c[2], args.epochs)
                times[name(c)] += res["times"]; accs[name(c)].append(res["accuracy"])
        print(f"\n{model}: seconds per epoch (median of {args.rounds * args.epochs})")
        rows = {}
        for n, ts in times.items():
            rows[n] = dict(epoch_s=statistics.median(ts), accuracy=min(accs[n]))
            print(f"  {n:22s} {rows[n]['epoch_s']:8.3f} s   valid acc >= {min(accs[n]):.3f}")
            assert min(accs[n]) >= 0.85, f"{model} {n} did not learn: {accs[n]}"
        fastest = lambda kind: min((n for n in rows if n.startswith(kind)), key=lambda n: rows[n]["epoch_s"])
        pairs = {"defaults": DEFAULTS, "tuned": (fastest("jax"), fastest("torch"))}   # like with like
        for label, (ours, theirs) in pairs.items():
            if ours not in rows or theirs not in rows: continue
            ratio = rows[theirs]["epoch_s"] / rows[ours]["epoch_s"]
            print(f"  {label:8s}: {ours} vs {theirs}: PyTorch time / ours = {ratio:.2f}")
            rows[label] = dict(ours=ours, theirs=theirs, torch_over_ours=ratio)
        tuned = rows["tuned"]["torch_over_ours"]
        print(f"  goal (tuned JAX at least as fast as tuned PyTorch): {'met' if tuned >= 1 else 'MISSED'}")
        if tuned < 1: missed.append(f"{model} {tuned:.2f}x")
        results[model] = rows
    if args.json: json.dump(results, open(args.json, "w"), indent=1)
    if missed: sys.exit(f"goal missed: {', '.join(missed)}")


if __name__ == "__main__":
    main()
