#!/usr/bin/python3
"""Writes tests/data/torch_reference_ops.txt: forward values, gradients and Hessian-vector products
of the ops of issue 11 (batched matmul, statistics, view and join ops, sign/sin/cos) computed by
PyTorch in float64, for tests/autograd/test_torch_reference_ops.cpp.

Run with Debian's interpreter, which has python3-torch:
    /usr/bin/python3 scripts/make_torch_reference_ops.py

The inputs, the case runner and the file format are those of scripts/make_torch_reference.py
(imported from it; see its docstring). dropout is not here: its mask comes from xgrad's own
generator, not torch's.
"""

import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_torch_reference import Input, away_from, grad_wave, wave, write_reference  # noqa: E402

torch.set_default_dtype(torch.float64)

OUT_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data",
                        "torch_reference_ops.txt")

CASES = []


def case(name, op, inputs, fn, params=None, grad_output=None, second_order=False):
    """As make_torch_reference.case, into this file's list."""
    tensors = [torch.tensor(i.values, dtype=torch.float64, requires_grad=i.requires_grad)
               for i in inputs]
    out = fn(*tensors)
    gout = np.asarray(grad_output if grad_output is not None else grad_wave(tuple(out.shape)),
                      dtype=np.float64)
    assert gout.shape == tuple(out.shape), (name, gout.shape, tuple(out.shape))
    wanted = [t for t in tensors if t.requires_grad]
    v = torch.tensor(gout, dtype=torch.float64)
    if second_order:
        grads = torch.autograd.grad((out * v).sum(), wanted)
    else:
        grads = torch.autograd.grad(out, wanted, grad_outputs=v, allow_unused=True)
        grads = [torch.zeros_like(t) if g is None else g for t, g in zip(wanted, grads)]
    assert all(torch.isfinite(g).all() for g in grads), name
    assert torch.isfinite(out).all(), name
    CASES.append({
        "name": name, "op": op, "params": params or {}, "inputs": inputs,
        "output": out.detach().numpy(), "grad_output": gout,
        "grads": [g.detach().numpy() for g in grads],
    })


def unique_abs(values):
    """Asserts no two |values| tie, so max |x| (the inf-norm) has one maximiser everywhere."""
    a = np.abs(values).ravel()
    assert len(np.unique(a)) == len(a), "tie in |x|"
    return values


# ---------------------------------------------------------------------------------------------
# Batched, broadcast matmul and bmm

for name, sa, sb in [("stack_by_matrix", (2, 3, 4), (4, 5)),
                     ("matrix_by_stack", (3, 4), (2, 4, 5)),
                     ("stack_by_stack", (2, 3, 4), (2, 4, 5)),
                     ("broadcast_batches", (2, 1, 3, 4), (3, 4, 2)),
                     ("stack_by_vector", (2, 3, 4), (4,)),
                     ("vector_by_stack", (4,), (2, 4, 3))]:
    case(f"matmul_{name}", "matmul", [Input("a", wave(sa, 0.3)), Input("b", wave(sb, 1.7, 0.9))],
         torch.matmul)
for ta in (0, 1):
    for tb in (0, 1):
        sa = (2, 1, 4, 3) if ta else (2, 1, 3, 4)
        sb = (3, 2, 4) if tb else (3, 4, 2)
        case(f"matmul_batched_flags_{ta}{tb}", "matmul_flags",
             [Input("a", wave(sa, 0.8)), Input("b", wave(sb, 2.1, 1.1))],
             lambda a, b, ta=ta, tb=tb: torch.matmul(a.transpose(-1, -2) if ta else a,
                                                     b.transpose(-1, -2) if tb else b),
             params={"transpose_a": [ta], "transpose_b": [tb]})
case("bmm", "bmm", [Input("a", wave((3, 2, 4), 0.5)), Input("b", wave((3, 4, 2), 1.4))], torch.bmm)

# ---------------------------------------------------------------------------------------------
# Statistics

