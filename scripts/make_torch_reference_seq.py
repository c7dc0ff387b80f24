#!/usr/bin/python3
"""Writes tests/data/torch_reference_seq.txt: outputs and gradients of torch.nn's sequence modules
(RNNCell, GRUCell, LSTMCell, RNN, GRU, LSTM, Embedding, MultiheadAttention) in float64, for
tests/nn/test_torch_reference_seq.cpp; and tests/data/seq_lstm_state.npz, a 2-layer LSTM's
state_dict saved with numpy.savez, which nn::load must read into an nn::LSTM.

Run with Debian's interpreter, which has python3-torch:
    /usr/bin/python3 scripts/make_torch_reference_seq.py

The format is that of scripts/make_torch_reference.py (see its docstring). In each case the
inputs are the module's data inputs ("input", "h0", "c0", masks...) followed by its parameters
under their state_dict names, every one with requires_grad unless it is data without a gradient;
the output is the module's outputs flattened and concatenated (output, then h_n, then c_n). A case
whose op starts with "hvp_" holds a Hessian-vector product: the output is the gradient g of
sum(h' * u) with respect to the input (u = 0.5 + 0.25 sin(i)), and the grads are those of (g . v).
"""

import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_torch_reference as ref  # noqa: E402  (wave, grad_wave, Input, case, CASES, writer)

HERE = os.path.dirname(os.path.abspath(__file__))
ref.OUT_PATH = os.path.join(HERE, "..", "tests", "data", "torch_reference_seq.txt")
NPZ_PATH = os.path.join(HERE, "..", "tests", "data", "seq_lstm_state.npz")
ref.CASES.clear()

torch.set_default_dtype(torch.float64)


def params_of(module, phase):
    """Deterministic weights for a module, set in place; returns Inputs named as the state_dict."""
    inputs = []
    with torch.no_grad():
        for k, (name, p) in enumerate(module.named_parameters()):
            p.copy_(torch.tensor(ref.wave(tuple(p.shape), phase + 0.37 * k, 0.4)))
            inputs.append(ref.Input(name, p.detach().numpy().copy()))
    return inputs


def module_case(name, op, module, data, run, params=None, phase=0.5):
    """data: Inputs of the forward; run(module, *data_tensors) -> list of outputs."""
    weights = params_of(module, phase)
    names = [n for n, _ in module.named_parameters()]

    def fn(*tensors):
        # The parameters are the case's input tensors, so their gradients are recorded.
        state = dict(zip(names, tensors[len(data):]))
        outs = run(module, state, *tensors[:len(data)])
        return torch.cat([o.reshape(-1) for o in outs])

    ref.case(name, op, data + weights, fn, params=params)


def call(module, state, *args, **kwargs):
    if hasattr(module, "_flat_weights_names"):
        # torch.nn.RNNBase reads its weights from _flat_weights, which functional_call leaves alone.
        saved = module._flat_weights
        module._flat_weights = [state[n] for n in module._flat_weights_names]
        try:
            return module(*args, **kwargs)
        finally:
            module._flat_weights = saved
    return torch.nn.utils.stateless.functional_call(module, state, args, kwargs)


U = lambda shape: torch.tensor([0.5 + 0.25 * math.sin(i) for i in range(int(np.prod(shape)))]
                               ).reshape(shape)

# ---- cells: forward and gradients; a second-order case each ----
N, I, H = 3, 4, 5
for kind in ["rnn_tanh", "rnn_relu", "gru", "lstm"]:
    if kind.startswith("rnn"):
        cell = torch.nn.RNNCell(I, H, nonlinearity=kind[4:])
    elif kind == "gru":
        cell = torch.nn.GRUCell(I, H)
    else:
        cell = torch.nn.LSTMCell(I, H)
    x = ref.Input("input", ref.wave((N, I), 0.1, 0.9))
    h = ref.Input("hx", ref.wave((N, H), 1.7, 0.6))
    data = [x, h]
    if kind == "lstm":
        data.append(ref.Input("cx", ref.wave((N, H), 2.9, 0.7)))

        def run(m, s, x, h, c):
            return list(call(m, s, x, (h, c)))
    else:
        def run(m, s, x, h):
            return [call(m, s, x, h)]
    params = {"nonlinearity": [kind[4:]]} if kind.startswith("rnn") else None
    module_case(f"{kind}_cell", f"{kind}_cell", cell, data, run, params=params)

    def hvp(m, s, x, *state, run=run):
        out = run(m, s, x, *state)[0]
        g, = torch.autograd.grad((out * U(tuple(out.shape))).sum(), x, create_graph=True)
        return [g]
    if kind != "rnn_relu":  # relu's second derivative is 0 almost everywhere: nothing to check
        module_case(f"hvp_{kind}_cell", f"hvp_{kind}_cell", cell, data, hvp, params=params)

