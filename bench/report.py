"""Turn benchmark JSON lines (bench/run.sh's output) into the tables of docs/benchmarks.md and the
plot docs/images/benchmarks.png.

    /usr/bin/python3 bench/report.py RESULTS.jsonl [MORE.jsonl ...] [--update-docs] [--plot PNG]

Records are the peers' JSON lines plus xgrad_bench's, one per (round, implementation, workload,
threads); run.sh adds the round. Each cell is the median over rounds of the per-process median.
Prints Markdown: speed side by side with xgrad's speed-up over each peer, peak RSS, GEMM efficiency
against OpenBLAS sgemm alone, 1 -> 2 thread scaling, the targets of the "Performance" issue and
of issues 14 (hand-written C, dlib, seed_mlp), 15 (conv_digits, conv2d_large) and 16 (lstm_seq), and
xgrad's checks against the reference values (WORKLOADS.md's; docs/benchmarks.md's for xgrad's own
workloads). --update-docs writes the tables between
the markers of docs/benchmarks.md and the plot to docs/images/benchmarks.png (python3-matplotlib).
"""
import json
import os
import statistics
import sys
from collections import defaultdict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(ROOT, "docs", "benchmarks.md")
PLOT = os.path.join(ROOT, "docs", "images", "benchmarks.png")
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"

WORKLOADS = ["op_overhead", "matmul_512", "mlp_small", "mlp_large", "linreg", "logreg", "seed_mlp",
             "conv_digits", "conv2d_large", "lstm_seq"]  # the last three: docs/benchmarks.md's own
PEERS = ["numpy", "torch", "libtorch", "handwritten", "dlib"]
RSS_PEERS = ["numpy", "torch", "libtorch", "dlib"]  # no memory target against the hand-written C
LOWER_IS_BETTER = {"ns/op", "ms/iter", "ms/step"}
GEMM_WORKLOADS = ["matmul_512", "mlp_large"]

# WORKLOADS.md: reference (PyTorch, 1 thread) and tolerance of each check.
REFERENCE = {
    "op_overhead": {"final_loss": (8.420476, "rel", 1e-4), "grad_sum": (0.9995380, "rel", 1e-4)},
    "matmul_512": {"final_loss": (33589752, "rel", 1e-3), "grad_sum": (134289760, "rel", 1e-3)},
    "mlp_small": {"final_loss": (0.01155873, "rel", 1e-2), "final_acc": (0.9990234, "abs", 2e-3)},
    "mlp_large": {"final_loss": (1.844676, "rel", 1e-3), "final_acc": (0.4632812, "abs", 2e-3)},
    "linreg": {"final_loss": (0.009947855, "rel", 1e-4)},
    "logreg": {"final_loss": (0.2217717, "rel", 1e-4), "final_acc": (0.90064, "abs", 2e-4)},
    "seed_mlp": {"final_loss": (0.2286230, "rel", 1e-3), "final_acc": (0.9464, "abs", 1e-3)},
    # xgrad's own workloads: docs/benchmarks.md (PyTorch's values, as xgrad_bench --smoke checks)
    "conv_digits": {"final_loss": (2.266037, "rel", 1e-3), "final_acc": (0.1296875, "abs", 5e-3)},
    "conv2d_large": {"dw_sum": (-751470.8, "rel", 1e-3)},
    "lstm_seq": {"first_loss": (0.2157026, "rel", 1e-4), "final_loss": (0.2119843, "rel", 1e-4)},
}
CHECKS = ("final_loss", "final_acc", "grad_sum", "first_loss", "dw_sum")