X34 = wave((3, 4), 0.6, 1.2)
X234 = wave((2, 3, 4), 1.3, 1.1)
for name, x, axes, keepdim in [("all", X34, [], 0), ("axis1", X34, [1], 0),
                               ("neg_axes_keepdim", X234, [-1, -3], 1),
                               ("scalar", np.array(0.7), [], 0)]:
    dims = axes if axes else None
    case(f"logsumexp_{name}", "logsumexp", [Input("x", x)],
         lambda t, dims=dims, k=keepdim: torch.logsumexp(t, dims if dims else
                                                          list(range(t.dim())), keepdim=bool(k)),
         params={"axes": axes, "keepdim": [keepdim]})
    if x.size > 1:
        for unbiased in (1, 0):
            case(f"var_{name}_{unbiased}", "var", [Input("x", x)],
                 lambda t, dims=dims, k=keepdim, u=unbiased: torch.var(
                     t, dim=dims, unbiased=bool(u), keepdim=bool(k)),
                 params={"axes": axes, "unbiased": [unbiased], "keepdim": [keepdim]})
            case(f"std_{name}_{unbiased}", "std", [Input("x", x)],
                 lambda t, dims=dims, k=keepdim, u=unbiased: torch.std(
                     t, dim=dims, unbiased=bool(u), keepdim=bool(k)),
                 params={"axes": axes, "unbiased": [unbiased], "keepdim": [keepdim]})
    for p in (1.0, 2.0, math.inf):
        if p != 2.0:
            away_from(x, [0.0])
        if p == math.inf:
            unique_abs(x)
        case(f"norm_{name}_{p}", "norm", [Input("x", x)],
             lambda t, dims=dims, k=keepdim, p=p: torch.linalg.vector_norm(
                 t, ord=p, dim=dims, keepdim=bool(k)),
             params={"p": [p], "axes": axes, "keepdim": [keepdim]})
    case(f"min_{name}", "min", [Input("x", x)],
         lambda t, dims=dims, k=keepdim: torch.amin(t, dim=dims if dims else
                                                     list(range(t.dim())), keepdim=bool(k)),
         params={"axes": axes, "keepdim": [keepdim]})
for name, x, axis in [("axis1", X34, 1), ("neg_axis", X234, -3), ("last", X234, -1)]:
    case(f"cumsum_{name}", "cumsum", [Input("x", x)], lambda t, a=axis: torch.cumsum(t, a),
         params={"axis": [axis]})

# ---------------------------------------------------------------------------------------------
# Pointwise

case("sign", "sign", [Input("x", away_from(X34, [0.0]))], torch.sign)
case("sin", "sin", [Input("x", X234)], torch.sin)
case("cos", "cos", [Input("x", X234)], torch.cos)

# ---------------------------------------------------------------------------------------------
# View and join ops

X2134 = wave((2, 1, 3, 1), 0.9)
case("squeeze_all", "squeeze", [Input("x", X2134)], torch.squeeze, params={"axis": []})
case("squeeze_neg_axis", "squeeze", [Input("x", X2134)], lambda t: torch.squeeze(t, -1),
     params={"axis": [-1]})
case("unsqueeze_neg_axis", "unsqueeze", [Input("x", X34)], lambda t: torch.unsqueeze(t, -2),
     params={"axis": [-2]})
case("permute", "permute", [Input("x", X234)], lambda t: t.permute(2, 0, 1),
     params={"dims": [2, 0, 1]})
case("permute_neg", "permute", [Input("x", X234)], lambda t: t.permute(-2, -1, -3),
     params={"dims": [-2, -1, -3]})
case("expand", "expand", [Input("x", wave((3, 1), 0.2))], lambda t: t.expand(2, 3, 4),
     params={"shape": [2, 3, 4]})
case("expand_keep", "expand", [Input("x", wave((3, 1), 0.2))], lambda t: t.expand(-1, 5),
     params={"shape": [-1, 5]})
case("flatten_all", "flatten", [Input("x", X234)], torch.flatten, params={"range": [0, -1]})
case("flatten_tail", "flatten", [Input("x", X234)], lambda t: torch.flatten(t, 1),
     params={"range": [1, -1]})
case("stack_axis0", "stack", [Input("a", X34), Input("b", wave((3, 4), 2.2))],
     lambda a, b: torch.stack([a, b]), params={"axis": [0]})
case("stack_neg_axis", "stack", [Input("a", X34), Input("b", wave((3, 4), 2.2))],
     lambda a, b: torch.stack([a, b], -1), params={"axis": [-1]})
