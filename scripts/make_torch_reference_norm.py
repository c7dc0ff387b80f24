#!/usr/bin/python3
"""Writes tests/data/torch_reference_norm.txt: forward values, gradients and second-order
gradients of xgrad's normalization ops (batch_norm, layer_norm, group_norm) and of erf, gelu, silu,
elu and hardtanh, computed by PyTorch in float64, for tests/autograd/test_torch_reference_norm.cpp.

Run with Debian's interpreter, which has python3-torch:
    /usr/bin/python3 scripts/make_torch_reference_norm.py

The inputs, the case() helper and the file format are those of scripts/make_torch_reference.py
(see its docstring), imported from it; only the cases differ.
"""

import os
import platform
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_torch_reference as ref  # noqa: E402  (fills ref.CASES with its own cases: cleared)

ref.CASES.clear()
case, Input, wave, away_from = ref.case, ref.Input, ref.wave, ref.away_from
torch.set_default_dtype(torch.float64)

OUT_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data",
                        "torch_reference_norm.txt")
EPS = 1e-5

# ---------------------------------------------------------------------------------------------
# batch_norm: training (batch statistics), eval (running statistics), affine on and off

for shape in [(4, 3), (3, 2, 5), (2, 3, 2, 3), (1, 3, 4)]:
    c = shape[1]
    tag = "x".join(map(str, shape))
    x = wave(shape, 0.3, 1.5, 0.2)
    w = wave((c,), 1.0, 0.4, 1.0)
    b = wave((c,), 2.0, 0.5)
    case(f"batch_norm_train_{tag}", "batch_norm", [Input("x", x), Input("weight", w),
                                                   Input("bias", b)],
         lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True, eps=EPS),
         {"training": [1], "eps": [EPS]})
    case(f"batch_norm_train_no_affine_{tag}", "batch_norm", [Input("x", x)],
         lambda x: F.batch_norm(x, None, None, training=True, eps=EPS),
         {"training": [1], "eps": [EPS]})
    rm = wave((c,), 0.5, 0.3)
    rv = wave((c,), 1.5, 0.4, 1.2)
    case(f"batch_norm_eval_{tag}", "batch_norm",
         [Input("x", x), Input("weight", w), Input("bias", b), Input("running_mean", rm, False),
          Input("running_var", rv, False)],
         lambda x, w, b, rm, rv: F.batch_norm(x, rm, rv, w, b, training=False, eps=EPS),
         {"training": [0], "eps": [EPS]})

# ---------------------------------------------------------------------------------------------
# layer_norm and group_norm

for shape, normalized in [((3, 5), (5,)), ((2, 3, 4), (3, 4)), ((1, 7), (7,)), ((2, 2, 3), (3,))]:
    tag = "x".join(map(str, shape)) + "_over_" + "x".join(map(str, normalized))
    x = wave(shape, 0.7, 1.5, -0.3)
    case(f"layer_norm_{tag}", "layer_norm",
         [Input("x", x), Input("weight", wave(normalized, 1.2, 0.4, 1.0)),
          Input("bias", wave(normalized, 0.4, 0.5))],
         lambda x, w, b, n=normalized: F.layer_norm(x, n, w, b, eps=EPS),
         {"normalized_shape": list(normalized), "eps": [EPS]})
    case(f"layer_norm_no_affine_{tag}", "layer_norm", [Input("x", x)],
         lambda x, n=normalized: F.layer_norm(x, n, eps=EPS),
         {"normalized_shape": list(normalized), "eps": [EPS]})

for shape, groups in [((2, 6, 3), 3), ((2, 4, 2, 2), 2), ((1, 6, 3), 1), ((3, 4), 4), ((1, 4, 5), 2)]:
    c = shape[1]
    tag = "x".join(map(str, shape)) + f"_g{groups}"
    x = wave(shape, 1.1, 1.5, 0.1)
    case(f"group_norm_{tag}", "group_norm",
         [Input("x", x), Input("weight", wave((c,), 0.2, 0.4, 1.0)),
          Input("bias", wave((c,), 2.4, 0.5))],
         lambda x, w, b, g=groups: F.group_norm(x, g, w, b, eps=EPS),
         {"num_groups": [groups], "eps": [EPS]})
    case(f"group_norm_no_affine_{tag}", "group_norm", [Input("x", x)],
         lambda x, g=groups: F.group_norm(x, g, eps=EPS), {"num_groups": [groups], "eps": [EPS]})

# ---------------------------------------------------------------------------------------------
# erf and the activations

WIDE = wave((4, 5), 0.5, 4.0)  # in [-4, 4]
case("erf", "erf", [Input("x", wave((4, 5), 0.5, 2.0))], torch.erf)
case("gelu", "gelu", [Input("x", WIDE)], F.gelu, {"approximate": ["none"]})
case("gelu_tanh", "gelu", [Input("x", WIDE)], lambda x: F.gelu(x, approximate="tanh"),
     {"approximate": ["tanh"]})