# Minimum speed-up of xgrad over a peer, per workload (same threads): the "Performance" issue;
# issue 14 (hand-written C: op_overhead's ns/op at most 3x its own, so a speed-up of 1/3; seed_mlp
# ahead of every framework; dlib); issues 15 and 16 (conv_digits, lstm_seq: at least libtorch).
SPEEDUP_TARGETS = {
    "op_overhead": {"torch": 5.0, "libtorch": 2.0, "numpy": 2.0, "handwritten": 1 / 3},
    "mlp_small": {"torch": 3.0, "libtorch": 1.5, "numpy": 1.0, "handwritten": 0.9, "dlib": 1.0},
    "mlp_large": {"handwritten": 0.97, "dlib": 1.0},
    "linreg": {"numpy": 1.0, "torch": 3.0, "handwritten": 0.95},
    "logreg": {"numpy": 1.0, "torch": 3.0, "handwritten": 1.0},
    "seed_mlp": {"numpy": 1.0, "torch": 1.0, "libtorch": 1.0, "dlib": 1.0, "handwritten": 0.8},
    "conv_digits": {"libtorch": 1.0},
    "lstm_seq": {"libtorch": 1.0},
}
GEMM_TARGET = {1: 0.95, 2: 0.88}  # share of sgemm_limit's GFLOP/s
CONV_GEMM_TARGET = 0.8  # conv2d_large: share of sgemm's GFLOP/s on its im2col products (issue 15)
# Peak memory below libtorch's (issues 15, 16); the other workloads: below every RSS_PEERS' present
# (dlib's: issue 14).
RSS_TARGETS = {"conv_digits": ["libtorch"], "lstm_seq": ["libtorch"]}
# xgrad_bench --step after: the MLPs' SGD step after backward, from .grad(), as the peers take it
# ("xgrad" takes it inside backward: optim::SGD::fuse_into_backward).
STEP_AFTER = "xgrad_step_after"
# xgrad_bench --graph: the step captured once (CapturedGraph) and replayed; the capture is timed.
GRAPH = "xgrad_graph"
GRAPH_WORKLOADS = ["op_overhead", "mlp_small", "mlp_large", "seed_mlp"]


def load(paths):
    records = []
    for path in paths:
        with open(path) as f:
            records += [json.loads(line) for line in f if line.strip().startswith("{")]
    return records


class Cell:
    """The runs of one (workload, implementation, threads): medians over rounds."""

    def __init__(self, runs):
        self.runs = runs
        self.unit = runs[0]["unit"]
        self.value = statistics.median(r["value"] for r in runs)
        self.median_s = statistics.median(r["median_s"] for r in runs)
        gflops = [r["gflops"] for r in runs if "gflops" in r]
        self.gflops = statistics.median(gflops) if gflops else None
        self.rss = max(r["peak_rss_mb"] for r in runs)
        self.checks = {k: statistics.median(r[k] for r in runs) for k in CHECKS if k in runs[0]}
        sgemm = [r["sgemm_gflops"] for r in runs if "sgemm_gflops" in r]  # conv2d_large's own
        self.sgemm_gflops = statistics.median(sgemm) if sgemm else None


def cells(records):
    grouped = defaultdict(list)
    for r in records:
        grouped[(r["workload"], r["impl"], r["threads"])].append(r)
    return {key: Cell(runs) for key, runs in grouped.items()}


def speedup(xgrad, peer):
    """How many times faster xgrad is than the peer (> 1: xgrad is faster)."""
    if xgrad.unit in LOWER_IS_BETTER:
        return peer.value / xgrad.value
    return xgrad.value / peer.value


def fmt(v):
    return "–" if v is None else f"{v:.4g}"


