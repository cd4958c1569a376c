"""GPT training step: walk_with_dl.models.gpt.GPT (JAX, jitted) against the same model in PyTorch (CPU), at 1 and 2 threads.

One step = forward over a (batch, time) batch of token ids, next-token cross-entropy, backward,
AdamW update (lr 1e-3, weight decay 0.01, the same on both sides). The PyTorch model is built
layer for layer like ours: token and learned position embeddings, pre-LN blocks (LayerNorm →
q/k/v/out projections with biases and `F.scaled_dot_product_attention(is_causal=True)` →
residual; LayerNorm → Linear → exact GELU → Linear → residual), a final LayerNorm and logits tied
to the token embedding; the parameter counts are checked equal.

Each thread count runs in its own subprocess pinned to that many cores (`os.sched_setaffinity`,
set before JAX and PyTorch start): PyTorch gets `torch.set_num_threads(n)`, and XLA:CPU sizes its
thread pool from the same affinity mask, so both sides use the same n cores. Inside a process the
two are timed interleaved round by round (both see the same machine load) after a warm-up that
compiles; medians, the CPU time per step and the ratio PyTorch time / ours are printed
(> 1: ours is faster), with the machine's load average. With n > 1 threads the process also has n CPU
devices (`jax_num_cpu_devices`), and a third contender splits the batch over them with `jax.shard_map`
(parameters replicated, the model run per device, the loss over the whole batch, as the `Learner` does on
several devices; checked to give the single-device step's loss and gradients): XLA:CPU runs much of a step on
one thread, and this gives the step all n cores. The single-device contenders run on device 0.

    python bench/gpt.py                         # width 128, 4 blocks, 4 heads, batch 32, time 128; 1 and 2 threads
    python bench/gpt.py --threads 1 --time 256 --rounds 20
"""
import argparse, json, os, statistics, subprocess, sys, time
import numpy as np


def torch_gpt(vocab, max_len, features, layers, heads):
    import torch, torch.nn as nn, torch.nn.functional as F

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.attention_norm, self.mlp_norm = nn.LayerNorm(features), nn.LayerNorm(features)
            self.query, self.key, self.value, self.out = (nn.Linear(features, features) for _ in range(4))
            self.up, self.down = nn.Linear(features, 4 * features), nn.Linear(4 * features, features)
        def forward(self, x):
            B, T, _ = x.shape
            h = self.attention_norm(x)
            q, k, v = (p(h).view(B, T, heads, -1).transpose(1, 2) for p in (self.query, self.key, self.value))
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(B, T, features)
            x = x + self.out(y)
            return x + self.down(F.gelu(self.up(self.mlp_norm(x))))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.token, self.position = nn.Embedding(vocab, features), nn.Embedding(max_len, features)
            self.blocks = nn.ModuleList(Block() for _ in range(layers))
            self.final_norm = nn.LayerNorm(features)
        def forward(self, tokens):
            x = self.token(tokens) + self.position(torch.arange(tokens.shape[1]))
            for block in self.blocks: x = block(x)
            return self.final_norm(x) @ self.token.weight.T

    return GPT()


