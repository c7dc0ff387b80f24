// xgrad's nn layer in one include.
#pragma once

#include "nn/activation.hpp"
#include "nn/dropout.hpp"
#include "nn/init.hpp"
#include "nn/linear.hpp"
#include "nn/module.hpp"
#include "nn/sequential.hpp"
