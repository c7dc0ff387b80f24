#!/usr/bin/python3
"""Writes tests/data/transformer/: torch.nn.TransformerEncoderLayer state dicts saved with NumPy
(np.savez of {k: v.numpy()}), with inputs, masks and torch's outputs and input gradients, for
tests/nn/test_transformer.cpp. Run with Debian's interpreter, which has python3-torch:
    /usr/bin/python3 scripts/make_torch_transformer.py

For each case NAME (float64, d_model 8, nhead 2, dim_feedforward 16, dropout 0):
    NAME_state.npz   the state dict, every parameter set to fixed non-trivial values
    NAME_io.npz      x; key_padding_mask and src_mask (bool, true = masked out) when the case
                     uses them; y = layer(x, ...); dx = d sum(y * g) / dx with g = wave(y.shape)
"""

import math
import os

import numpy as np
import torch

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data",
                       "transformer")

# name: (norm_first, activation, batch_first, masks)
CASES = {
    "post_relu": (False, "relu", False, False),
    "pre_gelu_batch_first": (True, "gelu", True, False),
    "post_gelu_masked": (False, "gelu", True, True),
    "pre_relu_masked": (True, "relu", False, True),
}


def wave(shape, phase, scale=1.0, offset=0.0):
    """offset + scale * sin(1.3 i + phase) over the flat index i, as make_torch_reference.py."""
    n = int(np.prod(shape, dtype=np.int64))
    flat = [offset + scale * math.sin(1.3 * i + phase) for i in range(n)]
    return np.array(flat, dtype=np.float64).reshape(shape)


def write_case(name, norm_first, activation, batch_first, masks):
    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0,
                                             activation=activation, batch_first=batch_first,
                                             norm_first=norm_first).double()
    with torch.no_grad():
        for i, (key, t) in enumerate(layer.state_dict().items()):
            offset = 1.0 if key.startswith("norm") and key.endswith("weight") else 0.0
            t.copy_(torch.tensor(wave(tuple(t.shape), 0.3 * i, 0.4, offset)))
    layer.eval()
    np.savez(os.path.join(OUT_DIR, f"{name}_state.npz"),
             **{k: v.numpy() for k, v in layer.state_dict().items()})
    n, s = 2, 5
    shape = (n, s, 8) if batch_first else (s, n, 8)
    x = torch.tensor(wave(shape, 0.9, 1.5, 0.1), requires_grad=True)
    io = {}
    kwargs = {}
    if masks:
        padding = torch.zeros(n, s, dtype=torch.bool)
        padding[0, 3:] = True
        padding[1, 4] = True
        causal = torch.triu(torch.ones(s, s, dtype=torch.bool), diagonal=1)
        kwargs = {"src_mask": causal, "src_key_padding_mask": padding}
        io["key_padding_mask"] = padding.numpy()
        io["src_mask"] = causal.numpy()
    # The fast path (torch._transformer_encoder_layer_fwd) runs only without grad; with
    # requires_grad the layer computes the documented formulas.
    y = layer(x, **kwargs)
    g = torch.tensor(wave(tuple(y.shape), 0.2))
    (dx,) = torch.autograd.grad((y * g).sum(), x)
    io.update({"x": x.detach().numpy(), "y": y.detach().numpy(), "dx": dx.numpy()})
    np.savez(os.path.join(OUT_DIR, f"{name}_io.npz"), **io)


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    for name, case in CASES.items():
        write_case(name, *case)
    print("wrote", sorted(os.listdir(OUT_DIR)))


if __name__ == "__main__":
    main()
