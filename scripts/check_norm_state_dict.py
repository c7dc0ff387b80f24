#!/usr/bin/python3
"""The reverse of make_torch_norm_modules.py: loads state dicts that xgrad saved (nn::save) into
PyTorch's BatchNorm2d, LayerNorm and GroupNorm and checks that torch computes the outputs xgrad
computed. Called by tests/nn/test_normalization.cpp with the directory it wrote:
    /usr/bin/python3 scripts/check_norm_state_dict.py DIR

DIR holds, for LAYER in batchnorm2d, layernorm, groupnorm and DT in float32, float64:
    LAYER_DT_state.npz   xgrad's checkpoint (its "__xgrad__.json" entry is skipped); for
                         batchnorm2d, num_batches_tracked must be int64 as PyTorch's
    LAYER_DT_io.npz      x, xgrad's y_eval (eval mode) and y_train (training mode)
Exits 0 when every output agrees (1e-12 in float64, 1e-6 in float32), 1 naming the first that
does not, 2 when torch is missing.
"""

import os
import sys

import numpy as np

try:
    import torch
except ImportError:
    print("torch is not installed", file=sys.stderr)
    sys.exit(2)

LAYERS = {
    "batchnorm2d": lambda: torch.nn.BatchNorm2d(4),
    "layernorm": lambda: torch.nn.LayerNorm((3, 5)),
    "groupnorm": lambda: torch.nn.GroupNorm(2, 4),
}


def main():
    directory = sys.argv[1]
    for name, make in LAYERS.items():
        for dt, dtype, tol in [("float32", torch.float32, 1e-6), ("float64", torch.float64, 1e-12)]:
            archive = np.load(os.path.join(directory, f"{name}_{dt}_state.npz"))
            state = {k: torch.from_numpy(archive[k]) for k in archive.files
                     if not k.startswith("__xgrad__")}
            for k, v in state.items():
                if k.endswith("num_batches_tracked") and v.dtype != torch.int64:
                    print(f"{name} {dt}: {k} is {v.dtype}, PyTorch's is int64", file=sys.stderr)
                    return 1
            module = make().to(dtype)
            module.load_state_dict(state, strict=True)
            io = np.load(os.path.join(directory, f"{name}_{dt}_io.npz"))
            x = torch.from_numpy(io["x"])
            with torch.no_grad():
                for mode in ["eval", "train"]:
                    getattr(module, mode)()
                    y = module(x).numpy()
                    expected = io[f"y_{mode}"]
                    worst = float(np.max(np.abs(y - expected) / (tol + tol * np.abs(expected))))
                    if y.dtype != expected.dtype or worst > 1:
                        print(f"{name} {dt} {mode}: torch and xgrad differ (worst error "
                              f"{worst:.3g} tolerances, dtypes {y.dtype} {expected.dtype})",
                              file=sys.stderr)
                        return 1
    print("torch computes xgrad's outputs from xgrad's state dicts")
    return 0


if __name__ == "__main__":
    sys.exit(main())