def tables(by, threads):
    out = []
    peers = [p for p in PEERS if any(k[1] == p for k in by)]
    rounds = max((len(c.runs) for c in by.values()), default=0)

    out.append("### Speed\n")
    out.append("Median over %d round%s of each process's median repetition; the speed-up is "
               "xgrad's speed over the peer's (above 1: xgrad is faster).\n"
               % (rounds, "" if rounds == 1 else "s"))
    head = ["workload", "threads", "unit", "xgrad"] + peers + [f"× {p}" for p in peers]
    out.append("| " + " | ".join(head) + " |")
    out.append("|" + "---|" * len(head))
    for w in WORKLOADS:
        for t in threads:
            x = by.get((w, "xgrad", t))
            if x is None:
                continue
            row = [w, str(t), x.unit, fmt(x.value)]
            row += [fmt(by[(w, p, t)].value) if (w, p, t) in by else "–" for p in peers]
            row += [f"{speedup(x, by[(w, p, t)]):.2f}" if (w, p, t) in by else "–" for p in peers]
            out.append("| " + " | ".join(row) + " |")

    out.append("\n### Peak memory\n")
    out.append("Peak resident set of the process (MB), one process per workload.\n")
    head = ["workload", "threads", "xgrad"] + peers
    out.append("| " + " | ".join(head) + " |")
    out.append("|" + "---|" * len(head))
    for w in WORKLOADS:
        for t in threads:
            if (w, "xgrad", t) not in by:
                continue
            row = [w, str(t)] + [f"{by[(w, i, t)].rss:.0f}" if (w, i, t) in by else "–"
                                 for i in ["xgrad"] + peers]
            out.append("| " + " | ".join(row) + " |")

    out.append("\n### GEMM efficiency\n")
    out.append("GEMM FLOPs per second over the whole workload (autograd, elementwise work and "
               "all), against OpenBLAS `cblas_sgemm` alone on the same GEMMs (`sgemm_limit`).\n")
    out.append("| workload | threads | xgrad GFLOP/s | sgemm_limit GFLOP/s | efficiency | target |")
    out.append("|---|---|---|---|---|---|")
    for w in GEMM_WORKLOADS:
        for t in threads:
            lim = by.get((w, "sgemm_limit", t))
            for impl, label in (("xgrad", "xgrad"), (STEP_AFTER, "xgrad, step after backward")):
                x = by.get((w, impl, t))
                if x is None or lim is None or x.gflops is None or lim.gflops is None:
                    continue
                target = GEMM_TARGET.get(t) if impl == "xgrad" else None
                name = w if impl == "xgrad" else f"{w} ({label})"
                out.append(f"| {name} | {t} | {x.gflops:.1f} | {lim.gflops:.1f} | "
                           f"{100 * x.gflops / lim.gflops:.1f}% | "
                           f"{'–' if target is None else f'{100 * target:.0f}%'} |")
    for t in threads:  # conv2d_large: xgrad_bench times sgemm on its im2col products itself
        x = by.get(("conv2d_large", "xgrad", t))
        if x and x.gflops and x.sgemm_gflops:
            out.append(f"| conv2d_large (sgemm on its im2col products) | {t} | {x.gflops:.1f} | "
                       f"{x.sgemm_gflops:.1f} | {100 * x.gflops / x.sgemm_gflops:.1f}% | "
                       f"{100 * CONV_GEMM_TARGET:.0f}% |")

    fused = [(w, t) for w in WORKLOADS for t in threads
             if (w, "xgrad", t) in by and (w, STEP_AFTER, t) in by]
    if fused:
        out.append("\n### The SGD step inside backward\n")
        out.append("`xgrad` takes the MLPs' SGD step inside the backward pass "
                   "(`optim::SGD::fuse_into_backward`: each weight's gradient product writes the "
                   "update into the weight); `xgrad_step_after` stores the gradients and steps "
                   "after backward, as the peers do. Same results (see Checks).\n")
        out.append("| workload | threads | unit | step inside backward | step after backward | "
                   "ratio |")
        out.append("|---|---|---|---|---|---|")
        for w, t in fused:
            x, a = by[(w, "xgrad", t)], by[(w, STEP_AFTER, t)]
            out.append(f"| {w} | {t} | {x.unit} | {fmt(x.value)} | {fmt(a.value)} | "
                       f"{speedup(x, a):.2f} |")

    replayed = [(w, t) for w in GRAPH_WORKLOADS for t in threads
                if (w, "xgrad", t) in by and (w, GRAPH, t) in by]
    if replayed:
        out.append("\n### A captured step, replayed\n")
        out.append("`xgrad_graph` captures the first pass or training step once "
                   "(`CapturedGraph::capture`, inside the clock) and replays its kernels for the "
                   "rest: no graph, no nodes, no allocation. Same results as `xgrad` (see Checks). "
                   "Speed against `xgrad` (eager) and against the hand-written C.\n")
        out.append("| workload | threads | unit | eager | replayed | handwritten | "
                   "replayed / eager | replayed / handwritten |")
        out.append("|---|---|---|---|---|---|---|---|")
        for w, t in replayed:
            x, g, h = by[(w, "xgrad", t)], by[(w, GRAPH, t)], by.get((w, "handwritten", t))
            out.append(f"| {w} | {t} | {x.unit} | {fmt(x.value)} | {fmt(g.value)} | "
                       f"{fmt(h.value) if h else '–'} | {speedup(g, x):.2f} | "
                       f"{f'{speedup(g, h):.2f}' if h else '–'} |")

    if 1 in threads and 2 in threads:
        out.append("\n### Threads\n")
        out.append("xgrad at 2 threads against 1 thread (time at 1 thread / time at 2 threads).\n")
        out.append("| workload | 1 thread | 2 threads | speed-up |")
        out.append("|---|---|---|---|")
        for w in WORKLOADS:
            a, b = by.get((w, "xgrad", 1)), by.get((w, "xgrad", 2))
            if a and b:
                out.append(f"| {w} ({a.unit}) | {fmt(a.value)} | {fmt(b.value)} | "
                           f"{a.median_s / b.median_s:.2f} |")

    out.append("\n### Targets\n")
    out.append("| target | measured | met |")
    out.append("|---|---|---|")
    for line in targets(by, threads, peers):
        out.append(line)

    out.append("\n### Checks\n")
    out.append("xgrad's results against WORKLOADS.md's reference values (PyTorch, 1 thread).\n")
    out.append("| workload | threads | check | xgrad | reference | tolerance | status |")
    out.append("|---|---|---|---|---|---|---|")
    for w in WORKLOADS:
        for t in threads:
            for impl in ("xgrad", STEP_AFTER, GRAPH):
                x = by.get((w, impl, t))
                if x is None:
                    continue
                for name, (ref, kind, tol) in REFERENCE[w].items():
                    if name not in x.checks:
                        continue
                    v = x.checks[name]
                    dev = abs(v - ref) / (abs(ref) if kind == "rel" else 1.0)
                    shown = {"xgrad": w, STEP_AFTER: f"{w} (step after)",
                             GRAPH: f"{w} (replayed)"}[impl]
                    out.append(f"| {shown} | {t} | {name} | {v:.7g} | {ref:.7g} | {kind} {tol:g} | "
                               f"{'ok' if dev <= tol else 'FAIL'} |")
    return "\n".join(out) + "\n"


