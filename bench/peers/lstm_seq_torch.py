#!/usr/bin/python3
"""PyTorch eager peer of xgrad_bench's lstm_seq workload (docs/benchmarks.md): 20 SGD steps of
torch.nn.LSTM(16, 128) on one fixed batch, same data and initial weights (splitmix64 streams),
float32 on CPU. Prints one JSON line in xgrad_bench's format.

    /usr/bin/python3 bench/peers/lstm_seq_torch.py [--threads N] [--reps R]
"""
import argparse
import json
import math
import resource
import time

import numpy as np
import torch

T, B, I, H, STEPS, LR = 64, 32, 16, 128, 20, 0.5
MASK = (1 << 64) - 1


def splitmix(seed, n):
    state, out = seed, []
    for _ in range(n):
        state = (state + 0x9E3779B97F4A7C15) & MASK
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        out.append(z ^ (z >> 31))
    return out


def uniform(seed, n):
    return np.array([(v >> 11) * 2.0 ** -53 for v in splitmix(seed, n)])


def normal(seed, n):
    u = uniform(seed, 2 * n)
    u1, u2 = u[0::2], u[1::2]
    return np.sqrt(-2.0 * np.log(1.0 - u1)) * np.cos(2.0 * math.pi * u2)


def f32(a, shape):
    return torch.tensor(np.asarray(a, dtype=np.float64).astype(np.float32).reshape(shape))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--reps", type=int, default=5)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    x = f32(normal(41, T * B * I), (T, B, I))
    target = f32(0.8 * (2 * uniform(42, B * H) - 1), (B, H))
    weights = [(2 * uniform(43 + k, n) - 1) / math.sqrt(H)
               for k, n in enumerate([4 * H * I, 4 * H * H, 4 * H, 4 * H])]

    def setup():
        lstm = torch.nn.LSTM(I, H)
        with torch.no_grad():
            for prm, w in zip(lstm.parameters(), weights):
                prm.copy_(f32(w, tuple(prm.shape)))
        return lstm

    def train(lstm):
        sgd = torch.optim.SGD(lstm.parameters(), lr=LR)
        losses = []
        for _ in range(STEPS):
            out, _ = lstm(x)
            loss = torch.nn.functional.mse_loss(out[T - 1], target)
            sgd.zero_grad()
            loss.backward()
            sgd.step()
            losses.append(loss.item())
        return losses

    losses = train(setup())  # warm-up
    times = []
    for _ in range(a.reps):
        lstm = setup()
        t0 = time.perf_counter()
        losses = train(lstm)
        times.append(time.perf_counter() - t0)
    med = float(np.median(times))
    print(json.dumps({
        "impl": "torch", "workload": "lstm_seq", "threads": a.threads, "reps": a.reps,
        "median_s": med, "min_s": min(times), "unit": "ms/step", "value": med / STEPS * 1e3,
        "first_loss": losses[0], "final_loss": losses[-1],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)}))


if __name__ == "__main__":
    main()
