"""GPT against the character LSTM on the bundled help texts (recipes `pydoc-gpt` and `pydoc-char-lstm`), at equal budget.

Every configuration trains through the `Learner` on the recipes' data loaders (windows of 64 characters,
random offsets each epoch, the same last 10% of the text as validation, cut in windows of 64), with AdamW
(`adamw_decaying_matrices`), `GradientClip(1.0)` and the one-cycle schedule, for the same number of epochs
(steps) for both models. Each configuration runs for every seed; the table gives the parameter count, the mean
validation loss (nats per character) over seeds, its spread (max - min), the final training loss and the seconds
per run. Runs are sequential in one process (2 cores here: run it under `nice -n 10`).

    python bench/lm_compare.py              # the recipes' models and the plain GPT, seeds 0 1 2, ranking asserted
    python bench/lm_compare.py --seeds 0 --configs gpt: lstm: --expect ""   # both at lr 3e-2, seed 0, nothing asserted
    python bench/lm_compare.py --configs gpt:layers=3,features=56 lstm:hidden=128,dropout=0.1 --expect ""

`--expect` is the ranking the GPT chapter states, checked on the mean validation losses over seeds; the
script exits 1 when it is not met (or when a configuration it names was not run). `A < B`: A's mean is
lower than B's; `A << B`: every seed of A is lower than every seed of B (A's worst beats B's best). The
default, `gpt:conv=3 << lstm:lr=0.07 < gpt:`, says: the recipe's GPT (short convolutions of 3 taps) beats
the recipe's LSTM (lr 7e-2) on every seed, and that LSTM beats the plain GPT on the mean.

A configuration is `gpt:` or `lstm:` followed by `key=value` pairs overriding the defaults below
(`gpt`: layers, features, heads, ffn (MLP width / features), dropout, positions, conv (the blocks' short
causal convolutions' kernel size, 0 = none); `lstm`: embedding, hidden,
layers, dropout; both: lr, wd (weight decay), pct (warm-up share of the one-cycle), bs (batch size), b2,
init: 1 re-initialises the model the way its family usually is: GPT-2's normal(0.02) linear layers with the
residual projections scaled by 1/sqrt(2 * layers); the LSTM's forget-gate biases set to 1).
"""
import argparse, json, statistics, time
import numpy as np

GPT_DEFAULTS = dict(layers=2, features=64, heads=8, ffn=4.0, dropout=0.0, positions="rotary", conv=0)
LSTM_DEFAULTS = dict(embedding=32, hidden=128, layers=1, dropout=0.0)
TRAIN_DEFAULTS = dict(lr=3e-2, wd=0.1, pct=0.25, bs=32, b2=0.95, init=0)


def parse(spec: str):
    kind, _, rest = spec.partition(":")
    if kind not in ("gpt", "lstm"): raise ValueError(f"a configuration starts with gpt: or lstm:, got {spec!r}")
    config = dict(TRAIN_DEFAULTS, **(GPT_DEFAULTS if kind == "gpt" else LSTM_DEFAULTS))
    for pair in filter(None, rest.split(",")):
        key, value = pair.split("=")
        if key not in config: raise ValueError(f"unknown key {key!r} for {kind}; known: {sorted(config)}")
        config[key] = type(config[key])(value) if not isinstance(config[key], float) else float(value)
    return kind, config


def build(kind: str, config: dict, seed: int, epochs: int):
    from functools import partial
    from walk_with_dl.core import make_rngs
    from walk_with_dl.learner import GradientClip, Learner
    from walk_with_dl.models.gpt import GPT
    from walk_with_dl.nn.optimizers import adamw_decaying_matrices
    from walk_with_dl.models.language import RecurrentLanguageModel
    from walk_with_dl.data.text import language_model_dataloaders, load_pydoc_char_corpus
    from walk_with_dl.nn.losses import cross_entropy
    corpus = load_pydoc_char_corpus()
    dls = language_model_dataloaders(corpus, sequence_length=64, batch_size=config["bs"], valid_sequence_length=64,
                                     seed=seed, random_offsets=True)
    rngs = make_rngs(seed)
    if kind == "gpt":
        model = GPT(corpus.vocab_size, 64, features=config["features"], num_layers=config["layers"], num_heads=config["heads"],
                    hidden_features=int(round(config["ffn"] * config["features"])), positions=config["positions"],
                    dropout=config["dropout"], conv_kernel_size=config["conv"] or None, rngs=rngs)
    else:
        model = RecurrentLanguageModel(corpus.vocab_size, embedding_size=config["embedding"], hidden_size=config["hidden"],
                                       num_layers=config["layers"], dropout=config["dropout"], rngs=rngs)
    if config["init"]: reinitialise(kind, model, seed)
    optimizer = partial(adamw_decaying_matrices, weight_decay=config["wd"], b2=config["b2"])
    learn = Learner(model, dls, cross_entropy, optimizer=optimizer, lr=config["lr"], cbs=[GradientClip(1.0)], seed=seed)
    learn.cbs = [cb for cb in learn.cbs if type(cb).__name__ != "ProgressCallback"]
    return learn