for i in range(3):
    case(f"split_size_piece{i}", "split_size", [Input("x", wave((2, 5), 0.1))],
         lambda t, i=i: torch.split(t, 2, -1)[i], params={"size": [2], "axis": [-1], "piece": [i]})
for i in range(2):
    case(f"split_sizes_piece{i}", "split_sizes", [Input("x", X234)],
         lambda t, i=i: torch.split(t, [1, 2], 1)[i],
         params={"sizes": [1, 2], "axis": [1], "piece": [i]})
    case(f"chunk_piece{i}", "chunk", [Input("x", wave((5, 3), 1.0))],
         lambda t, i=i: torch.chunk(t, 2, 0)[i], params={"chunks": [2], "axis": [0], "piece": [i]})
case("pad_last", "pad", [Input("x", X34)], lambda t: torch.nn.functional.pad(t, (1, 2)),
     params={"pads": [1, 2], "value": [0.0]})
case("pad_two_axes_value", "pad", [Input("x", X234)],
     lambda t: torch.nn.functional.pad(t, (0, 1, 2, 1), value=-0.5),
     params={"pads": [0, 1, 2, 1], "value": [-0.5]})
case("repeat", "repeat", [Input("x", wave((2, 3), 0.4))], lambda t: t.repeat(2, 1, 2),
     params={"repeats": [2, 1, 2]})
for d in (0, -1, 2):
    case(f"tril_{d}", "tril", [Input("x", X234)], lambda t, d=d: torch.tril(t, d),
         params={"diagonal": [d]})
    case(f"triu_{d}", "triu", [Input("x", X34)], lambda t, d=d: torch.triu(t, d),
         params={"diagonal": [d]})

# ---------------------------------------------------------------------------------------------
# Second order: the output is g = df/dx (built with create_graph=True); the gradients are those of
# (g . v) with v the grad_output: v^T d g / d(x, W), a Hessian-vector product for x.


def first_gradient(f):
    def g(x, W):
        (gx,) = torch.autograd.grad(f(x, W), [x], create_graph=True)
        return gx
    return g


HX = wave((2, 2, 3), 0.4)
HW = wave((3, 4), 1.2, 0.8)
HV = wave((2, 2, 3), 2.6, 1.0)
SECOND_ORDER = {
    "hvp_batched_matmul": lambda x, W: torch.sum(torch.tanh(x @ W) ** 2),
    "hvp_bmm": lambda x, W: torch.sum(torch.sin(torch.bmm(x, W.expand(2, 3, 4))) ** 2),
    "hvp_logsumexp": lambda x, W: torch.sum(torch.logsumexp(x @ W, -1) ** 2),
    "hvp_var_std": lambda x, W: torch.sum(torch.var(x @ W, 1) * torch.std(x, -1, keepdim=True)),
    "hvp_norm": lambda x, W: torch.sum(torch.linalg.vector_norm(x @ W, 2, -1) ** 3),
    "hvp_min_cumsum": lambda x, W: torch.sum(torch.amin(torch.cumsum(x @ W, -2) ** 2, -1)),
    "hvp_view_ops": lambda x, W: torch.sum(
        torch.flatten(torch.permute(x, (2, 0, 1)) ** 3, 1)
        * torch.squeeze(torch.unsqueeze(W, 1), 1) * torch.sum(torch.unsqueeze(W, 0).expand(2, 3, 4), 0))
        + torch.sum(x.repeat(1, 2, 1) ** 4),
    "hvp_join_ops": lambda x, W: torch.sum(
        torch.tril(torch.stack([x @ W, torch.nn.functional.pad(x, (0, 1), value=0.5)]), -1) ** 2
        * torch.cat(torch.split(torch.triu(x @ W), [1, 3], -1), -1)),
}
for name, f in SECOND_ORDER.items():
    case(name, name, [Input("x", HX), Input("W", HW)], first_gradient(f), grad_output=HV,
         second_order=True)


# ---------------------------------------------------------------------------------------------
# Output


def main():
    write_reference(CASES, OUT_PATH, "make_torch_reference_ops.py",
                    "test_torch_reference_ops.cpp")


if __name__ == "__main__":
    main()
