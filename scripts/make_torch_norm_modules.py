#!/usr/bin/python3
"""Writes tests/data/norm_modules/: PyTorch state dicts of BatchNorm2d, LayerNorm and GroupNorm
saved with NumPy (np.savez of {k: v.numpy()}), with an input and torch's outputs, for
tests/nn/test_normalization.cpp; and a BatchNorm1d trained for several steps, for the running
statistics. Run with Debian's interpreter, which has python3-torch:
    /usr/bin/python3 scripts/make_torch_norm_modules.py

Files, for DT in float32 and float64:
    <layer>_<DT>_state.npz   the state dict (parameters and buffers, PyTorch's names and shapes)
    <layer>_<DT>_io.npz      x, y_eval = module.eval()(x), y_train = module.train()(x), and for
                             batchnorm2d the buffers after that training step (running_mean,
                             running_var, num_batches_tracked)
    batchnorm1d_steps.npz    float64; for momentum 0.3 ("m") and None, the cumulative average
                             ("cumulative"): x<k>, y<k> and the buffers after step k = 0..3 in
                             training mode, then y_eval on x0

num_batches_tracked is an int64 tensor in PyTorch and in xgrad; it is saved as it is ('<i8').
"""

import math
import os

import numpy as np
import torch

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data",
                       "norm_modules")


def wave(shape, phase, scale=1.0, offset=0.0):
    """offset + scale * sin(1.3 i + phase) over the flat index i, as make_torch_reference.py."""
    n = int(np.prod(shape, dtype=np.int64))
    flat = [offset + scale * math.sin(1.3 * i + phase) for i in range(n)]
    return np.array(flat, dtype=np.float64).reshape(shape)


def numpy_state(module, dtype):
    del dtype  # every entry keeps its own dtype, num_batches_tracked int64
    return {k: v.numpy() for k, v in module.state_dict().items()}


def fill(module, dtype):
    """Parameters and running statistics set to fixed, non-trivial values."""
    with torch.no_grad():
        for i, (name, t) in enumerate(module.state_dict().items()):
            if name.endswith("num_batches_tracked"):
                t.fill_(3)
            elif name.endswith("running_var") or name.endswith("weight"):
                t.copy_(torch.tensor(wave(tuple(t.shape), 0.4 * i, 0.4, 1.0), dtype=dtype))
            else:
                t.copy_(torch.tensor(wave(tuple(t.shape), 0.4 * i, 0.5), dtype=dtype))


def write_layer(name, make, x_shape):
    for dtype, dt in [(torch.float32, "float32"), (torch.float64, "float64")]:
        module = make().to(dtype)
        fill(module, dtype)
        np.savez(os.path.join(OUT_DIR, f"{name}_{dt}_state.npz"), **numpy_state(module, dtype))
        x = torch.tensor(wave(x_shape, 0.9, 1.5, 0.3), dtype=dtype)
        io = {"x": x.numpy()}
        with torch.no_grad():
            io["y_eval"] = module.eval()(x).numpy()
            io["y_train"] = module.train()(x).numpy()
        for k, v in numpy_state(module, dtype).items():
            if "running" in k or "num_batches" in k:
                io[k] = v
        np.savez(os.path.join(OUT_DIR, f"{name}_{dt}_io.npz"), **io)


def write_steps():
    out = {}
    for tag, momentum in [("m", 0.3), ("cumulative", None)]:
        module = torch.nn.BatchNorm1d(3, momentum=momentum).double()
        with torch.no_grad():
            for step in range(4):
                x = torch.tensor(wave((5, 3, 2), 0.7 * step, 1.0 + step, 0.5 * step))
                out[f"{tag}_x{step}"] = x.numpy()
                out[f"{tag}_y{step}"] = module(x).numpy()
                out[f"{tag}_running_mean{step}"] = module.running_mean.numpy().copy()
                out[f"{tag}_running_var{step}"] = module.running_var.numpy().copy()
                out[f"{tag}_num_batches_tracked{step}"] = module.num_batches_tracked.numpy().copy()
            module.eval()
            out[f"{tag}_y_eval"] = module(torch.tensor(out[f"{tag}_x0"])).numpy()
    np.savez(os.path.join(OUT_DIR, "batchnorm1d_steps.npz"), **out)


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    write_layer("batchnorm2d", lambda: torch.nn.BatchNorm2d(4), (2, 4, 3, 3))
    write_layer("layernorm", lambda: torch.nn.LayerNorm((3, 5)), (2, 4, 3, 5))
    write_layer("groupnorm", lambda: torch.nn.GroupNorm(2, 4), (2, 4, 3, 3))
    write_steps()
    print("wrote", sorted(os.listdir(OUT_DIR)))


if __name__ == "__main__":
    main()
