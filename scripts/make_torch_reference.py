#!/usr/bin/python3
"""Writes tests/data/torch_reference.txt: forward values and gradients of xgrad's ops computed by
PyTorch in float64, for tests/autograd/test_torch_reference.cpp.

Run with Debian's interpreter, which has python3-torch:
    /usr/bin/python3 scripts/make_torch_reference.py

Inputs come from a fixed formula (sines of the flat index), never from torch's RNG, so the file is
the same on every run and the C++ side needs nothing but this file. Each case is an op applied to
named inputs; the file holds the output, a grad_output of the output's shape, and the gradient of
sum(output * grad_output) with respect to every input that requires grad.

File format, one record per line, tokens separated by spaces, numbers as '%.17g' (exact float64):
    # comment
    cases N                                   number of cases that follow
    case NAME OP                              starts a case
    param KEY TOKEN...                        op parameter (zero or more tokens)
    input NAME REQUIRES_GRAD RANK D1..DR V1..VN
    output RANK D1..DR V1..VN
    grad_output RANK D1..DR V1..VN
    grad NAME RANK D1..DR V1..VN              one per input with REQUIRES_GRAD 1, in input order
    end
Values are row-major; a rank-0 tensor has no extents and one value.
"""

import math
import os
import platform
import sys

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)

OUT_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data",
                        "torch_reference.txt")


def wave(shape, phase, scale=1.0, offset=0.0):
    """offset + scale * sin(1.3 i + phase) over the flat index i: deterministic, irregular."""
    n = int(np.prod(shape, dtype=np.int64))
    flat = [offset + scale * math.sin(1.3 * i + phase) for i in range(n)]
    return np.array(flat, dtype=np.float64).reshape(shape)


def grad_wave(shape, phase=0.3):
    """A grad_output that is neither constant nor symmetric: 0.5 + 0.75 cos(0.7 i + phase)."""
    n = int(np.prod(shape, dtype=np.int64))
    flat = [0.5 + 0.75 * math.cos(0.7 * i + phase) for i in range(n)]
    return np.array(flat, dtype=np.float64).reshape(shape)


def away_from(values, points, gap=1e-3):
    """Asserts no value sits within `gap` of a kink (relu at 0, clamp at its bounds...)."""
    for p in points:
        assert np.min(np.abs(values - p)) > gap, f"input too close to kink {p}"
    return values


def no_ties(values, axis=None):
    """Asserts the maxima along `axis` are unique, so torch's and xgrad's max agree on gradients."""
    arr = np.moveaxis(values, axis, -1) if axis is not None else values.reshape(1, -1)
    arr = arr.reshape(-1, arr.shape[-1])
    for row in arr:
        assert np.sum(row == row.max()) == 1, "tie at the maximum"
    return values


class Input:
    def __init__(self, name, values, requires_grad=True):
        self.name = name
        self.values = np.asarray(values, dtype=np.float64)
        self.requires_grad = requires_grad


CASES = []


def case(name, op, inputs, fn, params=None, grad_output=None, second_order=False):
    """Runs fn on the inputs as float64 tensors and stores output, grad_output and gradients.

    For second-order cases fn returns a first gradient g built with create_graph=True, and the
    stored gradients are those of (g . v) with v the grad_output: a Hessian-vector product."""
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
        grads = torch.autograd.grad(out, wanted, grad_outputs=v)
    assert all(torch.isfinite(g).all() for g in grads), name
    assert torch.isfinite(out).all(), name
    CASES.append({
        "name": name, "op": op, "params": params or {}, "inputs": inputs,
        "output": out.detach().numpy(), "grad_output": gout,
        "grads": [g.detach().numpy() for g in grads],
    })


# ---------------------------------------------------------------------------------------------
# Elementwise arithmetic, with broadcasting

A34 = wave((3, 4), 0.2)
B4 = wave((4,), 1.1, 0.8)
C31 = wave((3, 1), 2.0, 1.5)
D14 = wave((1, 4), 0.7, 0.9)
POS4 = wave((4,), 0.4, 0.5, 1.5)      # in [1, 2]: safe divisors
POS14 = wave((1, 4), 1.9, 0.4, 1.2)   # in [0.8, 1.6]

for op, fn in [("add", torch.add), ("sub", torch.sub), ("mul", torch.mul)]:
    case(f"{op}_same_shape", op, [Input("a", A34), Input("b", wave((3, 4), 2.5))], fn)
    case(f"{op}_3x4_with_4", op, [Input("a", A34), Input("b", B4)], fn)
    case(f"{op}_3x1_with_1x4", op, [Input("a", C31), Input("b", D14)], fn)
