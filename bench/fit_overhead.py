"""How much does `Learner.fit` cost over a hand-written `jax.jit` loop doing the same steps?

    python bench/fit_overhead.py [--epochs 5] [--repeats 5]

Both train the same model (an MLP) on the same data (the bundled digits) with the same batches
(the same DataLoader), the same Adam steps and a validation pass (loss and accuracy) per epoch,
in this one process. Timings are interleaved (hand, learner, hand, learner, ...) after a warm-up
epoch that compiles everything; the median of the repeats is reported, with the ratio
learner / hand (1.00 = no overhead). The tiny MLP is where per-step overhead dominates; the
learner is also timed with `steps_per_dispatch=8` (a `lax.scan` over 8 batches per call).
"""
import argparse, statistics, time
import numpy as np, jax, jax.numpy as jnp, optax
from flax import nnx
from walk_with_dl.core import make_rngs
from walk_with_dl.data import DataLoaders
from walk_with_dl.datasets import load_digits
from walk_with_dl.learner import Learner
from walk_with_dl.models.mlp import MLP

def cross_entropy(logits, labels): return optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()
def accuracy(logits, labels): return (logits.argmax(-1) == labels).mean()

class HandLoop:
    "The loop a careful user writes by hand: split once, jit with donation, merge inside."
    def __init__(self, model, dls, lr):
        self.dls = dls
        self.graph, params, self.rest = nnx.split(model, nnx.Param, ...)
        self.params, self.rest = nnx.to_pure_dict(params), nnx.to_pure_dict(self.rest)
        self.pdef, self.rdef = jax.tree.structure(params), jax.tree.structure(nnx.state(model, nnx.Not(nnx.Param)))
        self.tx = optax.adam(lr)
        self.state = (self.params, self.rest, self.tx.init(self.params))
        model.eval(); self.eval_graph = nnx.graphdef(model); model.train()

        def merge(graph, p, r):
            return nnx.merge(graph, jax.tree.unflatten(self.pdef, jax.tree.leaves(p)), jax.tree.unflatten(self.rdef, jax.tree.leaves(r)))
        def step(state, x, y):
            p, r, o = state
            def loss_of(p, r):
                m = merge(self.graph, p, r)
                loss = cross_entropy(m(x), y)
                return loss, nnx.to_pure_dict(nnx.state(m, nnx.Not(nnx.Param)))
            (loss, r), g = jax.value_and_grad(loss_of, has_aux=True)(p, r)
            u, o = self.tx.update(g, o, p)
            return (optax.apply_updates(p, u), r, o), loss
        def evaluate(state, x, y):
            p, r, _ = state
            logits = merge(self.eval_graph, p, r)(x)
            return cross_entropy(logits, y) * len(y), (logits.argmax(-1) == y).sum()
        self.step, self.evaluate = jax.jit(step, donate_argnums=0), jax.jit(evaluate)
        self.epoch = 0

    def fit(self, n_epochs):
        for _ in range(n_epochs):
            self.dls.train.set_epoch(self.epoch); self.epoch += 1
            total = jnp.zeros(())
            for x, y in self.dls.train:
                self.state, loss = self.step(self.state, jax.device_put(x), jax.device_put(y))
                total = total + loss
            loss_sum, correct = 0.0, 0
            for x, y in self.dls.valid:
                l, c = self.evaluate(self.state, x, y); loss_sum, correct = loss_sum + l, correct + c
            jax.device_get((total, loss_sum, correct))   # one sync per epoch, as the learner does

def bench(name, hidden, batch_size, epochs, repeats):
    ds = load_digits()
    make_dls = lambda: DataLoaders.from_dataset(ds, batch_size=batch_size, seed=0)
    make_model = lambda: MLP(64, hidden, 10, rngs=make_rngs(0))
    hand = HandLoop(make_model(), make_dls(), 1e-3)
    learners = {"learner": Learner(make_model(), make_dls(), cross_entropy, metrics=[accuracy], progress=False),
                "learner scan8": Learner(make_model(), make_dls(), cross_entropy, metrics=[accuracy], progress=False,
                                         steps_per_dispatch=8)}
    hand.fit(1)
    for l in learners.values(): l.fit(1)
    times = {"hand": [], **{k: [] for k in learners}}
    for _ in range(repeats):
        t = time.perf_counter(); hand.fit(epochs); times["hand"].append(time.perf_counter() - t)
        for k, l in learners.items():
            t = time.perf_counter(); l.fit(epochs); times[k].append(time.perf_counter() - t)
    med = {k: statistics.median(v) for k, v in times.items()}
    steps = epochs * len(hand.dls.train)
    print(f"\n{name}: MLP 64-{'-'.join(map(str, hidden))}-10, batch {batch_size}, {steps} steps + {epochs} validations per timing, "
          f"median of {repeats}")
    for k, v in med.items():
        print(f"  {k:<14} {v * 1e3:8.1f} ms  {v / steps * 1e6:7.1f} µs/step   ratio to hand: {v / med['hand']:.3f}")
    return med

if __name__ == "__main__":
    ap = argparse.ArgumentParser(); ap.add_argument("--epochs", type=int, default=5); ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args()
    print(f"jax {jax.__version__} on {jax.devices()}")
    bench("tiny", (32,), 32, a.epochs, a.repeats)
    bench("mid-size", (1024, 1024), 128, a.epochs, a.repeats)
