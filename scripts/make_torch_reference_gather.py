#!/usr/bin/python3
"""Writes tests/data/torch_reference_gather.txt: forward values, gradients and Hessian-vector
products of gather, scatter_add, index_add and embedding computed by PyTorch in float64, for
tests/autograd/test_torch_reference_gather.cpp.

Run with Debian's interpreter, which has python3-torch:
    /usr/bin/python3 scripts/make_torch_reference_gather.py

Inputs, the case runner and the file format are those of scripts/make_torch_reference_ops.py and
scripts/make_torch_reference.py. Index tensors are parameters: "index" (row-major values) and
"index_shape".
"""

import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_torch_reference import Input, wave, write_reference  # noqa: E402
import make_torch_reference_ops as ops  # noqa: E402

OUT_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data",
                        "torch_reference_gather.txt")

ops.CASES.clear()


def index_params(index, dim, **more):
    index = np.asarray(index, dtype=np.int64)
    params = {"index": list(index.ravel()), "index_shape": list(index.shape), "dim": [dim]}
    params.update({k: [v] for k, v in more.items()})
    return params, torch.tensor(index)


for name, shape, dim, index in [
        ("vector", (4,), 0, [3, 0, 3, 1, 1]),
        ("matrix_neg_dim", (2, 3), -1, [[2, 2], [0, 1]]),
        ("matrix_dim0", (3, 4), 0, [[2, 0, 1], [1, 1, 0]]),
        ("cube", (2, 3, 4), 1, [[[2, 0], [1, 1]], [[0, 0], [2, 1]]])]:
    params, idx = index_params(index, dim)
    ops.case(f"gather_{name}", "gather", [Input("x", wave(shape, 0.4))], 
             lambda x, idx=idx, dim=dim: torch.gather(x, dim, idx), params=params)

for name, shape, src_shape, dim, index in [
        ("vector_repeats", (4,), (3,), 0, [2, 2, 0]),
        ("matrix_neg_dim", (2, 3), (2, 2), -1, [[0, 0], [1, 2]]),
        ("cube", (2, 3, 2), (2, 2, 2), 1, [[[2, 0], [0, 1]], [[1, 1], [2, 0]]])]:
    params, idx = index_params(index, dim)
    ops.case(f"scatter_add_{name}", "scatter_add",
             [Input("x", wave(shape, 0.9)), Input("src", wave(src_shape, 1.9, 0.7))],
             lambda x, s, idx=idx, dim=dim: x.scatter_add(dim, idx, s), params=params)

for name, shape, src_shape, dim, index, alpha in [
        ("vector_repeats", (2,), (3,), 0, [1, 1, 0], 0.5),
        ("cube_neg_dim", (2, 3, 2), (2, 4, 2), -2, [2, 0, 2, 1], -1.5)]:
    params, idx = index_params(index, dim, alpha=alpha)
    ops.case(f"index_add_{name}", "index_add",
             [Input("x", wave(shape, 0.2)), Input("source", wave(src_shape, 2.3))],
             lambda x, s, idx=idx, dim=dim, alpha=alpha: torch.index_add(x, dim, idx, s, alpha=alpha),
             params=params)

for name, index, padding in [("matrix_ids", [[2, 0, 2], [1, 3, 3]], None),
                             ("padding", [[2, 0, 2], [1, 3, 1]], 1),
                             ("negative_padding", [0, 3, 3, 2], -1)]:
    params, idx = index_params(index, 0, padding_idx=-100 if padding is None else padding)
    ops.case(f"embedding_{name}", "embedding", [Input("weight", wave((4, 3), 1.1))],
             lambda w, idx=idx, p=padding: F.embedding(idx, w, padding_idx=p), params=params)

# Second order: the gradient with respect to x of a scalar through each op, and its
# Hessian-vector product (the grad of <gradient, v>).
HX = wave((3, 4), 0.6)
HV = wave((3, 4), 2.2, 0.5)
G_IDX = torch.tensor([[2, 0, 1, 1], [1, 1, 0, 2]])
S_IDX = torch.tensor([[0, 0, 3], [2, 1, 1], [3, 3, 0]])
I_IDX = torch.tensor([2, 0, 2])
E_IDX = torch.tensor([[2, 0], [2, 1]])
SECOND_ORDER = {
    "hvp_gather": lambda x: torch.sum(torch.gather(x * x, 0, G_IDX) ** 3),
    "hvp_scatter_add": lambda x: torch.sum(torch.sin(x.scatter_add(1, S_IDX, x[:, :3] ** 2)) ** 2),
    "hvp_index_add": lambda x: torch.sum(torch.index_add(x, 0, I_IDX, x ** 2, alpha=0.5) ** 3),
    "hvp_embedding": lambda x: torch.sum(F.embedding(E_IDX, x ** 2, padding_idx=1) ** 2),
}
for name, f in SECOND_ORDER.items():
    def gradient(x, f=f):
        (g,) = torch.autograd.grad(f(x), x, create_graph=True)
        return g
    ops.case(name, name, [Input("x", HX)], gradient, grad_output=HV, second_order=True)


def main():
    write_reference(ops.CASES, OUT_PATH, "make_torch_reference_gather.py",
                    "test_torch_reference_gather.cpp")


if __name__ == "__main__":
    main()
