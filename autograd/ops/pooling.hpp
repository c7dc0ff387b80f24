// Pooling over one and two spatial axes (torch.nn.functional.max_pool1d/2d, avg_pool1d/2d,
// adaptive_avg_pool2d), with backwards that are differentiable again.
#pragma once

#include <optional>
#include <utility>

#include "autograd/ops/conv.hpp"
#include "autograd/tensor.hpp"

namespace xgrad {

/// The maximum of each window of x (N, C, H, W) or (C, H, W): kernel_size windows every `stride`
/// (the kernel size when unset) over x padded by `padding` on each side (padding never wins),
/// dilated by `dilation`; ceil_mode rounds the output size up as PyTorch does. Output
/// (N, C, Ho, Wo), Ho = (H + 2 padding.h - dilation.h (kH - 1) - 1) / stride.h + 1 (rounded up with
/// ceil_mode, less one if the last window would start in the padding). The gradient goes to the
/// first maximum of each window in scan order (PyTorch's tie rule); NaN counts as a maximum.
/// Throws std::invalid_argument naming the op and shapes for a wrong rank, a non-positive kernel,
/// stride or dilation, a padding negative or above half the kernel, or a kernel larger than the
/// padded input.
Tensor max_pool2d(const Tensor& x, Size2 kernel_size, Size2 stride = Size2(), Size2 padding = 0,
                  Size2 dilation = 1, bool ceil_mode = false);
/// max_pool2d's output and, for each output element, the flat index (y W + x) of its maximum in
/// the input plane, as torch's return_indices=True: an int64 tensor of the output's shape.
std::pair<Tensor, Tensor> max_pool2d_with_indices(const Tensor& x, Size2 kernel_size,
                                                  Size2 stride = Size2(), Size2 padding = 0,
                                                  Size2 dilation = 1, bool ceil_mode = false);
/// The same over one axis: x (N, C, L) or (C, L); indices are positions along L.
Tensor max_pool1d(const Tensor& x, int kernel_size, std::optional<int> stride = std::nullopt,
                  int padding = 0, int dilation = 1, bool ceil_mode = false);
std::pair<Tensor, Tensor> max_pool1d_with_indices(const Tensor& x, int kernel_size,
                                                  std::optional<int> stride = std::nullopt,
                                                  int padding = 0, int dilation = 1,
                                                  bool ceil_mode = false);

/// The mean of each window, arguments as max_pool2d (no dilation). With count_include_pad (the
/// default, as PyTorch) padded zeros count in the divisor; without, only input elements do.
Tensor avg_pool2d(const Tensor& x, Size2 kernel_size, Size2 stride = Size2(), Size2 padding = 0,
                  bool ceil_mode = false, bool count_include_pad = true);
/// The same over one axis: x (N, C, L) or (C, L).
Tensor avg_pool1d(const Tensor& x, int kernel_size, std::optional<int> stride = std::nullopt,
                  int padding = 0, bool ceil_mode = false, bool count_include_pad = true);

/// The mean over output_size.h x output_size.w windows that tile x (N, C, H, W) or (C, H, W):
/// output row i averages input rows floor(i H / Ho) to ceil((i + 1) H / Ho) - 1, as PyTorch's
/// adaptive_avg_pool2d. Throws std::invalid_argument for a wrong rank or a non-positive size.
Tensor adaptive_avg_pool2d(const Tensor& x, Size2 output_size);

}  // namespace xgrad