# ---- sequence layers: 2 layers, a short sequence, initial states, both layouts ----
L, N, I, H = 4, 2, 3, 4
for kind in ["rnn_tanh", "gru", "lstm"]:
    for batch_first in [False, True]:
        opts = dict(num_layers=2, batch_first=batch_first)
        if kind == "rnn_tanh":
            layer = torch.nn.RNN(I, H, **opts)
        elif kind == "gru":
            layer = torch.nn.GRU(I, H, **opts)
        else:
            layer = torch.nn.LSTM(I, H, **opts)
        shape = (N, L, I) if batch_first else (L, N, I)
        data = [ref.Input("input", ref.wave(shape, 0.3, 0.9)),
                ref.Input("h0", ref.wave((2, N, H), 1.1, 0.5))]
        if kind == "lstm":
            data.append(ref.Input("c0", ref.wave((2, N, H), 2.3, 0.5)))

            def run(m, s, x, h, c):
                out, (hn, cn) = call(m, s, x, (h, c))
                return [out, hn, cn]
        else:
            def run(m, s, x, h):
                out, hn = call(m, s, x, h)
                return [out, hn]
        name = f"{kind}_seq" + ("_batch_first" if batch_first else "")
        module_case(name, f"{kind}_seq", layer, data, run,
                    params={"batch_first": [int(batch_first)], "num_layers": [2]})

# ---- embedding: repeated ids and a padding row ----
emb = torch.nn.Embedding(6, 3, padding_idx=2)
ids = [[1, 2, 5], [1, 0, 2]]
module_case("embedding_padding", "embedding", emb, [],
            lambda m, s: [call(m, s, torch.tensor(ids))],
            params={"ids": sum(ids, []), "padding_idx": [2], "shape": [2, 3]})

# ---- multi-head attention: 2 heads, key-padding and causal masks ----
E, NH, L, S, N = 4, 2, 3, 3, 2
for variant in ["plain", "key_padding", "causal", "batch_first"]:
    bf = variant == "batch_first"
    mha = torch.nn.MultiheadAttention(E, NH, batch_first=bf)
    qshape = (N, L, E) if bf else (L, N, E)
    kshape = (N, S, E) if bf else (S, N, E)
    data = [ref.Input("query", ref.wave(qshape, 0.2, 0.8)),
            ref.Input("key", ref.wave(kshape, 1.4, 0.8)),
            ref.Input("value", ref.wave(kshape, 2.6, 0.8))]
    kpm = torch.tensor([[0.0, 0.0, -math.inf], [0.0, 0.0, 0.0]])
    causal = torch.nn.Transformer.generate_square_subsequent_mask(L)

    def run(m, s, q, k, v, variant=variant):
        kw = {}
        if variant == "key_padding":
            kw["key_padding_mask"] = kpm
        if variant == "causal":
            kw["attn_mask"] = causal
        out, w = call(m, s, q, k, v, **kw)
        return [out, w]
    module_case(f"mha_{variant}", "mha", mha, data, run,
                params={"variant": [variant]})


def save_lstm_state():
    """A 2-layer LSTM's state_dict saved by numpy.savez, and its outputs on a fixed input."""
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(3, 4, num_layers=2)
    x = torch.tensor(ref.wave((5, 2, 3), 0.9))
    with torch.no_grad():
        out, (hn, cn) = lstm(x)
    np.savez(NPZ_PATH, **{k: v.numpy() for k, v in lstm.state_dict().items()})
    np.savez(NPZ_PATH.replace("state", "expected"), input=x.numpy(), output=out.numpy(),
             h_n=hn.numpy(), c_n=cn.numpy())


def main():
    save_lstm_state()
    ref.main()
    with open(ref.OUT_PATH) as f:
        lines = f.read().split("\n")
    lines[0] = "# PyTorch reference values for tests/nn/test_torch_reference_seq.cpp; do not edit."
    lines[1] = lines[1].replace("make_torch_reference.py", "make_torch_reference_seq.py")
    lines[3] = "#   /usr/bin/python3 scripts/make_torch_reference_seq.py"
    with open(ref.OUT_PATH, "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main()