def reinitialise(kind: str, model, seed: int):
    import jax, jax.numpy as jnp
    if kind == "lstm":
        for name in ("bias_ih", "bias_hh"):
            for layer in range(model.recurrent.num_layers):
                p = getattr(model.recurrent, f"{name}_l{layer}")
                h = p.shape[0] // 4
                p.value = p.value.at[h:2 * h].set(0.5)        # the two biases add up to 1 on the forget gate
        return
    key = jax.random.key(seed + 1000)
    scale = 1 / (2 * len(model.blocks)) ** 0.5
    for block in model.blocks:
        for layer, s in ((block.attention.query, 1), (block.attention.key, 1), (block.attention.value, 1),
                         (block.attention.out, scale), (block.mlp.up, 1), (block.mlp.down, scale)):
            key, sub = jax.random.split(key)
            layer.kernel.value = 0.02 * s * jax.random.normal(sub, layer.kernel.shape)


def n_params(model) -> int:
    import jax
    from flax import nnx
    return sum(int(np.prod(p.shape)) for p in jax.tree.leaves(nnx.state(model, nnx.Param)))


def run(spec: str, seed: int, epochs: int) -> dict:
    kind, config = parse(spec)
    start = time.perf_counter()
    learn = build(kind, config, seed, epochs)
    learn.fit_one_cycle(epochs, config["lr"], pct_start=config["pct"])
    last = learn.recorder.history[-1]
    return dict(config=spec, seed=seed, params=n_params(learn.model), valid_loss=float(last["valid_loss"]),
                train_loss=float(last["train_loss"]), seconds=time.perf_counter() - start)


def summarise(rows: list[dict]) -> list[dict]:
    out = []
    for spec in dict.fromkeys(r["config"] for r in rows):
        runs = [r for r in rows if r["config"] == spec]
        losses = [r["valid_loss"] for r in runs]
        out.append(dict(config=spec, params=runs[0]["params"], seeds=len(runs), valid_mean=statistics.mean(losses),
                        valid_spread=max(losses) - min(losses), train_mean=statistics.mean(r["train_loss"] for r in runs),
                        seconds=statistics.median(r["seconds"] for r in runs)))
    return out


def parse_ranking(expect: str) -> list[str]:
    "The tokens of a ranking `A < B << C`: configurations at even places, operators at odd ones."
    tokens = expect.split()
    if tokens and (len(tokens) % 2 == 0 or any(op not in ("<", "<<") for op in tokens[1::2])):
        raise ValueError(f"--expect must read 'config < config << config ...', got {expect!r}")
    return tokens


def check_ranking(expect: str, rows: list[dict]) -> list[str]:
    "The failures of the ranking `expect` (`A < B << C ...`, see the module docstring) on `rows`; empty when it holds."
    tokens = parse_ranking(expect)
    if not tokens: return []
    losses = {}
    for r in rows: losses.setdefault(r["config"], []).append(r["valid_loss"])
    failures = [f"{spec} was not run" for spec in tokens[::2] if spec not in losses]
    if failures: return failures
    for left, op, right in zip(tokens[0::2], tokens[1::2], tokens[2::2]):
        a, b = losses[left], losses[right]
        held = statistics.mean(a) < statistics.mean(b) if op == "<" else max(a) < min(b)
        what = (f"mean {statistics.mean(a):.4f} vs {statistics.mean(b):.4f}" if op == "<"
                else f"worst seed {max(a):.4f} vs best seed {min(b):.4f}")
        print(f"{'ok  ' if held else 'FAIL'} {left} {op} {right}: {what}")
        if not held: failures.append(f"{left} {op} {right} does not hold ({what})")
    return failures


def table(summary: list[dict]) -> str:
    lines = ["| configuration | params | seeds | valid loss (mean) | spread | train loss | s/run |", "|---|---|---|---|---|---|---|"]
    for s in summary:
        lines.append(f"| `{s['config']}` | {s['params']:,} | {s['seeds']} | {s['valid_mean']:.4f} | {s['valid_spread']:.4f} | "
                     f"{s['train_mean']:.4f} | {s['seconds']:.0f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", nargs="+", default=["gpt:conv=3", "gpt:", "lstm:lr=0.07"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--expect", default="gpt:conv=3 << lstm:lr=0.07 < gpt:",
                        help="the ranking to assert (exit 1 if not met); '' asserts nothing")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--json", help="also write every run and the summary to this file")
    args = parser.parse_args()
    missing = [spec for spec in parse_ranking(args.expect)[::2] if spec not in args.configs]   # fail now, not after hours
    if missing: parser.error(f"--expect names configurations that are not in --configs: {missing}")
    rows = []
    for seed in args.seeds:                   # seeds outermost: every configuration sees the same machine load in turn
        for spec in args.configs:
            rows.append(run(spec, seed, args.epochs))
            r = rows[-1]
            print(f"{spec:50s} seed {seed}  params {r['params']:,}  valid {r['valid_loss']:.4f}  train {r['train_loss']:.4f}"
                  f"  {r['seconds']:.0f} s", flush=True)
    summary = summarise(rows)
    print(table(summary))
    if args.json:
        with open(args.json, "w") as f: json.dump(dict(epochs=args.epochs, runs=rows, summary=summary), f, indent=1)
    failures = check_ranking(args.expect, rows)
    if failures:
        print("ranking not met:\n  " + "\n  ".join(failures))
        raise SystemExit(1)
