// xgrad's autograd layer in one include: tensors, factories, ops, the engine and its tools.
#pragma once

#include "autograd/anomaly.hpp"
#include "autograd/capture.hpp"
#include "autograd/dot.hpp"
#include "autograd/engine.hpp"
#include "autograd/factory.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/gradcheck.hpp"
#include "autograd/node.hpp"
#include "autograd/ops.hpp"
#include "autograd/parallel.hpp"
#include "autograd/random.hpp"
#include "autograd/tensor.hpp"
#include "autograd/threads.hpp"
#include "autograd/warning.hpp"
