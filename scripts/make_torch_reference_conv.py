#!/usr/bin/python3
"""Writes tests/data/torch_reference_conv.txt: forward values, gradients and one second-order case
per op of xgrad's convolutions and pooling (conv1d, conv2d, max_pool1d/2d, avg_pool1d/2d,
adaptive_avg_pool2d) computed by PyTorch in float64, for tests/autograd/test_torch_reference_conv.cpp.

Run with Debian's interpreter, which has python3-torch:
    /usr/bin/python3 scripts/make_torch_reference_conv.py

The file format and the input formulas are those of scripts/make_torch_reference.py (its
docstring). Parameters: stride, padding (sizes, or the word same), dilation, groups, bias (1 or 0),
kernel_size, output_size, ceil_mode, count_include_pad; a size per spatial axis. Ops whose name
starts with hvp_ are second order: the output is g = d/dx sum(op(...)^2) built with
create_graph=True, and the gradients are those of (g . v), v the grad_output.
"""

import os
import platform
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_torch_reference import Input, grad_wave, no_ties, tensor_tokens, wave  # noqa: E402

torch.set_default_dtype(torch.float64)

OUT_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data",
                        "torch_reference_conv.txt")

CASES = []


def case(name, op, inputs, fn, params, second_order=False):
    """As make_torch_reference.case: output, grad_output and the gradients of every input."""
    tensors = [torch.tensor(i.values, requires_grad=i.requires_grad) for i in inputs]
    out = fn(*tensors)
    gout = grad_wave(tuple(out.shape))
    wanted = [t for t in tensors if t.requires_grad]
    v = torch.tensor(gout)
    if second_order:
        grads = torch.autograd.grad((out * v).sum(), wanted)
    else:
        grads = torch.autograd.grad(out, wanted, grad_outputs=v)
    CASES.append({"name": name, "op": op, "params": params, "inputs": inputs,
                  "output": out.detach().numpy(), "grad_output": gout,
                  "grads": [g.detach().numpy() for g in grads]})


def squared_gradient(f):
    """x, *rest -> d/dx sum(f(x, *rest)^2), differentiable again."""
    def g(x, *rest):
        (gx,) = torch.autograd.grad((f(x, *rest) ** 2).sum(), [x], create_graph=True)
        return gx
    return g


def pair(v):
    return list(v) if isinstance(v, (tuple, list)) else [v, v]


# ---------------------------------------------------------------------------------------------
# Convolutions: (name, x shape, weight shape, stride, padding, dilation, groups, bias)

CONV2D = [
    ("conv2d_3x3", (2, 3, 5, 6), (4, 3, 3, 3), 1, 0, 1, 1, True),
    ("conv2d_batch1_stride2_pad1", (1, 2, 7, 5), (3, 2, 3, 2), 2, 1, 1, 1, True),
    ("conv2d_stride21_pad02_nobias", (2, 1, 6, 4), (2, 1, 2, 3), (2, 1), (0, 2), 1, 1, False),
    ("conv2d_dilation2", (1, 2, 7, 7), (2, 2, 3, 3), 1, 1, 2, 1, True),
    ("conv2d_groups2", (2, 4, 5, 5), (6, 2, 3, 3), 1, 1, 1, 2, True),
    ("conv2d_depthwise_stride3", (1, 3, 7, 8), (3, 1, 2, 2), 3, 0, 1, 3, False),
    ("conv2d_same_even_kernel", (1, 2, 5, 4), (2, 2, 2, 4), 1, "same", 1, 1, True),
    ("conv2d_same_dilated", (2, 1, 6, 5), (2, 1, 3, 2), 1, "same", (2, 3), 1, True),
]

for k, (name, xs, ws, stride, padding, dilation, groups, bias) in enumerate(CONV2D):
    inputs = [Input("x", wave(xs, 0.1 + k)), Input("weight", wave(ws, 0.7 + k, 0.5))]
    if bias:
        inputs.append(Input("bias", wave((ws[0],), 1.9 + k, 0.3)))
    params = {"stride": pair(stride), "dilation": pair(dilation), "groups": [groups],
              "padding": [padding] if isinstance(padding, str) else pair(padding)}

    def fn(x, w, b=None, stride=stride, padding=padding, dilation=dilation, groups=groups):
        return F.conv2d(x, w, b, stride, padding, dilation, groups)
    case(name, "conv2d", inputs, fn, params)
    if name in ("conv2d_batch1_stride2_pad1", "conv2d_groups2"):
        case("hvp_" + name, "hvp_conv2d", inputs, squared_gradient(fn), params, second_order=True)