case("div_same_shape", "div", [Input("a", A34), Input("b", wave((3, 4), 2.5, 0.5, 1.5))], torch.div)
case("div_3x4_by_4", "div", [Input("a", A34), Input("b", POS4)], torch.div)
case("div_3x1_by_1x4", "div", [Input("a", C31), Input("b", POS14)], torch.div)
case("div_4_by_3x4", "div", [Input("a", B4), Input("b", wave((3, 4), 0.9, 0.5, -1.5))], torch.div)
case("mul_3x4_with_scalar_tensor", "mul", [Input("a", A34), Input("b", np.array(-1.75))],
     torch.mul)
case("add_only_a_requires_grad", "add", [Input("a", A34), Input("b", B4, False)], torch.add)
case("neg", "neg", [Input("x", A34)], torch.neg)
case("add_scalar", "add_scalar", [Input("x", A34)], lambda x: x + 2.5, {"scalar": [2.5]})
case("mul_scalar", "mul_scalar", [Input("x", A34)], lambda x: x * -0.75, {"scalar": [-0.75]})
case("rsub_scalar", "rsub_scalar", [Input("x", A34)], lambda x: 1.25 - x, {"scalar": [1.25]})
case("div_by_scalar", "div_scalar", [Input("x", A34)], lambda x: x / 3.0, {"scalar": [3.0]})
case("scalar_div", "rdiv_scalar", [Input("x", wave((3, 4), 0.2, 0.5, 1.5))], lambda x: 2.0 / x,
     {"scalar": [2.0]})

# ---------------------------------------------------------------------------------------------
# pow, and the unary math functions

POS34 = wave((3, 4), 0.6, 0.9, 1.2)   # in [0.3, 2.1]
for p in [3.0, 2.0, 0.5, -1.5]:
    x = A34 if p in (3.0, 2.0) else POS34
    case(f"pow_scalar_{p:g}", "pow_scalar", [Input("x", x)], lambda t, p=p: torch.pow(t, p),
         {"exponent": [p]})
case("pow_tensor_same_shape", "pow",
     [Input("base", POS34), Input("exponent", wave((3, 4), 1.7, 1.5))], torch.pow)
case("pow_tensor_3x4_to_4", "pow", [Input("base", POS34), Input("exponent", B4 * 2)], torch.pow)
case("exp", "exp", [Input("x", wave((3, 4), 0.2, 2.0))], torch.exp)
case("log", "log", [Input("x", POS34)], torch.log)
case("sqrt", "sqrt", [Input("x", POS34)], torch.sqrt)
case("abs", "abs", [Input("x", away_from(A34, [0.0]))], torch.abs)

# ---------------------------------------------------------------------------------------------
# Activations

WIDE = wave((4, 5), 0.5, 6.0)  # in [-6, 6]
case("sigmoid", "sigmoid", [Input("x", WIDE)], torch.sigmoid)
case("sigmoid_large", "sigmoid", [Input("x", wave((2, 5), 0.1, 40.0))], torch.sigmoid)
case("tanh", "tanh", [Input("x", wave((4, 5), 0.5, 2.5))], torch.tanh)
case("relu", "relu", [Input("x", away_from(WIDE, [0.0]))], torch.relu)
case("leaky_relu_0.1", "leaky_relu", [Input("x", away_from(WIDE, [0.0]))],
     lambda x: F.leaky_relu(x, 0.1), {"negative_slope": [0.1]})
for beta in [1.0, 2.0]:
    # beta x stays below torch's default threshold 20, above which torch returns x itself
    case(f"softplus_beta_{beta:g}", "softplus", [Input("x", WIDE)],
         lambda x, beta=beta: F.softplus(x, beta=beta), {"beta": [beta]})
# Large |x|: torch's default threshold=20 would replace log(1 + e^x) by x (a 2e-9 approximation);
# threshold=1000 makes torch evaluate log1p(exp(beta x)) / beta, the exact value xgrad computes.
case("softplus_wide_exact", "softplus", [Input("x", wave((2, 5), 0.3, 35.0))],
     lambda x: F.softplus(x, beta=1.0, threshold=1000.0), {"beta": [1.0]})

# ---------------------------------------------------------------------------------------------
# clamp, minimum, maximum (inputs away from the bounds and from ties)

