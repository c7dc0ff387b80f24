// xgrad's models in one include.
#pragma once

#include "models/estimator.hpp"
#include "models/fit_options.hpp"
#include "models/input_scaler.hpp"
#include "models/linear_regression.hpp"
#include "models/logistic_regression.hpp"
#include "models/mlp.hpp"
#include "nn/nn.hpp"  // the layers, data tools and tensor ops the models are used with
