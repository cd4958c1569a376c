"""One GCN training epoch, full batch: walk_with_dl (JAX, jitted) against PyTorch Geometric (CPU), on the same threads.

The graph is generated (numpy, seeded): 50,000 nodes and 250,000 random undirected pairs, so 500,000
directed edges (self-loops and repeats left in, as a generator gives them), 64 random features per
node, 8 classes, 10% of the nodes labelled. The model is Kipf & Welling's 2-layer GCN: dropout 0.5 →
GCNConv(64 → 16) → ReLU → dropout 0.5 → GCNConv(16 → 8); the loss is the cross-entropy over the
labelled nodes; one epoch is forward, backward and one Adam step (lr 0.01), as in PyG's
`examples/gcn.py` (without its feature normalisation and cached normalisation: both sides recompute
the normalisation every epoch). Ours is `walk_with_dl.models.gnn.GCN` with
`walk_with_dl.nn.losses.masked_cross_entropy` under one `jax.jit` with the state donated; PyG's is
`torch_geometric.nn.GCNConv`.

Each contender runs in a fresh process, pinned to the same cores (`os.sched_setaffinity` before JAX or
PyTorch start; `torch.set_num_threads` = that count; XLA:CPU sizes its pool from the affinity mask;
`OMP_WAIT_POLICY=PASSIVE` so that PyTorch's threads do not spin on a shared machine), one after the
other, each with a warm-up epoch (compilation) and then `--rounds` timed epochs; the median wall and CPU
time per epoch are printed with the machine's load average, and the ratio PyG time / ours (> 1: ours is
faster). The goal of issue 20 is a ratio ≥ 1.0; the script exits 1 when it is missed.

    python bench/graphs.py                   # all cores of this process's affinity
    python bench/graphs.py --threads 1 --rounds 10 --json out.json
"""
import argparse, json, os, statistics, subprocess, sys, time
import numpy as np

def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--nodes", type=int, default=50_000)
    p.add_argument("--pairs", type=int, default=250_000, help="undirected pairs (twice as many directed edges)")
    p.add_argument("--features", type=int, default=64)
    p.add_argument("--classes", type=int, default=8)
    p.add_argument("--rounds", type=int, default=20, help="timed epochs per contender")
    p.add_argument("--threads", type=int, default=None, help="cores to pin both contenders to (default: all available)")
    p.add_argument("--json", help="also write the results to this file")
    p.add_argument("--child", choices=["walk_with_dl", "pyg"], help=argparse.SUPPRESS)
    return p.parse_args(argv)

def make_graph(args):
    rng = np.random.default_rng(0)
    pairs = rng.integers(0, args.nodes, (args.pairs, 2))
    senders = np.concatenate([pairs[:, 0], pairs[:, 1]]).astype(np.int32)
    receivers = np.concatenate([pairs[:, 1], pairs[:, 0]]).astype(np.int32)
    x = rng.standard_normal((args.nodes, args.features)).astype(np.float32)
    y = rng.integers(0, args.classes, args.nodes).astype(np.int32)
    labelled = rng.random(args.nodes) < 0.1
    return x, senders, receivers, y, labelled

def timed(step, rounds):
    step()                                                   # warm-up: compilation, first allocations
    wall, cpu = [], []
    for _ in range(rounds):
        c, t = time.process_time(), time.perf_counter()
        step()
        wall.append(time.perf_counter() - t); cpu.append(time.process_time() - c)
    return statistics.median(wall), statistics.median(cpu)