case("clamp_both", "clamp", [Input("x", away_from(A34, [-0.5, 0.7]))],
     lambda x: torch.clamp(x, -0.5, 0.7), {"min": [-0.5], "max": [0.7]})
case("clamp_min_only", "clamp", [Input("x", away_from(A34, [-0.2]))],
     lambda x: torch.clamp(x, min=-0.2), {"min": [-0.2]})
OTHER34 = wave((3, 4), 2.9, 0.9)
assert np.all(A34 != OTHER34) and np.all(A34 != B4)
case("minimum_same_shape", "minimum", [Input("a", A34), Input("b", OTHER34)], torch.minimum)
case("maximum_same_shape", "maximum", [Input("a", A34), Input("b", OTHER34)], torch.maximum)
case("minimum_3x4_with_4", "minimum", [Input("a", A34), Input("b", B4)], torch.minimum)
case("maximum_3x4_with_4", "maximum", [Input("a", A34), Input("b", B4)], torch.maximum)

# ---------------------------------------------------------------------------------------------
# matmul

M42 = wave((4, 2), 1.4)
case("matmul_2d_2d", "matmul", [Input("a", A34), Input("b", M42)], torch.matmul)
case("matmul_2d_1d", "matmul", [Input("a", A34), Input("b", B4)], torch.matmul)
case("matmul_1d_2d", "matmul", [Input("a", B4), Input("b", M42)], torch.matmul)
case("matmul_1d_1d", "matmul", [Input("a", B4), Input("b", wave((4,), 2.2))], torch.matmul)
case("matmul_transpose_a", "matmul_flags", [Input("a", wave((4, 3), 0.8)), Input("b", M42)],
     lambda a, b: a.t() @ b, {"transpose_a": [1], "transpose_b": [0]})
case("matmul_transpose_b", "matmul_flags", [Input("a", A34), Input("b", wave((2, 4), 0.8))],
     lambda a, b: a @ b.t(), {"transpose_a": [0], "transpose_b": [1]})
case("matmul_transpose_both", "matmul_flags",
     [Input("a", wave((4, 3), 0.8)), Input("b", wave((2, 4), 1.8))],
     lambda a, b: a.t() @ b.t(), {"transpose_a": [1], "transpose_b": [1]})

# ---------------------------------------------------------------------------------------------
# Shape ops

X234 = wave((2, 3, 4), 0.9)
case("transpose_2d", "transpose", [Input("x", A34)], lambda x: x.t())
case("transpose_axes_0_2", "transpose_axes", [Input("x", X234)], lambda x: x.transpose(0, 2),
     {"axes": [0, 2]})
case("transpose_axes_-1_1", "transpose_axes", [Input("x", X234)], lambda x: x.transpose(-1, 1),
     {"axes": [-1, 1]})
case("reshape_3x4_to_2x6", "reshape", [Input("x", A34)], lambda x: x.reshape(2, 6),
     {"shape": [2, 6]})
case("concat_axis_0", "concat",
     [Input("a", wave((2, 3), 0.1)), Input("b", wave((1, 3), 1.1)), Input("c", wave((3, 3), 2.1))],
     lambda a, b, c: torch.cat([a, b, c], 0), {"axis": [0]})
case("concat_axis_1", "concat", [Input("a", wave((2, 3), 0.1)), Input("b", wave((2, 2), 1.1))],
     lambda a, b: torch.cat([a, b], 1), {"axis": [1]})
case("concat_axis_-1_3d", "concat", [Input("a", X234), Input("b", wave((2, 3, 1), 0.4))],
     lambda a, b: torch.cat([a, b], -1), {"axis": [-1]})
X43 = wave((4, 3), 1.6)
case("index_select_axis_0_repeats", "index_select", [Input("x", X43)],
     lambda x: torch.index_select(x, 0, torch.tensor([2, 0, 2, 3])),
     {"axis": [0], "indices": [2, 0, 2, 3]})
case("index_select_axis_1", "index_select", [Input("x", X43)],
     lambda x: torch.index_select(x, 1, torch.tensor([1, 1, 0])),
     {"axis": [1], "indices": [1, 1, 0]})
case("slice_axis_1_step_2", "slice", [Input("x", wave((3, 5), 0.4))], lambda x: x[:, 1:5:2],
     {"axis": [1], "start": [1], "stop": [5], "step": [2]})
case("select_axis_0", "select", [Input("x", X43)], lambda x: x[2], {"axis": [0], "index": [2]})

