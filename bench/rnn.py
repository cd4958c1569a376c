"""LSTM training step: walk_with_dl.nn.recurrent.LSTM (JAX, jitted) against PyTorch's nn.LSTM, on the CPU.

One step = forward over a (batch, time, features) batch, mean squared error against random
targets, backward, Adam update (lr 1e-3, same defaults on both sides). Both libraries run in
one process with the same sizes, interleaved round by round so that both see the same machine
load; we report medians and the ratio PyTorch time / ours (> 1: ours is faster).

Threads: for each count N in --threads the bench runs in a fresh process pinned to N cores
(`os.sched_setaffinity`, set before JAX starts), so neither library can run on more than N
cores: XLA sizes its thread pool from the cores it may use when it starts, and PyTorch is told
`torch.set_num_threads(N)` on top. The CPU time per step (all threads) and the load average are
printed too: on a busy, shared machine they show the work each library does, which wall-clock
time blurs. The min/min ratio is printed beside the median one: PyTorch's OpenMP threads spin
and stall when the cores are shared, so with N = cores on a loaded machine its median is noise.

PyTorch's CPU nn.LSTM trains with oneDNN's fused RNN primitive (`aten::mkldnn_rnn_layer`, one
hand-written kernel per layer and direction). Ours takes, for the LSTM, the fused CPU kernel that
`pip install` builds (walk_with_dl/csrc, called through jax.ffi), or XLA-compiled `lax.scan` code
where it is not built or not applicable; `--backend` forces one (the line "ours:" says which ran).

Before timing, both start from the same weights (ours is `from_torch` of PyTorch's module) and the
first step's loss and gradients are checked equal. Exit status 1 when they differ or when a
median ratio torch/ours is below --goal (1.0: at least as fast as PyTorch).

    python bench/rnn.py                 # 1 and 2 threads; 1 and 2 layers, batch 32, time 64, input 64, hidden 256
    python bench/rnn.py --threads 1 --layers 2 --hidden 512 --rounds 30 --cell gru --bidirectional
"""
import argparse, os, statistics, subprocess, sys, time
import numpy as np


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--time", type=int, default=64)
    parser.add_argument("--features", type=int, default=64)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--layers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--cell", choices=["lstm", "gru"], default="lstm")
    parser.add_argument("--bidirectional", action="store_true")
    parser.add_argument("--unroll", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=20, help="timed steps per contender (after warm-up)")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="cores for both libraries; one process each")
    parser.add_argument("--backend", choices=["auto", "ffi", "jax"], default="auto", help="ours: fused kernel, lax.scan, or the default")
    parser.add_argument("--goal", type=float, default=1.0, help="exit 1 when a median ratio torch/ours is below this")
    args = parser.parse_args()
    available = sorted(os.sched_getaffinity(0))
    if len(args.threads) > 1:   # one fresh process per thread count: XLA fixes its thread pool when it starts
        codes = []
        for n in args.threads:
            argv = [a for a in sys.argv[1:]]
            if "--threads" in argv:
                i = argv.index("--threads"); j = i + 1
                while j < len(argv) and not argv[j].startswith("--"): j += 1
                del argv[i:j]
            codes.append(subprocess.run([sys.executable, __file__, *argv, "--threads", str(n)]).returncode)
        sys.exit(max(codes))
    threads = args.threads[0]
    if not 1 <= threads <= len(available): parser.error(f"--threads must be between 1 and {len(available)}")
    os.sched_setaffinity(0, available[:threads])   # before JAX starts: XLA's thread pool and PyTorch's both see N cores

    import jax, jax.numpy as jnp, optax, torch
    from flax import nnx
    from walk_with_dl.nn.recurrent import LSTM, GRU, set_lstm_backend, lstm_backend_info
    set_lstm_backend(args.backend)

    torch.set_num_threads(threads)
    print(f"\n=== {threads} thread{'s' * (threads > 1)} for both (process pinned to {threads} of {len(available)} cores; "
          f"load average {os.getloadavg()[0]:.1f}) ===")
    print(f"jax {jax.__version__} on {jax.devices()[0].platform}, torch {torch.__version__} ({torch.get_num_threads()} threads); "
          f"{args.cell.upper()} batch {args.batch}, time {args.time}, input {args.features}, hidden {args.hidden}"
          f"{', bidirectional' if args.bidirectional else ''}, MSE, Adam; median of {args.rounds} interleaved rounds")
    rng = np.random.default_rng(0)
    directions = 2 if args.bidirectional else 1
    x_np = rng.normal(size=(args.batch, args.time, args.features)).astype(np.float32)
    y_np = rng.normal(size=(args.batch, args.time, args.hidden * directions)).astype(np.float32)
    info = lstm_backend_info()
    print(f"ours: {'fused CPU kernel (jax.ffi), ' + str(info['threads']) + ' thread(s)' if args.cell == 'lstm' and info['backend'] == 'ffi' else 'lax.scan'}"
          f"{'' if info['backend'] == 'ffi' or not info['reason'] else ' (' + info['reason'] + ')'}")
    failures = []

    for layers in args.layers:
        # --- PyTorch ---
        torch_cls = torch.nn.LSTM if args.cell == "lstm" else torch.nn.GRU
        torch.manual_seed(0)
        reference = torch_cls(args.features, args.hidden, layers, batch_first=True, bidirectional=args.bidirectional)
        optimizer = torch.optim.Adam(reference.parameters(), lr=1e-3)
        x_t, y_t = torch.from_numpy(x_np), torch.from_numpy(y_np)

        def theirs():
            optimizer.zero_grad(set_to_none=True)
            outputs, _ = reference(x_t)
            loss = torch.mean((outputs - y_t) ** 2)
            loss.backward()
            optimizer.step()
            return loss

        # --- ours: the same weights ---
        ours_cls = LSTM if args.cell == "lstm" else GRU
        model = ours_cls.from_torch(reference)
        model.unroll = args.unroll
        graphdef, params = nnx.split(model, nnx.Param)
        tx = optax.adam(1e-3)
        x, y = jnp.asarray(x_np), jnp.asarray(y_np)

        def loss_fn(params, x, y):
            outputs, _ = nnx.merge(graphdef, params)(x)
            return jnp.mean((outputs - y) ** 2)

        @jax.jit
        def train_step(state, x, y):
            params, opt_state = state
            loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
            updates, opt_state = tx.update(grads, opt_state, params)
            return (optax.apply_updates(params, updates), opt_state), loss
        train_step = jax.jit(train_step.__wrapped__, donate_argnums=0)

        # equal results: the first step's loss and gradients, same weights and data
        loss_ours, grads_ours = jax.jit(jax.value_and_grad(loss_fn))(params, x, y)
        optimizer.zero_grad(set_to_none=True)
        loss_theirs = torch.mean((reference(x_t)[0] - y_t) ** 2); loss_theirs.backward(); loss_theirs = loss_theirs.item()
        worst = max(float(np.max(np.abs(np.asarray(grads_ours[name][...]) - p.grad.numpy())) / (np.max(np.abs(p.grad.numpy())) + 1e-12))
                    for name, p in reference.named_parameters())
        loss_error = abs(float(loss_ours) - float(loss_theirs)) / abs(float(loss_theirs))
        equal = loss_error < 1e-5 and worst < 1e-4
        print(f"\n{layers} layer{'s' * (layers > 1)}: same weights, first step: loss {float(loss_ours):.6f} vs {float(loss_theirs):.6f}, "
              f"largest gradient difference {worst:.1e} of the largest gradient: {'equal' if equal else 'DIFFERENT'}")
        if not equal: failures.append(f"{layers} layers: results differ")
        state = (params, tx.init(params))
        compile_start = time.perf_counter()
        state, loss = train_step(state, x, y); loss.block_until_ready()
        compile_seconds = time.perf_counter() - compile_start

        def ours():
            nonlocal state
            state, loss = train_step(state, x, y)
            loss.block_until_ready()

        contenders = {"walk_with_dl": ours, "torch": theirs}
        for fn in contenders.values():   # warm-up
            for _ in range(2): fn()
        times = {name: [] for name in contenders}
        cpu_times = {name: [] for name in contenders}
        for _ in range(args.rounds):
            for name, fn in contenders.items():
                time.sleep(0.02)   # let the other library's worker threads go idle
                cpu, start = time.process_time(), time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - start); cpu_times[name].append(time.process_time() - cpu)
        medians = {name: statistics.median(t) for name, t in times.items()}
        print(f"\n{layers} layer{'s' * (layers > 1)} (ours compiled in {compile_seconds:.1f} s; "
              f"load average now {os.getloadavg()[0]:.1f})")
        for name, median in medians.items():
            print(f"  {name:14s} {median * 1e3:8.1f} ms/step  (min {min(times[name]) * 1e3:.1f}, "
                  f"CPU time {statistics.median(cpu_times[name]) * 1e3:.1f} ms)")
        ratio = medians['torch'] / medians['walk_with_dl']
        print(f"  ratio torch/ours, {threads} thread{'s' * (threads > 1)} each: {ratio:.2f} "
              f"(min/min {min(times['torch']) / min(times['walk_with_dl']):.2f}; CPU time "
              f"{statistics.median(cpu_times['torch']) / statistics.median(cpu_times['walk_with_dl']):.2f}; goal {args.goal:.2f})")
        if ratio < args.goal: failures.append(f"{layers} layers, {threads} threads: ratio {ratio:.2f} < goal {args.goal:.2f}")
    if failures:
        print("\nGOAL MISSED: " + "; ".join(failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