def targets(by, threads, peers):
    def row(what, measured, met):
        return f"| {what} | {measured} | {'yes' if met else '**no**'} |"

    for t in threads:
        for w, wanted in SPEEDUP_TARGETS.items():
            x = by.get((w, "xgrad", t))
            for p, factor in wanted.items():
                if x is None or (w, p, t) not in by:
                    continue
                s = speedup(x, by[(w, p, t)])
                yield row(f"{w}, {t} thread{'s' * (t > 1)}: ≥ {factor:.2g}× {p}", f"{s:.2f}×",
                          s >= factor)
                g = by.get((w, GRAPH, t))
                if g is not None:
                    s = speedup(g, by[(w, p, t)])
                    yield row(f"{w} replayed, {t} thread{'s' * (t > 1)}: ≥ {factor:.2g}× {p}",
                              f"{s:.2f}×", s >= factor)
        for w in GEMM_WORKLOADS:
            x, lim = by.get((w, "xgrad", t)), by.get((w, "sgemm_limit", t))
            if x and lim and x.gflops and lim.gflops and t in GEMM_TARGET:
                e = x.gflops / lim.gflops
                yield row(f"{w}, {t} thread{'s' * (t > 1)}: ≥ {100 * GEMM_TARGET[t]:.0f}% of sgemm",
                          f"{100 * e:.1f}%", e >= GEMM_TARGET[t])
        x = by.get(("conv2d_large", "xgrad", t))
        if x and x.gflops and x.sgemm_gflops:
            e = x.gflops / x.sgemm_gflops
            yield row(f"conv2d_large, {t} thread{'s' * (t > 1)}: ≥ {100 * CONV_GEMM_TARGET:.0f}% "
                      "of sgemm on its im2col products", f"{100 * e:.1f}%", e >= CONV_GEMM_TARGET)
    for w in WORKLOADS:
        for t in threads:
            x = by.get((w, "xgrad", t))
            wanted = RSS_TARGETS.get(w, [p for p in RSS_PEERS if p in peers])
            rss = [by[(w, p, t)].rss for p in wanted if (w, p, t) in by]
            if x and rss:
                whose = "every peer's" if w not in RSS_TARGETS else " and ".join(wanted) + "'s"
                yield row(f"{w}, {t} thread{'s' * (t > 1)}: peak RSS below {whose}",
                          f"{x.rss:.0f} MB vs {min(rss):.0f} MB", x.rss < min(rss))
    if 1 in threads and 2 in threads:
        for w in WORKLOADS:
            a, b = by.get((w, "xgrad", 1)), by.get((w, "xgrad", 2))
            if a and b:
                yield row(f"{w}: 2 threads no slower than 1", f"{a.median_s / b.median_s:.2f}×",
                          b.median_s <= a.median_s)
            a, b = by.get((w, GRAPH, 1)), by.get((w, GRAPH, 2))
            if a and b:
                yield row(f"{w} replayed: 2 threads no slower than 1",
                          f"{a.median_s / b.median_s:.2f}×", b.median_s <= a.median_s)


