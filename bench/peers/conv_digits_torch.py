#!/usr/bin/python3
"""PyTorch eager peer of xgrad_bench's convolution workloads (docs/benchmarks.md,
bench/conv_workloads.hpp): conv_digits and conv2d_large, the same data and initial weights from the
same splitmix64 formulas, one JSON line per workload in xgrad_bench's format.

    /usr/bin/python3 bench/peers/conv_digits_torch.py [--threads N] [--reps R] [--workload W]
"""
import argparse
import json
import math
import resource
import statistics
import time

import numpy as np
import torch
import torch.nn.functional as F

BATCH, POOL, STEPS, LR = 64, 640, 50, 0.05
BIG_N, BIG_C, BIG_SIDE, BIG_ITERS = 32, 64, 32, 5
M64 = (1 << 64) - 1


def uniform(seed, n):
    """Draws 1..n of splitmix64 started at `seed`, as doubles in [0, 1)."""
    out, state = [], seed
    for _ in range(n):
        state = (state + 0x9E3779B97F4A7C15) & M64
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        z ^= z >> 31
        out.append((z >> 11) * 2.0 ** -53)
    return out


def weight(shape, seed, fan_in):
    n = math.prod(shape)
    v = [(2.0 * u - 1.0) / math.sqrt(fan_in) for u in uniform(seed, n)]
    return torch.tensor(np.array(v, dtype=np.float32).reshape(shape), requires_grad=True)


def init():
    return [weight((16, 1, 3, 3), 50, 9), weight((16,), 51, 9), weight((32, 16, 3, 3), 52, 144),
            weight((32,), 53, 144), weight((10, 128), 54, 128), weight((10,), 55, 128)]


def forward(p, x):
    h = F.max_pool2d(F.relu(F.conv2d(x, p[0], p[1], 1, 1)), 2)
    h = F.max_pool2d(F.relu(F.conv2d(h, p[2], p[3], 1, 1)), 2)
    return F.linear(h.reshape(x.shape[0], 128), p[4], p[5])


def data():
    y = [math.floor(10.0 * u) for u in uniform(61, POOL)]
    proto = uniform(62, 640)
    noise = uniform(60, POOL * 64)
    x = [0.5 * proto[y[e // 64] * 64 + e % 64] + 0.5 * noise[e] for e in range(POOL * 64)]
    return (torch.tensor(np.array(x, dtype=np.float32).reshape(POOL, 1, 8, 8)),
            torch.tensor(y, dtype=torch.int64))


def conv_digits(reps):
    x, y = data()
    times = []
    for rep in range(-1, reps):
        p = init()
        sgd = torch.optim.SGD(p, lr=LR)
        t0 = time.perf_counter()
        for s in range(STEPS):
            b = s % (POOL // BATCH) * BATCH
            sgd.zero_grad(set_to_none=True)
            F.cross_entropy(forward(p, x[b:b + BATCH]), y[b:b + BATCH]).backward()
            sgd.step()
        if rep >= 0:
            times.append(time.perf_counter() - t0)
    with torch.no_grad():
        logits = forward(p, x)
        checks = {"final_loss": F.cross_entropy(logits, y).item(),
                  "final_acc": (logits.argmax(1) == y).double().mean().item()}
    return times, "samples/s", lambda s: STEPS * BATCH / s, checks, 0


def conv2d_large(reps):
    x = (torch.rand(BIG_N, BIG_C, BIG_SIDE, BIG_SIDE) * 2 - 1).requires_grad_()
    w = (torch.rand(BIG_C, BIG_C, 3, 3) * 0.1 - 0.05).requires_grad_()
    dy = torch.ones(BIG_N, BIG_C, BIG_SIDE, BIG_SIDE)
    times = []
    for rep in range(-1, reps):
        t0 = time.perf_counter()
        for _ in range(BIG_ITERS):
            x.grad = None
            w.grad = None
            F.conv2d(x, w, None, 1, 1).backward(dy)
        if rep >= 0:
            times.append(time.perf_counter() - t0)
    flops = BIG_ITERS * 3 * 2.0 * BIG_C * BIG_C * 9 * BIG_N * BIG_SIDE * BIG_SIDE
    return times, "ms/iter", lambda s: s / BIG_ITERS * 1e3, {"dw_sum": w.grad.sum().item()}, flops


def emit(name, threads, result):
    times, unit, value_of, checks, flops = result
    med = statistics.median(times)
    line = {"impl": "torch", "workload": name, "threads": threads, "reps": len(times),
            "median_s": med, "min_s": min(times), "unit": unit, "value": value_of(med)}
    if flops:
        line["gflops"] = flops / med / 1e9
    line.update(checks)
    line["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)
    print(json.dumps(line), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--workload", default="all", choices=["all", "conv_digits", "conv2d_large"])
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    if args.workload in ("all", "conv_digits"):
        emit("conv_digits", args.threads, conv_digits(args.reps))
    if args.workload in ("all", "conv2d_large"):
        emit("conv2d_large", args.threads, conv2d_large(args.reps))


if __name__ == "__main__":
    main()