CONV1D = [
    ("conv1d_k3", (2, 3, 9), (4, 3, 3), 1, 0, 1, 1, True),
    ("conv1d_stride2_pad1_dil2_groups2", (2, 4, 9), (6, 2, 3), 2, 1, 2, 2, True),
    ("conv1d_same_batch1", (1, 3, 6), (2, 3, 4), 1, "same", 1, 1, False),
]

for k, (name, xs, ws, stride, padding, dilation, groups, bias) in enumerate(CONV1D):
    inputs = [Input("x", wave(xs, 0.4 + k)), Input("weight", wave(ws, 1.3 + k, 0.5))]
    if bias:
        inputs.append(Input("bias", wave((ws[0],), 2.3 + k, 0.3)))
    params = {"stride": [stride], "dilation": [dilation], "groups": [groups],
              "padding": [padding]}

    def fn(x, w, b=None, stride=stride, padding=padding, dilation=dilation, groups=groups):
        return F.conv1d(x, w, b, stride, padding, dilation, groups)
    case(name, "conv1d", inputs, fn, params)
    if k == 1:
        case("hvp_" + name, "hvp_conv1d", inputs, squared_gradient(fn), params, second_order=True)

# ---------------------------------------------------------------------------------------------
# Pooling. Inputs come from wave(), whose values have no exact ties, so max picks agree.

POOL2D = [  # (name, x shape, kernel, stride, padding, dilation, ceil_mode)
    ("k2", (2, 3, 6, 6), 2, 2, 0, 1, False),
    ("k3_s2_p1_odd", (1, 2, 7, 5), 3, 2, 1, 1, False),
    ("k32_s21_p10", (2, 1, 6, 5), (3, 2), (2, 1), (1, 0), 1, False),
    ("k2_dil2_ceil", (1, 2, 7, 7), 2, 2, 1, 2, True),
]

for k, (name, xs, kernel, stride, padding, dilation, ceil) in enumerate(POOL2D):
    x = no_ties(wave(xs, 0.2 + k).reshape(-1, xs[-1]), axis=1).reshape(xs)
    params = {"kernel_size": pair(kernel), "stride": pair(stride), "padding": pair(padding),
              "dilation": pair(dilation), "ceil_mode": [int(ceil)]}

    def mp(x, kernel=kernel, stride=stride, padding=padding, dilation=dilation, ceil=ceil):
        return F.max_pool2d(x, kernel, stride, padding, dilation, ceil)
    case("max_pool2d_" + name, "max_pool2d", [Input("x", x)], mp, params)
    if k == 1:
        case("hvp_max_pool2d_" + name, "hvp_max_pool2d", [Input("x", x)], squared_gradient(mp),
             params, second_order=True)
    avg_params = dict(params, count_include_pad=[int(k != 2)])
    del avg_params["dilation"]

    def ap(x, kernel=kernel, stride=stride, padding=padding, ceil=ceil, cip=(k != 2)):
        return F.avg_pool2d(x, kernel, stride, padding, ceil, cip)
    case("avg_pool2d_" + name, "avg_pool2d", [Input("x", x)], ap, avg_params)
    if k == 1:
        case("hvp_avg_pool2d_" + name, "hvp_avg_pool2d", [Input("x", x)], squared_gradient(ap),
             avg_params, second_order=True)