# ---------------------------------------------------------------------------------------------
# Reductions (sum, mean, max; amax, which splits the gradient evenly between ties as xgrad does)


def reduction_case(name, op, x, axes, keepdim):
    dims = axes if axes else list(range(x.ndim))
    if op == "max":
        fn = lambda t: torch.amax(t, dim=dims, keepdim=keepdim)
    else:
        fn = lambda t: getattr(torch, op)(t, dim=dims, keepdim=keepdim)
    case(name, op, [Input("x", x)], fn, {"axes": axes, "keepdim": [int(keepdim)]})


for op in ["sum", "mean"]:
    reduction_case(f"{op}_all", op, A34, [], False)
    reduction_case(f"{op}_all_keepdim", op, A34, [], True)
    reduction_case(f"{op}_axis_0", op, A34, [0], False)
    reduction_case(f"{op}_axis_1_keepdim", op, A34, [1], True)
    reduction_case(f"{op}_axis_-1", op, X234, [-1], False)
    reduction_case(f"{op}_axes_0_2_keepdim", op, X234, [0, 2], True)
reduction_case("max_all", "max", no_ties(A34), [], False)
reduction_case("max_axis_0", "max", no_ties(A34, 0), [0], False)
reduction_case("max_axis_1_keepdim", "max", no_ties(A34, 1), [1], True)
reduction_case("max_axis_1_3d", "max", no_ties(X234, 1), [1], False)
# Deliberate ties: amax (and xgrad's max) give each tied entry an equal share.
TIES = np.array([[1.0, 3.0, 3.0, -2.0], [0.5, 0.5, 0.5, 0.25], [-1.0, 2.0, 0.0, 1.5]])
reduction_case("max_axis_1_ties", "max", TIES, [1], False)
reduction_case("max_all_ties", "max", np.array([[1.0, 3.0], [3.0, -1.0]]), [], False)

# ---------------------------------------------------------------------------------------------
# softmax and log_softmax

LOGITS = wave((3, 4), 0.3, 2.0)
BIG = wave((3, 4), 0.3, 3.0, 1000.0)          # logits near 1000: exp overflows without the shift
MIXED = np.array([[1000.0, 999.0, 1001.5, 998.0], [-1000.0, -1001.0, -999.5, -1003.0],
                  [50.0, -50.0, 0.0, 25.0]])
for op, fn in [("softmax", torch.softmax), ("log_softmax", torch.log_softmax)]:
    for axis in [0, 1, -1]:
        case(f"{op}_axis_{axis}", op, [Input("x", LOGITS)], lambda x, a=axis, f=fn: f(x, a),
             {"axis": [axis]})
    for axis in [0, 1]:
        case(f"{op}_logits_near_1000_axis_{axis}", op, [Input("x", BIG)],
             lambda x, a=axis, f=fn: f(x, a), {"axis": [axis]})
    case(f"{op}_mixed_large_axis_1", op, [Input("x", MIXED)], lambda x, f=fn: f(x, 1),
         {"axis": [1]})
    case(f"{op}_3d_axis_1", op, [Input("x", X234)], lambda x, f=fn: f(x, 1), {"axis": [1]})

# ---------------------------------------------------------------------------------------------
# Losses

PRED = wave((3, 4), 0.5)
TARGET = wave((3, 4), 2.3, 0.8)
PROB = wave((3, 4), 0.5, 0.45, 0.5)            # in [0.05, 0.95]
SOFT = wave((3, 4), 1.9, 0.5, 0.5)             # soft labels in [0, 1]
HARD = (wave((3, 4), 1.2) > 0).astype(np.float64)
Z = wave((3, 4), 0.5, 8.0)
Z[0, 0], Z[0, 1], Z[1, 2], Z[2, 3] = 50.0, -50.0, 50.0, -50.0   # saturated logits
CE_LOGITS = wave((4, 5), 0.8, 2.5)
CE_TARGET = [3, 0, 4, 3]
for reduction in ["mean", "sum", "none"]:
    r = {"reduction": [reduction]}
    case(f"mse_loss_{reduction}", "mse_loss", [Input("input", PRED), Input("target", TARGET)],
         lambda a, b, red=reduction: F.mse_loss(a, b, reduction=red), r)
    case(f"binary_cross_entropy_soft_{reduction}", "binary_cross_entropy",
         [Input("input", PROB), Input("target", SOFT)],
         lambda a, b, red=reduction: F.binary_cross_entropy(a, b, reduction=red), r)
    case(f"binary_cross_entropy_with_logits_{reduction}", "binary_cross_entropy_with_logits",
         [Input("input", Z), Input("target", SOFT)],
         lambda a, b, red=reduction: F.binary_cross_entropy_with_logits(a, b, reduction=red), r)
    case(f"cross_entropy_{reduction}", "cross_entropy", [Input("logits", CE_LOGITS)],
         lambda z, red=reduction: F.cross_entropy(z, torch.tensor(CE_TARGET), reduction=red),
         {"reduction": [reduction], "target": CE_TARGET})
