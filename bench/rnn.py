"""LSTM training step: walk_with_dl.nn.recurrent.LSTM (JAX, jitted) against PyTorch's nn.LSTM, on the CPU.

One step = forward over a (batch, time, features) batch, mean squared error against random
targets, backward, Adam update. Both libraries run in this one process with the same sizes and
the same number of threads (PyTorch's `set_num_threads` = the cores JAX uses), interleaved
round by round so that both see the same machine load; we report medians and the ratio
PyTorch time / ours (> 1: ours is faster).

PyTorch's thread pool (OpenMP) degrades badly when the cores are shared with other processes, so
PyTorch is also timed with one thread, and the better of its two timings is reported as well:
the fair comparison on a busy machine. The CPU time per step (all threads) is printed too: on a
busy machine it shows the work each library does, which wall-clock time blurs.

    python bench/rnn.py                 # 1 and 2 layers, batch 32, time 64, input 64, hidden 256
    python bench/rnn.py --layers 2 --hidden 512 --rounds 30 --cell gru --bidirectional
"""
import argparse, os, statistics, time
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
    args = parser.parse_args()

    import jax, jax.numpy as jnp, optax, torch
    from flax import nnx
    from walk_with_dl.nn.recurrent import LSTM, GRU

    cores = len(os.sched_getaffinity(0))
    torch_threads = sorted({cores, 1})
    print(f"jax {jax.__version__} on {jax.devices()[0].platform} ({cores} cores), torch {torch.__version__}; "
          f"{args.cell.upper()} batch {args.batch}, time {args.time}, input {args.features}, hidden {args.hidden}"
          f"{', bidirectional' if args.bidirectional else ''}, Adam; median of {args.rounds} interleaved rounds")
    rng = np.random.default_rng(0)
    directions = 2 if args.bidirectional else 1
    x_np = rng.normal(size=(args.batch, args.time, args.features)).astype(np.float32)
    y_np = rng.normal(size=(args.batch, args.time, args.hidden * directions)).astype(np.float32)

    for layers in args.layers:
        # --- ours ---
        ours_cls = LSTM if args.cell == "lstm" else GRU
        model = ours_cls(args.features, args.hidden, layers, bidirectional=args.bidirectional, unroll=args.unroll,
                         rngs=nnx.Rngs(0))
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

        state = (params, tx.init(params))
        compile_start = time.perf_counter()
        state, loss = train_step(state, x, y); loss.block_until_ready()
        compile_seconds = time.perf_counter() - compile_start

        def ours():
            nonlocal state
            state, loss = train_step(state, x, y)
            loss.block_until_ready()

        # --- PyTorch ---
        torch_cls = torch.nn.LSTM if args.cell == "lstm" else torch.nn.GRU
        torch.manual_seed(0)
        reference = torch_cls(args.features, args.hidden, layers, batch_first=True, bidirectional=args.bidirectional)
        optimizer = torch.optim.Adam(reference.parameters(), lr=1e-3)
        x_t, y_t = torch.from_numpy(x_np), torch.from_numpy(y_np)

        def theirs(threads):
            def step():
                torch.set_num_threads(threads)
                optimizer.zero_grad(set_to_none=True)
                outputs, _ = reference(x_t)
                loss = torch.mean((outputs - y_t) ** 2)
                loss.backward()
                optimizer.step()
            return step

        contenders = {"walk_with_dl": ours, **{f"torch, {n} thread{'s' * (n > 1)}": theirs(n) for n in torch_threads}}
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
        print(f"\n{layers} layer{'s' * (layers > 1)} (ours compiled in {compile_seconds:.1f} s)")
        for name, median in medians.items():
            print(f"  {name:24s} {median * 1e3:8.1f} ms/step  (min {min(times[name]) * 1e3:.1f}, "
                  f"CPU time {statistics.median(cpu_times[name]) * 1e3:.1f} ms)")
        same_threads = medians[f"torch, {cores} thread{'s' * (cores > 1)}"]
        best_torch = min(v for k, v in medians.items() if k.startswith("torch"))
        print(f"  ratio torch/ours, same threads ({cores}): {same_threads / medians['walk_with_dl']:.2f}")
        print(f"  ratio best torch/ours:                {best_torch / medians['walk_with_dl']:.2f}")


if __name__ == "__main__":
    main()