X1 = wave((2, 3, 9), 0.9)
for name, kernel, stride, padding in [("k3_s2_p1", 3, 2, 1), ("k2", 2, 2, 0)]:
    params = {"kernel_size": [kernel], "stride": [stride], "padding": [padding], "dilation": [1],
              "ceil_mode": [0]}

    def mp1(x, kernel=kernel, stride=stride, padding=padding):
        return F.max_pool1d(x, kernel, stride, padding)

    def ap1(x, kernel=kernel, stride=stride, padding=padding):
        return F.avg_pool1d(x, kernel, stride, padding)
    case("max_pool1d_" + name, "max_pool1d", [Input("x", X1)], mp1, params)
    case("avg_pool1d_" + name, "avg_pool1d", [Input("x", X1)], ap1,
         dict(params, count_include_pad=[1]))
    if name == "k3_s2_p1":
        case("hvp_max_pool1d_" + name, "hvp_max_pool1d", [Input("x", X1)], squared_gradient(mp1),
             params, second_order=True)
        case("hvp_avg_pool1d_" + name, "hvp_avg_pool1d", [Input("x", X1)], squared_gradient(ap1),
             dict(params, count_include_pad=[1]), second_order=True)

for name, xs, size in [("7x5_to_3x2", (2, 2, 7, 5), (3, 2)), ("6x6_to_1x1", (1, 3, 6, 6), (1, 1)),
                       ("5x4_to_5x3", (1, 1, 5, 4), (5, 3))]:
    def aap(x, size=size):
        return F.adaptive_avg_pool2d(x, size)
    case("adaptive_avg_pool2d_" + name, "adaptive_avg_pool2d", [Input("x", wave(xs, 1.7))], aap,
         {"output_size": list(size)})
    if name == "7x5_to_3x2":
        case("hvp_adaptive_avg_pool2d_" + name, "hvp_adaptive_avg_pool2d",
             [Input("x", wave(xs, 1.7))], squared_gradient(aap), {"output_size": list(size)},
             second_order=True)


# ---------------------------------------------------------------------------------------------
# A Conv2d state_dict for tests/nn/test_conv.cpp: torch.nn.Conv2d(4, 6, 3, stride=2, padding=1,
# groups=2) in float64 from torch.manual_seed(0), saved as np.savez of {k: v.numpy()}, and an input
# with the module's output in a second file.


def write_conv2d_state_dict():
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2).double()
    x = torch.tensor(wave((2, 4, 7, 6), 0.5))
    with torch.no_grad():
        y = conv(x)
    data = os.path.dirname(OUT_PATH)
    np.savez(os.path.join(data, "conv2d_state_dict.npz"),
             **{k: v.numpy() for k, v in conv.state_dict().items()})
    np.savez(os.path.join(data, "conv2d_input_output.npz"), input=x.numpy(), output=y.numpy())


# ---------------------------------------------------------------------------------------------
# Output


def main():
    lines = [
        "# PyTorch reference values for tests/autograd/test_torch_reference_conv.cpp; do not edit.",
        f"# Made by scripts/make_torch_reference_conv.py with torch {torch.__version__}, numpy "
        f"{np.__version__}, Python {platform.python_version()}; float64 throughout.",
        "# Format: see the docstring of scripts/make_torch_reference.py. Regenerate with",
        "#   /usr/bin/python3 scripts/make_torch_reference_conv.py",
        f"cases {len(CASES)}",
    ]
    names = set()
    for c in CASES:
        assert c["name"] not in names, c["name"]
        names.add(c["name"])
        lines.append(f"case {c['name']} {c['op']}")
        for key, values in c["params"].items():
            lines.append(" ".join(["param", key] + [str(v) for v in values]))
        for i in c["inputs"]:
            lines.append(" ".join(["input", i.name, str(int(i.requires_grad))]
                                  + tensor_tokens(i.values)))
        lines.append(" ".join(["output"] + tensor_tokens(c["output"])))
        lines.append(" ".join(["grad_output"] + tensor_tokens(c["grad_output"])))
        for i, g in zip([i for i in c["inputs"] if i.requires_grad], c["grads"]):
            assert g.shape == i.values.shape, (c["name"], i.name)
            lines.append(" ".join(["grad", i.name] + tensor_tokens(g)))
        lines.append("end")
    with open(OUT_PATH, "w") as f:
        f.write("\n".join(lines) + "\n")
    write_conv2d_state_dict()
    print(f"wrote {len(CASES)} cases to {os.path.normpath(OUT_PATH)}", file=sys.stderr)


if __name__ == "__main__":
    main()