def environment(paths):
    """run.sh's note of the machine and the versions (RESULTS.env.txt beside RESULTS.jsonl)."""
    for path in paths:
        env = path[:-len(".jsonl")] + ".env.txt" if path.endswith(".jsonl") else None
        if env and os.path.exists(env):
            with open(env) as f:
                lines = [line.rstrip() for line in f if line.strip()]
            return ("Measured by `bench/run.sh` (" + os.path.basename(env) + "):\n\n```\n" +
                    "\n".join(lines) + "\n```\n\n")
    return ""


def plot(by, threads, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"no plot: matplotlib is missing (apt-get install python3-matplotlib)",
              file=sys.stderr)
        return False
    impls = ["xgrad"] + [p for p in PEERS if any(k[1] == p for k in by)]
    colors = {"xgrad": "#d62728", "numpy": "#1f77b4", "torch": "#ff7f0e", "libtorch": "#2ca02c",
              "handwritten": "#7f7f7f", "dlib": "#9467bd"}
    shown = [w for w in WORKLOADS if (w, "xgrad", threads[0]) in by]
    cols = 3
    rows = (len(shown) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.3 * rows), squeeze=False)
    width = 0.8 / len(impls)
    for ax, w in zip(axes.flat, shown):
        # speed relative to NumPy at 1 thread (or the first implementation present): higher is better
        base_key = (w, "numpy", threads[0]) if (w, "numpy", threads[0]) in by else \
            (w, "xgrad", threads[0])
        base = by[base_key]
        for i, impl in enumerate(impls):
            heights = []
            for t in threads:
                c = by.get((w, impl, t))
                heights.append(0 if c is None else
                               (base.value / c.value if c.unit in LOWER_IS_BETTER
                                else c.value / base.value))
            xs = [j + (i - (len(impls) - 1) / 2) * width for j in range(len(threads))]
            ax.bar(xs, heights, width, label=impl, color=colors.get(impl))
        ax.set_xticks(range(len(threads)))
        ax.set_xticklabels([f"{t} thread{'s' * (t > 1)}" for t in threads])
        ax.set_title(f"{w} ({by[(w, 'xgrad', threads[0])].unit})", fontsize=10)
        ax.axhline(1.0, color="grey", linewidth=0.6)
        ax.set_ylabel(f"speed vs {base_key[1]}, 1 thread", fontsize=8)
    for ax in list(axes.flat)[len(shown):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=8)
    fig.suptitle("xgrad and its peers, same workloads (higher is faster)", fontsize=11)
    fig.tight_layout()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fig.savefig(path, dpi=110)
    return True


def update_doc(markdown):
    with open(DOC) as f:
        text = f.read()
    if BEGIN not in text or END not in text:
        sys.exit(f"{DOC}: no {BEGIN} ... {END} markers to fill")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    with open(DOC, "w") as f:
        f.write(head + BEGIN + "\n" + markdown + END + tail)


def main(argv):
    paths = [a for a in argv if not a.startswith("--")]
    if not paths:
        sys.exit(__doc__)
    plot_path = PLOT
    if "--plot" in argv:
        plot_path = argv[argv.index("--plot") + 1]
        paths.remove(plot_path)
    by = cells(load(paths))
    threads = sorted({k[2] for k in by})
    markdown = environment(paths) + tables(by, threads)
    print(markdown)
    if "--update-docs" in argv or "--plot" in argv:
        if plot(by, threads, plot_path):
            print(f"plot: {plot_path}", file=sys.stderr)
    if "--update-docs" in argv:
        update_doc(markdown)
        print(f"tables: {DOC}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
