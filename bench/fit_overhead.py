"""How much does `Learner.fit` cost over the loop a careful user writes by hand?

    python bench/fit_overhead.py [--epochs 6] [--repeats 5]

Goals (exit 1 when one is missed): the Learner takes at most 1.10x the hand loop's time on the tiny
MLP (digits, 64-32-10, batch 32) and 1.03x on the mid-size one (64-1024-1024-10, batch 128); a
two-optimizer step (a small GAN: discriminator then generator) through the Learner at most 1.10x the
same steps written by hand.

The hand loop is what a user writes without our library: the arrays indexed with numpy by a seeded
permutation per epoch, `jax.jit` over `nnx.split`/`nnx.merge` with the state donated, a ready
`optax.adam(1e-3)`, and a validation pass (loss and accuracy) per epoch. The Learner runs the same
steps with its defaults (progress bar off: the output is not a terminal anyway, see below). Both run in
this process, interleaved (hand, learner, hand, ...) after a warm-up that compiles everything; the
median of the repeats is reported with the ratio learner / hand.
"""
import argparse, functools, statistics, sys, time
import numpy as np, jax, jax.numpy as jnp, optax
from flax import nnx
from walk_with_dl.core import make_rngs
from walk_with_dl.data import DataLoader, DataLoaders
from walk_with_dl.datasets import load_digits
from walk_with_dl.learner import Learner, Models, Task
from walk_with_dl.models.mlp import MLP

def cross_entropy(logits, labels): return optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()
def accuracy(logits, labels): return (logits.argmax(-1) == labels).mean()

class HandLoop:
    "Plain JAX: numpy batches, one jitted donated step, a validation pass per epoch."
    def __init__(self, model, ds, batch_size, seed=0):
        self.x, self.y, self.xv, self.yv = ds.x_train, ds.y_train, ds.x_valid, ds.y_valid
        self.bs, self.rng = batch_size, np.random.default_rng(seed)
        self.graph, params, rest = nnx.split(model, nnx.Param, ...)
        model.eval(); self.eval_graph = nnx.graphdef(model); model.train()
        tx = optax.adam(1e-3)
        def step(state, x, y):
            params, rest, opt = state
            def loss_of(p):
                m = nnx.merge(self.graph, p, rest)
                return cross_entropy(m(x), y), nnx.state(m, nnx.Not(nnx.Param))
            (loss, rest), grads = jax.value_and_grad(loss_of, has_aux=True)(params)
            updates, opt = tx.update(grads, opt, params)
            return (optax.apply_updates(params, updates), rest, opt), loss
        def evaluate(state, x, y):
            logits = nnx.merge(self.eval_graph, state[0], state[1])(x)
            return cross_entropy(logits, y) * len(y), (logits.argmax(-1) == y).sum()
        self.step, self.evaluate = jax.jit(step, donate_argnums=0), jax.jit(evaluate)
        self.state = (params, rest, tx.init(params))

    def fit(self, n_epochs):
        n = len(self.x) // self.bs
        for _ in range(n_epochs):
            order = self.rng.permutation(len(self.x))
            losses = []
            for b in range(n):
                rows = order[b * self.bs:(b + 1) * self.bs]
                self.state, loss = self.step(self.state, self.x[rows], self.y[rows])
                losses.append(loss)
            total, correct = 0.0, 0
            for s in range(0, len(self.xv), 2 * self.bs):
                l, c = self.evaluate(self.state, self.xv[s:s + 2 * self.bs], self.yv[s:s + 2 * self.bs])
                total, correct = total + l, correct + c
            jax.device_get((losses, total, correct))     # what the user looks at once per epoch

class GANTask(Task):
    def d_loss(self, m, batch, key):
        (x,) = batch
        fake = jax.nn.sigmoid(m.generator(jax.random.normal(key, (x.shape[0], 16))))
        return (optax.sigmoid_binary_cross_entropy(m.discriminator(x), 1.0).mean()
                + optax.sigmoid_binary_cross_entropy(m.discriminator(fake), 0.0).mean())
    def g_loss(self, m, batch, key):
        (x,) = batch
        fake = jax.nn.sigmoid(m.generator(jax.random.normal(key, (x.shape[0], 16))))
        return optax.sigmoid_binary_cross_entropy(m.discriminator(fake), 1.0).mean()
    loss = g_loss
    def train_step(self, step, batch, key):
        kd, kg = jax.random.split(key)
        step.update(self.d_loss, batch, kd, models="discriminator")
        return step.update(self.g_loss, batch, kg, models="generator")