def run_walk_with_dl(args):
    import jax, jax.numpy as jnp, optax
    from flax import nnx
    from walk_with_dl.data.graphs import make_graph as graph_of
    from walk_with_dl.models.gnn import GCN
    from walk_with_dl.nn.losses import masked_cross_entropy
    x, s, r, y, labelled = make_graph(args)
    graph = jax.device_put(graph_of(x, s, r))
    y, w = jnp.asarray(y), jnp.asarray(labelled, jnp.float32)
    model = GCN(args.features, args.classes, hidden=16, dropout=0.5, rngs=nnx.Rngs(0))
    tx = optax.adam(0.01)
    graphdef, params, rest = nnx.split(model, nnx.Param, ...)
    pdef, rdef = jax.tree.structure(params), jax.tree.structure(rest)      # plain lists of arrays through jit, as the Learner
    state = (jax.tree.leaves(params), jax.tree.leaves(rest), tx.init(jax.tree.leaves(params)))

    def epoch(state):
        params, rest, opt = state
        def loss_fn(params):
            m = nnx.merge(graphdef, jax.tree.unflatten(pdef, params), jax.tree.unflatten(rdef, rest))
            loss = masked_cross_entropy(m(graph), y, w)
            return loss, jax.tree.leaves(nnx.split(m, nnx.Param, ...)[2])      # the advanced dropout counter
        (loss, rest), grads = jax.value_and_grad(loss_fn, has_aux=True)(params)
        updates, opt = tx.update(grads, opt, params)
        return (optax.apply_updates(params, updates), rest, opt), loss
    epoch = jax.jit(epoch, donate_argnums=0)
    holder = {"state": state, "losses": []}
    def step():
        holder["state"], loss = epoch(holder["state"]); holder["losses"].append(jax.block_until_ready(loss))
    wall, cpu = timed(step, args.rounds)
    return dict(wall_s=wall, cpu_s=cpu, first_loss=float(holder["losses"][0]), last_loss=float(holder["losses"][-1]))

def run_pyg(args, threads):
    import torch, torch.nn.functional as F
    from torch_geometric.nn import GCNConv
    torch.set_num_threads(threads); torch.manual_seed(0)
    x, s, r, y, labelled = make_graph(args)
    x, y, mask = torch.from_numpy(x), torch.from_numpy(y).long(), torch.from_numpy(labelled)
    edge_index = torch.from_numpy(np.stack([s, r]).astype(np.int64))

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1, self.conv2 = GCNConv(args.features, 16), GCNConv(16, args.classes)
        def forward(self, x, edge_index):
            x = F.relu(self.conv1(F.dropout(x, 0.5, self.training), edge_index))
            return self.conv2(F.dropout(x, 0.5, self.training), edge_index)

    model = Net(); model.train()
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    losses = []
    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x, edge_index)[mask], y[mask])
        loss.backward(); opt.step(); losses.append(loss.item())
    wall, cpu = timed(step, args.rounds)
    return dict(wall_s=wall, cpu_s=cpu, first_loss=losses[0], last_loss=losses[-1])

def main():
    args = parse_args()
    available = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else list(range(os.cpu_count()))
    threads = args.threads or len(available)
    if args.child:
        if hasattr(os, "sched_setaffinity"): os.sched_setaffinity(0, available[:threads])
        out = run_walk_with_dl(args) if args.child == "walk_with_dl" else run_pyg(args, threads)
        print("RESULT " + json.dumps(out), flush=True)
        return 0
    passed = [a for a in sys.argv[1:]]
    env = {**os.environ, "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "PASSIVE")}
    print(f"GCN epoch on {args.nodes:,} nodes, {2 * args.pairs:,} directed edges, {args.features} features, {args.classes} classes; "
          f"{threads} thread(s); load average before: {os.getloadavg()[0]:.2f}")
    results = {}
    for name in ("walk_with_dl", "pyg"):
        out = subprocess.run([sys.executable, __file__, "--child", name, "--threads", str(threads)] + passed,
                             capture_output=True, text=True, env=env)
        if out.returncode: print(out.stdout, out.stderr, file=sys.stderr); return 2
        results[name] = json.loads(next(l for l in out.stdout.splitlines() if l.startswith("RESULT "))[len("RESULT "):])
        r = results[name]
        print(f"  {name:13s} {r['wall_s'] * 1e3:8.1f} ms/epoch (median of {args.rounds}), CPU {r['cpu_s'] * 1e3:8.1f} ms; "
              f"loss {r['first_loss']:.3f} -> {r['last_loss']:.3f}")
    ratio = results["pyg"]["wall_s"] / results["walk_with_dl"]["wall_s"]
    print(f"  ratio PyG time / ours: {ratio:.2f}x (goal >= 1.0x): {'GOAL MET' if ratio >= 1.0 else 'GOAL MISSED'}; "
          f"load average after: {os.getloadavg()[0]:.2f}")
    for name, r in results.items(): assert r["last_loss"] < r["first_loss"], f"{name} did not train: {r}"
    if args.json:
        with open(args.json, "w") as f: json.dump(dict(args=vars(args), threads=threads, results=results, ratio=ratio), f, indent=1)
    return 0 if ratio >= 1.0 else 1

if __name__ == "__main__":
    sys.exit(main())