def measure(args):
    "Time both steps in this process, pinned to `args.threads` cores; returns a dict of medians (seconds)."
    os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:args.threads])   # before JAX / PyTorch start their pools
    import jax, jax.numpy as jnp, optax, torch
    if args.threads > 1: jax.config.update("jax_num_cpu_devices", args.threads)  # one CPU device per thread, before JAX starts
    from jax.sharding import Mesh, PartitionSpec as P
    from flax import nnx
    from walk_with_dl.core import param_count
    from walk_with_dl.models.gpt import GPT
    from walk_with_dl.nn.losses import cross_entropy

    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, args.vocab, (args.batch, args.time + 1)).astype(np.int32)
    x, y = tokens[:, :-1], tokens[:, 1:]

    model = GPT(args.vocab, args.time, args.features, args.layers, args.heads, rngs=nnx.Rngs(0))
    tx = optax.adamw(1e-3, weight_decay=0.01)
    graphdef, params = nnx.split(model)
    state = (params, tx.init(params))

    def step(state, x, y):
        params, opt_state = state
        loss, grads = jax.value_and_grad(lambda p: cross_entropy(nnx.merge(graphdef, p)(x), y))(params)
        updates, opt_state = tx.update(grads, opt_state, params)
        return (optax.apply_updates(params, updates), opt_state), loss
    step = jax.jit(step, donate_argnums=0)
    xj, yj = jnp.asarray(x), jnp.asarray(y)
    devices = jax.devices()
    if len(devices) > 1:                                   # the same step with the batch split over the CPU devices
        mesh = Mesh(np.array(devices), ("data",))
        def split_loss(params, x, y):                      # the model runs per device (shard_map), the loss over the whole batch
            logits = jax.shard_map(lambda p, x: nnx.merge(graphdef, p)(x), mesh=mesh, in_specs=(P(), P("data")),
                                   out_specs=P("data"))(params, x)
            return cross_entropy(logits, y)
        def split_step(state, x, y):
            params, opt_state = state
            loss, grads = jax.value_and_grad(split_loss)(params, x, y)
            updates, opt_state = tx.update(grads, opt_state, params)
            return (optax.apply_updates(params, updates), opt_state), loss
        split_step = jax.jit(split_step, donate_argnums=0)
        split_state = jax.device_put(jax.tree.map(np.asarray, (params, tx.init(params))), jax.NamedSharding(mesh, P()))  # own buffers: the single-device step donates its own
        xs, ys = (jax.device_put(a, jax.NamedSharding(mesh, P("data"))) for a in (x, y))
        # the split model gives the single-device loss and gradients
        l1, g1 = jax.jit(jax.value_and_grad(lambda p: cross_entropy(nnx.merge(graphdef, p)(xj), yj)))(params)
        l2, g2 = jax.jit(jax.value_and_grad(split_loss))(split_state[0], xs, ys)
        assert abs(float(l1) - float(l2)) < 1e-5, (float(l1), float(l2))
        for a, b in zip(jax.tree.leaves(g1), jax.tree.leaves(g2)):
            assert float(jnp.max(jnp.abs(a - b))) <= 1e-6 + 1e-4 * float(jnp.max(jnp.abs(a))), float(jnp.max(jnp.abs(a - b)))

    reference = torch_gpt(args.vocab, args.time, args.features, args.layers, args.heads)
    torch_params = sum(p.numel() for p in reference.parameters())
    assert torch_params == param_count(model), (torch_params, param_count(model))
    optimizer = torch.optim.AdamW(reference.parameters(), lr=1e-3, weight_decay=0.01)
    xt, yt = torch.as_tensor(x, dtype=torch.long), torch.as_tensor(y, dtype=torch.long)
    def torch_step():
        optimizer.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(reference(xt).reshape(-1, args.vocab), yt.reshape(-1))
        loss.backward(); optimizer.step()
        return loss

    for _ in range(3):                                    # compile and warm up both
        state, loss = step(state, xj, yj); loss.block_until_ready(); torch_step()
        if len(devices) > 1: split_state, loss = split_step(split_state, xs, ys); loss.block_until_ready()
    ours, theirs, ours_cpu, theirs_cpu, split, split_cpu = [], [], [], [], [], []
    for _ in range(args.rounds):
        w, c = time.perf_counter(), time.process_time()
        state, loss = step(state, xj, yj); loss.block_until_ready()
        ours.append(time.perf_counter() - w); ours_cpu.append(time.process_time() - c)
        if len(devices) > 1:                              # waiting for each step: see bench/conv.py on the all-reduce
            w, c = time.perf_counter(), time.process_time()
            split_state, loss = split_step(split_state, xs, ys); loss.block_until_ready()
            split.append(time.perf_counter() - w); split_cpu.append(time.process_time() - c)
        w, c = time.perf_counter(), time.process_time()
        torch_step()
        theirs.append(time.perf_counter() - w); theirs_cpu.append(time.process_time() - c)
    med = statistics.median
    return dict(threads=args.threads, cores=sorted(os.sched_getaffinity(0)), params=param_count(model),
                torch=torch.__version__, jax=jax.__version__, load=os.getloadavg()[0],
                ours=med(ours), theirs=med(theirs), ours_cpu=med(ours_cpu), theirs_cpu=med(theirs_cpu),
                split=med(split) if split else None, split_cpu=med(split_cpu) if split else None, devices=len(devices))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--time", type=int, default=128)
    parser.add_argument("--features", type=int, default=128)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--vocab", type=int, default=107)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="thread counts, each in its own process")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:                                        # one thread count: print the result as JSON
        args.threads = args.threads[0]
        print("RESULT " + json.dumps(measure(args)), flush=True)
        return
    print(f"GPT {args.features} wide, {args.layers} blocks, {args.heads} heads, batch {args.batch} × time {args.time}, "
          f"AdamW, {args.rounds} interleaved rounds per thread count, medians")
    passed = [f"--{k}={getattr(args, k)}" for k in ("batch", "time", "features", "layers", "heads", "vocab", "rounds")]
    for n in args.threads:
        if n > len(os.sched_getaffinity(0)): print(f"  {n} threads: skipped, only {len(os.sched_getaffinity(0))} cores"); continue
        out = subprocess.run([sys.executable, __file__, "--child", "--threads", str(n)] + passed,
                             capture_output=True, text=True, check=True).stdout
        r = json.loads(next(l for l in out.splitlines() if l.startswith("RESULT "))[len("RESULT "):])
        print(f"{n} thread{'s' if n > 1 else ''} (cores {r['cores']}, load average {r['load']:.1f}), {r['params']:,} parameters:")
        print(f"  walk_with_dl (JAX {r['jax']}): {r['ours'] * 1e3:8.1f} ms/step  ({r['ours_cpu'] * 1e3:.0f} ms CPU)")
        print(f"  PyTorch {r['torch']}:      {r['theirs'] * 1e3:8.1f} ms/step  ({r['theirs_cpu'] * 1e3:.0f} ms CPU)")
        if r["split"]:
            print(f"  walk_with_dl, batch split over {r['devices']} CPU devices: {r['split'] * 1e3:8.1f} ms/step  ({r['split_cpu'] * 1e3:.0f} ms CPU)")
        print(f"  RATIO {n} thread{'s' if n > 1 else ''}: PyTorch / ours = {r['theirs'] / r['ours']:.2f} wall, "
              f"{r['theirs_cpu'] / r['ours_cpu']:.2f} CPU (> 1: ours is faster)", flush=True)
        if r["split"]:
            print(f"  RATIO {n} threads, {r['devices']} devices: PyTorch / ours = {r['theirs'] / r['split']:.2f} wall", flush=True)


if __name__ == "__main__":
    main()