class HandGAN:
    "The same two updates by hand: one jitted, donated step holding both models and optimizers."
    def __init__(self, G, D, x, batch_size):
        self.x, self.bs, self.rng = x, batch_size, np.random.default_rng(0)
        gg, gp, gr = nnx.split(G, nnx.Param, ...); dg, dp, dr = nnx.split(D, nnx.Param, ...)
        tx = optax.adam(2e-4, b1=0.5)
        task = GANTask()
        def step(state, x):
            (gp, gr, go), (dp, dr, do), key, t = state
            kd, kg = jax.random.split(jax.random.fold_in(key, t))
            def d_of(dp):
                m = {"generator": nnx.merge(gg, gp, gr), "discriminator": nnx.merge(dg, dp, dr)}
                return task.d_loss(Models(m), (x,), kd)
            d_loss, g = jax.value_and_grad(d_of)(dp)
            u, do = tx.update(g, do, dp); dp = optax.apply_updates(dp, u)
            def g_of(gp):
                m = {"generator": nnx.merge(gg, gp, gr), "discriminator": nnx.merge(dg, dp, dr)}
                return task.g_loss(Models(m), (x,), kg)
            g_loss, g = jax.value_and_grad(g_of)(gp)
            u, go = tx.update(g, go, gp); gp = optax.apply_updates(gp, u)
            return ((gp, gr, go), (dp, dr, do), key, t + 1), g_loss
        self.step = jax.jit(step, donate_argnums=0)
        self.state = ((gp, gr, tx.init(gp)), (dp, dr, tx.init(dp)), jax.random.key(0), jnp.zeros((), jnp.int32))

    def fit(self, n_epochs):
        n = len(self.x) // self.bs
        for _ in range(n_epochs):
            order = self.rng.permutation(len(self.x)); losses = []
            for b in range(n):
                self.state, loss = self.step(self.state, self.x[order[b * self.bs:(b + 1) * self.bs]])
                losses.append(loss)
            jax.device_get(losses)

def timed(contenders, epochs, repeats):
    for c in contenders.values(): c.fit(1)                       # compile
    times = {k: [] for k in contenders}
    for _ in range(repeats):
        for k, c in contenders.items():
            t = time.perf_counter(); c.fit(epochs); times[k].append(time.perf_counter() - t)
    return {k: statistics.median(v) for k, v in times.items()}

def report(name, med, steps, goal):
    ratio = med["learner"] / med["hand"]
    print(f"{name}: {steps} steps per timing")
    for k, v in med.items(): print(f"  {k:<8} {v * 1e3:8.1f} ms  {v / steps * 1e6:7.1f} us/step")
    print(f"  ratio learner/hand {ratio:.3f} (goal <= {goal:.2f}): {'ok' if ratio <= goal else 'MISSED'}")
    return ratio <= goal

if __name__ == "__main__":
    ap = argparse.ArgumentParser(); ap.add_argument("--epochs", type=int, default=6); ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args()
    print(f"jax {jax.__version__} on {jax.devices()}")
    ds = load_digits()
    ok = True
    for name, hidden, bs, goal in (("tiny MLP", (32,), 32, 1.10), ("mid-size MLP", (1024, 1024), 128, 1.03)):
        dls = DataLoaders.from_dataset(ds, batch_size=bs, seed=0)
        contenders = {"hand": HandLoop(MLP(64, hidden, 10, rngs=make_rngs(0)), ds, bs),
                      "learner": Learner(MLP(64, hidden, 10, rngs=make_rngs(0)), dls, cross_entropy, optimizer=optax.adam(1e-3),
                                         metrics=[accuracy], progress=False)}
        ok &= report(name, timed(contenders, a.epochs, a.repeats), a.epochs * len(dls.train), goal)
    gan_models = lambda: (MLP(16, (64,), 64, rngs=make_rngs(0)), MLP(64, (64,), 1, rngs=make_rngs(1)))
    G, D = gan_models(); G2, D2 = gan_models()
    gdl = DataLoaders(DataLoader(ds.x_train, batch_size=32, shuffle=True, drop_last=True))
    contenders = {"hand": HandGAN(G, D, ds.x_train, 32),
                  "learner": Learner({"generator": G2, "discriminator": D2}, gdl, task=GANTask(),
                                     optimizer=optax.adam(2e-4, b1=0.5), progress=False)}
    ok &= report("GAN (two optimizers)", timed(contenders, a.epochs, a.repeats), a.epochs * len(gdl.train), 1.10)
    sys.exit(0 if ok else 1)