# Class weights and ignore_index (int64 targets): nll_loss and cross_entropy through it.
CE_WEIGHT = [0.5, 2.0, 1.0, 1.5, 0.25]
CE_TARGET_IGNORED = [3, -100, 4, 1]
for reduction in ["mean", "sum", "none"]:
    for name, target in [("", CE_TARGET), ("_ignored", CE_TARGET_IGNORED)]:
        params = {"reduction": [reduction], "target": target, "weight": CE_WEIGHT,
                  "ignore_index": [-100]}
        case(f"nll_loss_weighted{name}_{reduction}", "nll_loss",
             [Input("log_probs", np.log(np.abs(CE_LOGITS) / 5 + 0.01))],
             lambda z, red=reduction, t=target: F.nll_loss(
                 z, torch.tensor(t), weight=torch.tensor(CE_WEIGHT), reduction=red), params)
        case(f"cross_entropy_weighted{name}_{reduction}", "cross_entropy_weighted",
             [Input("logits", CE_LOGITS)],
             lambda z, red=reduction, t=target: F.cross_entropy(
                 z, torch.tensor(t), weight=torch.tensor(CE_WEIGHT), reduction=red), params)
case("cross_entropy_unweighted_ignored_mean", "cross_entropy_ignored", [Input("logits", CE_LOGITS)],
     lambda z: F.cross_entropy(z, torch.tensor(CE_TARGET_IGNORED)),
     {"target": CE_TARGET_IGNORED, "ignore_index": [-100]})

# Masks: where and masked_fill (bool masks given as 0/1 parameters).
W_MASK = [1, 0, 0, 1, 1, 0, 1, 0, 1, 0, 0, 1]
case("where_broadcast", "where", [Input("a", PRED), Input("b", wave((4,), 1.1))],
     lambda a, b: torch.where(torch.tensor(W_MASK, dtype=torch.bool).reshape(3, 4), a * b, b),
     {"mask": W_MASK})
case("masked_fill_row_mask", "masked_fill", [Input("x", PRED)],
     lambda x: torch.masked_fill(x * x, torch.tensor([True, False, False, True]), -2.5),
     {"mask": [1, 0, 0, 1], "value": [-2.5]})

case("binary_cross_entropy_hard_labels_mean", "binary_cross_entropy",
     [Input("input", PROB), Input("target", HARD, False)],
     lambda a, b: F.binary_cross_entropy(a, b), {"reduction": ["mean"]})
case("binary_cross_entropy_with_logits_hard_labels_sum", "binary_cross_entropy_with_logits",
     [Input("input", Z), Input("target", HARD, False)],
     lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction="sum"),
     {"reduction": ["sum"]})
CE_BIG = wave((3, 4), 0.1, 40.0, 1000.0)
case("cross_entropy_logits_near_1000_mean", "cross_entropy", [Input("logits", CE_BIG)],
     lambda z: F.cross_entropy(z, torch.tensor([1, 2, 0])), {"reduction": ["mean"],
                                                            "target": [1, 2, 0]})

# ---------------------------------------------------------------------------------------------
# Composites

MLP_TARGET = [2, 0, 1, 2, 1]
case("mlp_two_layer_cross_entropy", "mlp",
     [Input("x", wave((5, 4), 0.3), False), Input("W1", wave((4, 6), 1.3, 0.6)),
      Input("b1", wave((6,), 2.3, 0.1)), Input("W2", wave((6, 3), 0.9, 0.5)),
      Input("b2", wave((3,), 1.7, 0.1))],
     lambda x, W1, b1, W2, b2: F.cross_entropy(torch.tanh(x @ W1 + b1) @ W2 + b2,
                                               torch.tensor(MLP_TARGET)),
     {"target": MLP_TARGET}, grad_output=np.array(1.0))