case("silu", "silu", [Input("x", WIDE)], F.silu)
case("elu", "elu", [Input("x", away_from(WIDE, [0.0]))], F.elu, {"alpha": [1.0]})
case("elu_alpha_0.5", "elu", [Input("x", away_from(WIDE, [0.0]))], lambda x: F.elu(x, 0.5),
     {"alpha": [0.5]})
case("hardtanh", "hardtanh", [Input("x", away_from(WIDE, [-1.0, 1.0]))], F.hardtanh,
     {"min_val": [-1.0], "max_val": [1.0]})
case("hardtanh_-2_3", "hardtanh", [Input("x", away_from(WIDE, [-2.0, 3.0]))],
     lambda x: F.hardtanh(x, -2.0, 3.0), {"min_val": [-2.0], "max_val": [3.0]})

# ---------------------------------------------------------------------------------------------
# Second order: the output is g = d sum(f(x) * C) / dx (create_graph=True); the gradients are
# those of (g . v), v the grad_output: Hessian-vector products through each op's backward. The
# bias does not reach g, so it is a constant input.


def hvp(name, op, inputs, f, params):
    """f(x, *rest) -> tensor; C (of f's output shape) weights the output."""
    def g(x, *rest):
        out = f(x, *rest)
        weights = torch.tensor(wave(tuple(out.shape), 2.2, 1.0))
        (gx,) = torch.autograd.grad((out * weights).sum(), [x], create_graph=True)
        return gx
    case(name, op, inputs, g, params, grad_output=wave(inputs[0].values.shape, 2.6, 1.0),
         second_order=True)


BX = wave((3, 2, 4), 0.9, 1.5)
hvp("hvp_batch_norm_train", "hvp_batch_norm",
    [Input("x", BX), Input("weight", wave((2,), 1.0, 0.4, 1.0)), Input("bias", wave((2,), 2.0), False)],
    lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True, eps=EPS),
    {"training": [1], "eps": [EPS]})
hvp("hvp_layer_norm", "hvp_layer_norm",
    [Input("x", BX), Input("weight", wave((2, 4), 1.2, 0.4, 1.0)),
     Input("bias", wave((2, 4), 0.4), False)],
    lambda x, w, b: F.layer_norm(x, (2, 4), w, b, eps=EPS),
    {"normalized_shape": [2, 4], "eps": [EPS]})
GX = wave((2, 4, 3), 0.4, 1.5)
hvp("hvp_group_norm", "hvp_group_norm",
    [Input("x", GX), Input("weight", wave((4,), 0.2, 0.4, 1.0)), Input("bias", wave((4,), 2.4), False)],
    lambda x, w, b: F.group_norm(x, 2, w, b, eps=EPS), {"num_groups": [2], "eps": [EPS]})
hvp("hvp_gelu", "hvp_gelu", [Input("x", WIDE)], F.gelu, {"approximate": ["none"]})
hvp("hvp_gelu_tanh", "hvp_gelu", [Input("x", WIDE)], lambda x: F.gelu(x, approximate="tanh"),
    {"approximate": ["tanh"]})
hvp("hvp_silu", "hvp_silu", [Input("x", WIDE)], F.silu, {})
hvp("hvp_elu", "hvp_elu", [Input("x", away_from(WIDE, [0.0]))], lambda x: F.elu(x, 0.5),
    {"alpha": [0.5]})
hvp("hvp_erf", "hvp_erf", [Input("x", wave((4, 5), 0.5, 2.0))], torch.erf, {})


def main():
    lines = [
        "# PyTorch reference values for tests/autograd/test_torch_reference_norm.cpp; do not edit.",
        f"# Made by scripts/make_torch_reference_norm.py with torch {torch.__version__}, numpy "
        f"{np.__version__}, Python {platform.python_version()}; float64 throughout.",
        "# Format: see the docstring of scripts/make_torch_reference.py. Regenerate with",
        "#   /usr/bin/python3 scripts/make_torch_reference_norm.py",
        f"cases {len(ref.CASES)}",
    ]
    names = set()
    for c in ref.CASES:
        assert c["name"] not in names, c["name"]
        names.add(c["name"])
        lines.append(f"case {c['name']} {c['op']}")
        for key, values in c["params"].items():
            lines.append(" ".join(["param", key] + [ref.fmt(v) if isinstance(v, float) else str(v)
                                                      for v in values]))
        for i in c["inputs"]:
            lines.append(" ".join(["input", i.name, str(int(i.requires_grad))]
                                  + ref.tensor_tokens(i.values)))
        lines.append(" ".join(["output"] + ref.tensor_tokens(c["output"])))
        lines.append(" ".join(["grad_output"] + ref.tensor_tokens(c["grad_output"])))
        wanted = [i for i in c["inputs"] if i.requires_grad]
        assert len(wanted) == len(c["grads"])
        for i, g in zip(wanted, c["grads"]):
            assert g.shape == i.values.shape, (c["name"], i.name)
            lines.append(" ".join(["grad", i.name] + ref.tensor_tokens(g)))
        lines.append("end")
    with open(OUT_PATH, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {len(ref.CASES)} cases to {os.path.normpath(OUT_PATH)}", file=sys.stderr)


if __name__ == "__main__":
    main()
