// Every differentiable op, by family.
#pragma once

#include "autograd/ops/activation.hpp"
#include "autograd/ops/comparison.hpp"
#include "autograd/ops/conv.hpp"
#include "autograd/ops/dropout.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/indexing.hpp"
#include "autograd/ops/inplace.hpp"
#include "autograd/ops/join_ops.hpp"
#include "autograd/ops/loss.hpp"
#include "autograd/ops/matmul.hpp"
#include "autograd/ops/normalization.hpp"
#include "autograd/ops/pooling.hpp"
#include "autograd/ops/reduction.hpp"
#include "autograd/ops/shape_ops.hpp"
#include "autograd/ops/statistics.hpp"
#include "autograd/ops/view_ops.hpp"