case("logistic_regression_l2", "logistic_regression",
     [Input("X", wave((6, 3), 0.5, 2.0), False), Input("w", wave((3,), 1.0, 0.7)),
      Input("b", np.array(0.15)), Input("y", (wave((6,), 2.0) > 0).astype(np.float64), False)],
     lambda X, w, b, y: F.binary_cross_entropy_with_logits(X @ w + b, y)
     + 0.1 * torch.sum(w ** 2), grad_output=np.array(1.0))

# ---------------------------------------------------------------------------------------------
# Second order: the output is g = df/dx (built with create_graph=True); the gradients are those of
# (g . v) with v the grad_output, i.e. v^T d g / d(x, W): a Hessian-vector product for x.


def first_gradient(f):
    def g(x, W):
        (gx,) = torch.autograd.grad(f(x, W), [x], create_graph=True)
        return gx
    return g


HX = wave((2, 3), 0.4)
HW = wave((3, 4), 1.2, 0.8)
HV = wave((2, 3), 2.6, 1.0)
case("hvp_sum_tanh_squared", "hvp_tanh_squared", [Input("x", HX), Input("W", HW)],
     first_gradient(lambda x, W: torch.sum(torch.tanh(x @ W) ** 2)), grad_output=HV,
     second_order=True)
HC = wave((2, 4), 0.9)
case("hvp_log_softmax", "hvp_log_softmax", [Input("x", HX), Input("W", HW), Input("C", HC, False)],
     lambda x, W, C: first_gradient(lambda x, W: torch.sum(torch.log_softmax(x @ W, 1) * C))(x, W),
     grad_output=HV, second_order=True)
HT = wave((2, 4), 2.2, 0.5, 0.5)
case("hvp_bce_with_logits_softplus", "hvp_bce_with_logits_softplus",
     [Input("x", HX), Input("W", HW), Input("T", HT, False)],
     lambda x, W, T: first_gradient(
         lambda x, W: F.binary_cross_entropy_with_logits(x @ W, T)
         + torch.sum(F.softplus(x, beta=2.0)))(x, W),
     grad_output=HV, second_order=True)


# ---------------------------------------------------------------------------------------------
# Output


def fmt(v):
    return "%.17g" % v


def tensor_tokens(array):
    array = np.asarray(array, dtype=np.float64)
    return [str(array.ndim)] + [str(d) for d in array.shape] + [fmt(v) for v in array.ravel()]


def write_reference(cases, out_path, script, test):
    """Writes `cases` in the format of this module's docstring to `out_path`; `script` and `test`
    name the generating script and the C++ test that reads the file, for its header."""
    lines = [
        f"# PyTorch reference values for tests/autograd/{test}; do not edit.",
        f"# Made by scripts/{script} with torch {torch.__version__}, numpy "
        f"{np.__version__}, Python {platform.python_version()}; float64 throughout.",
        "# Format: see the docstring of "
        + ("that script" if script == "make_torch_reference.py"
           else "scripts/make_torch_reference.py") + ". Regenerate with",
        f"#   /usr/bin/python3 scripts/{script}",
        f"cases {len(cases)}",
    ]
    names = set()
    for c in cases:
        assert c["name"] not in names, c["name"]
        names.add(c["name"])
        lines.append(f"case {c['name']} {c['op']}")
        for key, values in c["params"].items():
            lines.append(" ".join(["param", key] + [str(v) if not isinstance(v, float) else fmt(v)
                                                      for v in values]))
        for i in c["inputs"]:
            lines.append(" ".join(["input", i.name, str(int(i.requires_grad))]
                                  + tensor_tokens(i.values)))
        lines.append(" ".join(["output"] + tensor_tokens(c["output"])))
        lines.append(" ".join(["grad_output"] + tensor_tokens(c["grad_output"])))
        wanted = [i for i in c["inputs"] if i.requires_grad]
        assert len(wanted) == len(c["grads"])
        for i, g in zip(wanted, c["grads"]):
            assert g.shape == i.values.shape, (c["name"], i.name)
            lines.append(" ".join(["grad", i.name] + tensor_tokens(g)))
        lines.append("end")
    os.makedirs(os.path.dirname(out_path), exist_ok=True)
    with open(out_path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {len(cases)} cases to {os.path.normpath(out_path)}", file=sys.stderr)


def main():
    write_reference(CASES, OUT_PATH, "make_torch_reference.py", "test_torch_reference.cpp")


if __name__ == "__main__":
    main()
