// The bad-input catalogue of the nn layer: modules, losses, optimizers and schedulers, data loading
// and preparation, checkpoints, metrics and the Trainer fed wrong shapes and dtypes, empty data,
// NaN and infinity, negative or zero sizes, out-of-range class labels, and missing, unreadable or
// truncated files. Each row must throw the documented exception type (README, Errors) with a
// message naming the problem: no crash, no silent wrong result.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "bad_input.hpp"
#include "gradient_checks.hpp"
#include "nn/nn.hpp"
#include "temp_dir.hpp"

using namespace xgrad;
using xgrad::testing::BadCall;
using xgrad::testing::check_bad_calls;
using xgrad::testing::f32;
using xgrad::testing::TempDir;
using xgrad::testing::Throws;
namespace fs = std::filesystem;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
// What a negative size becomes when a caller passes -1 where a size_t is expected.
constexpr std::size_t kMinusOne = static_cast<std::size_t>(-1);

using Labels = std::vector<std::int64_t>;

// One scalar parameter p: prediction = x * p.
class Scalar : public nn::Module {
 public:
  Scalar() { p = register_parameter("p", zeros({1}, float64)); }
  Tensor forward(const Tensor& x) override { return x * p; }
  Tensor p;
};

// Modules that register badly, to reach Module's checks.
class TwoNamedP : public nn::Module {
 public:
  TwoNamedP() {
    register_parameter("p", zeros({1}));
    register_parameter("p", zeros({1}));
  }
};
class DottedName : public nn::Module {
 public:
  DottedName() { register_parameter("a.b", zeros({1})); }
};
class NullChild : public nn::Module {
 public:
  NullChild() { register_module("child", std::shared_ptr<nn::Module>()); }
};

std::istringstream text(const std::string& s) {
  return std::istringstream(s);
}

data::CsvTable read_csv_text(const std::string& s) {
  std::istringstream input(s);
  return data::read_csv(input);
}

}  // namespace

TEST_CASE("modules refuse bad sizes, inputs and state", "[nn][module][errors]") {
  Generator generator(1);
  nn::Linear linear(4, 3, true, nn::Init::kaiming_uniform, generator);
  SECTION("zero and negative sizes and bad hyperparameters") {
    check_bad_calls({
        {"Linear(0, 3)", [&] { nn::Linear(0, 3); }, Throws::invalid_argument,
         "Linear: need at least one input and one output feature; got 0 -> 3"},
        {"Linear(3, 0)", [&] { nn::Linear(3, 0); }, Throws::invalid_argument, "got 3 -> 0"},
        {"Linear(-1, 4)", [&] { nn::Linear(kMinusOne, 4); }, Throws::invalid_argument,
         "has more elements than fit in memory"},
        {"Dropout p = 1.5", [&] { nn::Dropout{1.5}; }, Throws::invalid_argument,
         "Dropout: p must be in [0, 1]"},
        {"Dropout p = -0.1", [&] { nn::Dropout{-0.1}; }, Throws::invalid_argument,
         "Dropout: p must be in [0, 1]"},
        {"Dropout p = NaN", [&] { nn::Dropout{kNaN}; }, Throws::invalid_argument,
         "Dropout: p must be in [0, 1], got nan"},
        {"LeakyReLU slope NaN", [&] { nn::LeakyReLU{kNaN}; }, Throws::invalid_argument,
         "LeakyReLU: negative_slope must be finite, got nan"},
        {"init::uniform_ with low > high",
         [&] {
           Tensor t = zeros({2});
           nn::init::uniform_(t, 1, 0, generator);
         },
         Throws::invalid_argument, "uniform_: need finite low < high"},
        {"init::normal_ with std -1",
         [&] {
           Tensor t = zeros({2});
           nn::init::normal_(t, 0, -1, generator);
         },
         Throws::invalid_argument, "normal_: need finite mean and std >= 0"},
        {"init::normal_ with mean NaN",
         [&] {
           Tensor t = zeros({2});
           nn::init::normal_(t, kNaN, 1, generator);
         },
         Throws::invalid_argument, "normal_: need finite mean and std >= 0; got mean nan"},
    });
  }
  SECTION("wrong input shapes and dtypes") {
    check_bad_calls({
        {"Linear(4, 3) on 5 features",
         [&] {
           linear(ones({2, 5}));
         },
         Throws::invalid_argument, "Linear: input of shape (2, 5) has 5 features, layer expects 4"},
        {"Linear on a 3-D input",
         [&] {
           linear(ones({2, 2, 4}));
         },
         Throws::invalid_argument,
         "Linear: input of shape (2, 2, 4) has rank 3; the layer takes (N, 4) or (4,)"},
        {"Linear on a scalar", [&] { linear(scalar_tensor(1)); }, Throws::invalid_argument,
         "Linear: input of shape () has no features, layer expects 4"},
        {"Linear float32 on float64",
         [&] {
           linear(ones({2, 4}, float64));
         },
         Throws::invalid_argument, "Linear: input is float64, layer is float32"},
        {"Linear on undefined", [&] { linear(Tensor()); }, Throws::invalid_argument,
         "Linear: input is undefined"},
        {"Dropout on undefined", [&] { nn::Dropout{0.5}(Tensor()); }, Throws::invalid_argument,
         "Dropout: input is undefined"},
        {"Softmax over axis 3 of a matrix",
         [&] {
           nn::Softmax(3)(ones({2, 2}));
         },
         Throws::out_of_range, "softmax: axis 3 out of range"},
        {"Flatten of a scalar", [&] { nn::Flatten()(scalar_tensor(1)); }, Throws::invalid_argument,
         "Flatten: input is a scalar; need a batch axis"},
    });
    // An empty batch is a batch: (0, 4) -> (0, 3).
    CHECK(linear(zeros({0, 4})).shape() == Shape{0, 3});
  }
  SECTION("bad registrations, indices and forward calls") {
    check_bad_calls({
        {"a parameter name registered twice", [] { TwoNamedP(); }, Throws::invalid_argument,
         "TwoNamedP: name 'p' is already registered"},
        {"a dotted parameter name", [] { DottedName(); }, Throws::invalid_argument,
         "DottedName: bad name 'a.b' (names are non-empty and have no dots)"},
        {"a null submodule", [] { NullChild(); }, Throws::invalid_argument,
         "NullChild: submodule 'child' is null"},
        {"Sequential of a null module", [] { nn::Sequential{nullptr}; }, Throws::invalid_argument,
         "Sequential: submodule '0' is null"},
        {"Sequential[0] of an empty Sequential", [] { nn::Sequential()[0]; }, Throws::out_of_range,
         "Sequential: index 0 out of range for 0 modules"},
        {"forward of a Module without one", [] { nn::Module()(ones({1})); }, Throws::logic_error,
         "Module: this module has no forward(Tensor); override it"},
        {"a loss module called without a target",
         [] {
           nn::MSELoss loss;
           static_cast<nn::Module&>(loss)(ones({1}));
         },
         Throws::logic_error, "MSELoss: a loss takes (input, target)"},
    });
  }
  SECTION("state dicts that do not fit") {
    check_bad_calls({
        {"a misshapen and a missing tensor",
         [&] {
           linear.load_state_dict({{"weight", ones({2, 2})}});
         },
         Throws::invalid_argument,
         "Linear: load_state_dict: 'weight' is float32 (2, 2), module expects float32 (3, 4); "
         "missing 'bias' (float32 (3,))"},
        {"a float64 tensor for a float32 parameter",
         [&] {
           linear.load_state_dict({{"weight", ones({3, 4}, float64)}, {"bias", zeros({3})}});
         },
         Throws::invalid_argument, "'weight' is float64 (3, 4), module expects float32 (3, 4)"},
        {"an undefined tensor",
         [&] {
           linear.load_state_dict({{"weight", Tensor()}, {"bias", zeros({3})}});
         },
         Throws::invalid_argument, "'weight' is undefined"},
        {"a name given twice",
         [&] {
           linear.load_state_dict(
               {{"weight", ones({3, 4})}, {"weight", zeros({3, 4})}, {"bias", zeros({3})}});
         },
         Throws::invalid_argument, "Linear: load_state_dict: 'weight' appears twice"},
        {"an unexpected name",
         [&] {
           linear.load_state_dict(
               {{"weight", ones({3, 4})}, {"bias", zeros({3})}, {"x", ones({1})}});
         },
         Throws::invalid_argument, "unexpected 'x'"},
    });
  }
}

TEST_CASE("nn losses refuse bad shapes, dtypes, labels and arguments", "[nn][loss][errors]") {
  check_bad_calls({
      {"l1_loss (3,) against (3, 1)",
       [] {
         nn::l1_loss(ones({3}), ones({3, 1}));
       },
       Throws::invalid_argument, "l1_loss: input (3,) and target (3, 1) differ in shape"},
      {"l1_loss float32 against float64", [] { nn::l1_loss(ones({3}), ones({3}, float64)); },
       Throws::invalid_argument, "l1_loss: input is float32, target is float64"},
      {"l1_loss mean of nothing", [] { nn::l1_loss(zeros({0}), zeros({0})); },
       Throws::invalid_argument, "l1_loss: mean over an empty input of shape (0,)"},
      {"huber_loss delta 0", [] { nn::huber_loss(ones({3}), ones({3}), 0); },
       Throws::invalid_argument, "huber_loss: delta must be finite and > 0, got 0"},
      {"huber_loss delta NaN", [] { nn::huber_loss(ones({3}), ones({3}), kNaN); },
       Throws::invalid_argument, "huber_loss: delta must be finite and > 0, got nan"},
      {"HuberLoss delta infinity", [] { nn::HuberLoss{kInf}; }, Throws::invalid_argument,
       "HuberLoss: delta must be finite and > 0, got inf"},
      {"nll_loss class 7 of 5",
       [] {
         nn::nll_loss(zeros({2, 5}), Labels{1, 7});
       },
       Throws::out_of_range, "nll_loss: target 7 out of range for 5 classes (row 1)"},
      {"nll_loss class -1",
       [] {
         nn::nll_loss(zeros({2, 5}), Labels{-1, 0});
       },
       Throws::out_of_range, "nll_loss: target -1 out of range for 5 classes (row 0)"},
      {"nll_loss of 1-D input", [] { nn::nll_loss(zeros({5}), Labels{1}); },
       Throws::invalid_argument, "nll_loss: input must be 2-D (N, C) log-probabilities; got (5,)"},
      {"nll_loss label NaN",
       [] {
         nn::nll_loss(zeros({2, 5}), f32({std::numeric_limits<float>::quiet_NaN(), 1}));
       },
       Throws::invalid_argument, "nll_loss: target nan is not a class index (row 0)"},
      {"l2_penalty of nothing", [] { nn::l2_penalty({}); }, Throws::invalid_argument,
       "l2_penalty: no tensors given"},
      {"l2_penalty of mixed dtypes",
       [] {
         nn::l2_penalty({ones({1}), ones({1}, float64)});
       },
       Throws::invalid_argument, "l2_penalty: tensor 1 is float64, tensor 0 is float32"},
      {"CrossEntropyLoss label_smoothing 1.5", [] { nn::CrossEntropyLoss(Reduction::mean, 1.5); },
       Throws::invalid_argument, "CrossEntropyLoss: label_smoothing must be in [0, 1], got 1.5"},
      {"CrossEntropyLoss class 3 of 3",
       [] {
         nn::CrossEntropyLoss()(zeros({2, 3}), f32({0, 3}));
       },
       Throws::out_of_range, "cross_entropy: target 3 out of range for 3 classes (row 1)"},
      {"BCELoss of p = 2", [] { nn::BCELoss()(full({2}, 2.0), ones({2})); },
       Throws::invalid_argument, "binary_cross_entropy: input must be probabilities in [0, 1]"},
  });
}

TEST_CASE("optimizers, schedulers and clipping refuse bad parameters and hyperparameters",
          "[nn][optim][errors]") {
  Tensor p = ones({2}, float32, true);
  optim::SGD sgd({p}, 0.1);
  check_bad_calls({
      {"no parameters", [] { optim::SGD({}, 0.1); }, Throws::invalid_argument,
       "SGD: no parameters to optimize"},
      {"an undefined parameter", [] { optim::Adam({Tensor()}); }, Throws::invalid_argument,
       "Adam: parameter 0 is undefined"},
      {"a parameter without requires_grad", [] { optim::SGD({ones({2})}, 0.1); },
       Throws::invalid_argument, "SGD: parameter 0 does not require grad"},
      {"a parameter listed twice",
       [&] {
         optim::SGD({p, p}, 0.1);
       },
       Throws::invalid_argument, "SGD: parameter 1 is parameter 0 again; list each parameter once"},
      {"learning rate -0.1", [&] { optim::SGD({p}, -0.1); }, Throws::invalid_argument,
       "SGD: learning rate must be finite and >= 0"},
      {"learning rate NaN", [&] { optim::RMSprop({p}, kNaN); }, Throws::invalid_argument,
       "RMSprop: learning rate must be finite and >= 0, got nan"},
      {"learning rate infinity", [&] { optim::AdamW({p}, kInf); }, Throws::invalid_argument,
       "AdamW: learning rate must be finite and >= 0, got inf"},
      {"set_lr(NaN)", [&] { sgd.set_lr(kNaN); }, Throws::invalid_argument,
       "SGD: learning rate must be finite and >= 0, got nan"},
      {"SGD momentum -1", [&] { optim::SGD({p}, 0.1, -1); }, Throws::invalid_argument,
       "SGD: momentum must be finite and >= 0, got -1"},
      {"SGD dampening 2", [&] { optim::SGD({p}, 0.1, 0.9, 2); }, Throws::invalid_argument,
       "SGD: dampening must be in [0, 1], got 2"},
      {"SGD nesterov without momentum", [&] { optim::SGD({p}, 0.1, 0, 0, 0, true); },
       Throws::invalid_argument, "SGD: nesterov momentum requires momentum > 0"},
      {"Adam beta1 = 1",
       [&] {
         optim::Adam({p}, 0.1, {1.0, 0.999});
       },
       Throws::invalid_argument, "Adam: beta1 must be in [0, 1), got 1"},
      {"Adam eps -1",
       [&] {
         optim::Adam({p}, 0.1, {0.9, 0.999}, -1);
       },
       Throws::invalid_argument, "Adam: eps must be finite and >= 0, got -1"},
      {"Adam weight_decay NaN",
       [&] {
         optim::Adam({p}, 0.1, {0.9, 0.999}, 1e-8, kNaN);
       },
       Throws::invalid_argument, "Adam: weight_decay must be finite and >= 0, got nan"},
      {"RMSprop alpha 2", [&] { optim::RMSprop({p}, 0.1, 2); }, Throws::invalid_argument,
       "RMSprop: alpha must be in [0, 1], got 2"},
      {"a step after the model changed dtype",
       [] {
         Generator generator(2);
         nn::Linear layer(2, 2, true, nn::Init::zeros, generator);
         optim::Adam adam(layer.parameters(), 0.1);
         sum(layer(ones({1, 2}))).backward();
         adam.step();
         layer.to(float64);
         sum(layer(ones({1, 2}, float64))).backward();
         adam.step();
       },
       Throws::runtime_error,
       "Adam: parameter 0 is now float64 (2, 2) but its optimizer state is "
       "float32 (2, 2)"},
      {"clip_grad_norm_ of NaN gradients",
       [] {
         Tensor q = ones({2}, float32, true);
         q.set_grad(full({2}, kNaN));
         optim::clip_grad_norm_({q}, 1.0);
       },
       Throws::runtime_error, "clip_grad_norm_: the total norm of the gradients is nan"},
      {"clip_grad_norm_ to -1", [&] { optim::clip_grad_norm_({p}, -1.0); },
       Throws::invalid_argument, "clip_grad_norm_: max_norm must be >= 0, got -1"},
      {"StepLR step_size 0", [&] { optim::StepLR(sgd, 0); }, Throws::invalid_argument,
       "StepLR: step_size must be >= 1, got 0"},
      {"ExponentialLR gamma NaN", [&] { optim::ExponentialLR(sgd, kNaN); },
       Throws::invalid_argument, "ExponentialLR: gamma must be finite and > 0, got nan"},
      {"CosineAnnealingLR T_max 0", [&] { optim::CosineAnnealingLR(sgd, 0); },
       Throws::invalid_argument, "CosineAnnealingLR: T_max must be >= 1, got 0"},
      {"ReduceLROnPlateau factor 1",
       [&] { optim::ReduceLROnPlateau(sgd, optim::ReduceLROnPlateau::Mode::min, 1.0); },
       Throws::invalid_argument, "ReduceLROnPlateau: factor must be in [0, 1), got 1"},
      {"ReduceLROnPlateau patience -1",
       [&] { optim::ReduceLROnPlateau(sgd, optim::ReduceLROnPlateau::Mode::min, 0.1, -1); },
       Throws::invalid_argument, "ReduceLROnPlateau: patience must be >= 0, got -1"},
      {"a non-leaf parameter", [] { optim::SGD({ones({2}, float32, true) * 2.0}, 0.1); },
       Throws::invalid_argument,
       "SGD: parameter 0 is not a leaf (it was made by 'mul'); can't optimize a non-leaf tensor"},
      {"a step whose gradient no longer fits the parameter (values replaced in place)",
       [] {
         Tensor q = ones({2, 2}, float64, true);
         optim::Adam adam({q}, 0.1);
         sum(q * 3.0).backward();
         q.data<double>() = xt::ones<double>({5, 5});
         adam.step();
       },
       Throws::runtime_error,
       "Adam: parameter 0 is float64 (5, 5) but its gradient is float64 (2, 2)"},
      {"clip_grad_norm_ of parameters stepped inside backward",
       [] {
         Tensor q = ones({2}, float32, true);
         optim::SGD fused({q}, 0.1);
         fused.fuse_into_backward();
         sum(q * 2.0).backward();
         optim::clip_grad_norm_({q}, 1.0);
       },
       Throws::runtime_error,
       "clip_grad_norm_: parameter 0 takes its optimizer's step inside backward "
       "(fuse_into_backward), which stores no gradient to clip"},
  });
}

TEST_CASE("data loading and preparation refuse bad data, files and arguments",
          "[nn][data][errors]") {
  TempDir dir("data");
  SECTION("datasets and loaders") {
    check_bad_calls({
        {"x of 3 rows, y of 4",
         [] {
           data::Dataset(ones({3, 2}), ones({4}));
         },
         Throws::invalid_argument, "Dataset: x has 3 rows, y has 4"},
        {"no rows",
         [] {
           data::Dataset(zeros({0, 2}), zeros({0}));
         },
         Throws::invalid_argument, "Dataset: no samples"},
        {"NaN in x",
         [] {
           data::Dataset(full({3, 2}, kNaN), ones({3}));
         },
         Throws::invalid_argument, "Dataset: x holds nan at row 0, column 0"},
        {"infinity in y",
         [] {
           data::Dataset(ones({3, 2}), full({3}, kInf));
         },
         Throws::invalid_argument, "Dataset: y holds inf at row 0, column 0"},
        {"scalar x", [] { data::Dataset(scalar_tensor(1), ones({1})); }, Throws::invalid_argument,
         "Dataset: x () and y (1,) need a row axis"},
        {"undefined x", [] { data::Dataset(Tensor(), ones({3})); }, Throws::invalid_argument,
         "Dataset: x or y is undefined"},
        {"row 3 of 3",
         [] {
           data::Dataset(ones({3, 2}), ones({3})).get({3});
         },
         Throws::out_of_range, "index 3 out of range for axis 0 of extent 3"},
        {"batch_size 0",
         [] {
           data::DataLoader(data::Dataset(ones({3, 2}), ones({3})), 0);
         },
         Throws::invalid_argument, "DataLoader: batch_size must be at least 1"},
        {"an empty dataset", [] { data::DataLoader(data::Dataset(), 2); }, Throws::invalid_argument,
         "DataLoader: the dataset is empty"},
    });
  }
  SECTION("missing, unreadable and truncated CSV files") {
    const std::string cut_row = dir.write("cut_row.csv", "a,b,c\n1,2,3\n4,5");
    const std::string cut_number = dir.write("cut_number.csv", "a,b\n1,2.5e");
    const std::string cut_quote = dir.write("cut_quote.csv", "\"a\",\"b");
    const std::string empty = dir.write("empty.csv", "");
    const std::string binary = dir.write("binary.csv", std::string("\x00\x01,\xff\n\x03", 6));
    check_bad_calls({
        {"a missing file", [&] { data::read_csv(dir.file("missing.csv")); }, Throws::runtime_error,
         "read_csv: cannot open " + dir.file("missing.csv") + ": No such file or directory"},
        {"a directory", [&] { data::read_csv(dir.file("")); }, Throws::runtime_error,
         "it is a directory"},
        {"a path through a file", [&] { data::read_csv(cut_row + "/x.csv"); },
         Throws::runtime_error, ": Not a directory"},
        {"a file whose reads fail (/proc/self/mem at offset 0)",
         [] { data::read_csv("/proc/self/mem"); }, Throws::runtime_error,
         "read_csv: error while reading /proc/self/mem"},
        {"a file cut in a row", [&] { data::read_csv(cut_row); }, Throws::invalid_argument,
         cut_row + ":3: 2 fields, but the header has 3 columns"},
        {"a file cut in a number", [&] { data::read_csv(cut_number); }, Throws::invalid_argument,
         cut_number + ":2: column 'b' (index 1): \"2.5e\" is not a number"},
        {"a file cut in a quoted header", [&] { data::read_csv(cut_quote); },
         Throws::invalid_argument, cut_quote + ":1: field 1: unterminated quote"},
        {"an empty file", [&] { data::read_csv(empty); }, Throws::invalid_argument,
         "read_csv: " + empty + " is empty (no header)"},
        {"binary bytes", [&] { data::read_csv(binary); }, Throws::invalid_argument,
         binary + ":2: 1 fields, but the header has 2 columns"},
        {"a stream in a failed state",
         [] {
           std::istringstream input("a\n1\n");
           input.setstate(std::ios::badbit);
           data::read_csv(input);
         },
         Throws::runtime_error, "read_csv: error while reading <stream>"},
    });
    if (::geteuid() != 0) {
      const std::string locked = dir.write("locked.csv", "a\n1\n");
      fs::permissions(locked, fs::perms::none);
      check_bad_calls({{"a file without read permission", [&] { data::read_csv(locked); },
                        Throws::runtime_error, ": Permission denied"}});
    }
  }
  SECTION("bad CSV content and targets") {
    const std::string iris = dir.write("iris.csv", "a,b,species\n1,2,0\n3,4,1\n");
    const std::string big = dir.write("big.csv", "a,b\n1e300,1\n");
    check_bad_calls({
        {"a target of 1e30 for cross_entropy",
         [] {
           nn::CrossEntropyLoss()(ones({1, 3}), full({1}, 1e30));
         },
         Throws::invalid_argument, "target 1e+30 is not a class index (row 0)"},
        {"a header without rows", [] { read_csv_text("a,b\n"); }, Throws::invalid_argument,
         "read_csv: <stream> has a header (line 1) but no data rows"},
        {"NaN written in the file", [] { read_csv_text("a,b\n1,nan\n"); }, Throws::invalid_argument,
         "<stream>:2: column 'b' (index 1): \"nan\" is not finite (NaN and infinity are not "
         "accepted)"},
        {"infinity written in the file", [] { read_csv_text("a,b\n-inf,1\n"); },
         Throws::invalid_argument, "column 'a' (index 0): \"-inf\" is not finite"},
        {"a number beyond float64", [] { read_csv_text("a,b\n1,1e999\n"); },
         Throws::invalid_argument, "\"1e999\" is out of the range of float64"},
        {"a missing value", [] { read_csv_text("a,b\n1,\n"); }, Throws::invalid_argument,
         "column 'b' (index 1): missing value"},
        {"two columns named a", [] { read_csv_text("a,a\n1,2\n"); }, Throws::invalid_argument,
         "duplicate column name 'a' (indices 0 and 1)"},
        {"a quote as delimiter",
         [] {
           auto input = text("a\n1\n");
           data::read_csv(input, '"');
         },
         Throws::invalid_argument, "read_csv: the delimiter cannot be a quote or a line break"},
        {"an unknown column", [] { read_csv_text("a,b\n1,2\n").column_index("c"); },
         Throws::invalid_argument, "CsvTable: <stream> has no column 'c'; columns are 'a', 'b'"},
        {"an unknown target", [&] { data::load_csv(iris, "label"); }, Throws::invalid_argument,
         "has no column 'label'; columns are 'a', 'b', 'species'"},
        {"target column 3 of 3", [&] { data::load_csv(iris, 3L); }, Throws::out_of_range,
         "load_csv: target column 3 out of range for the 3 columns"},
        {"target column -4 of 3", [&] { data::load_csv(iris, -4L); }, Throws::out_of_range,
         "load_csv: target column -4 out of range"},
        {"1e300 as float32", [&] { data::load_csv(big, "b"); }, Throws::invalid_argument,
         ":2: column 'a' (index 0): 1e+300 does not fit in float32"},
    });
  }
  SECTION("preprocessing") {
    data::StandardScaler fitted;
    fitted.fit(f32({{1, 2}, {3, 5}}));
    check_bad_calls({
        {"one_hot inferring 1000000001 classes from one label",
         [] {
           data::one_hot(std::vector<std::int64_t>{0, 1000000000});
         },
         Throws::invalid_argument,
         "one_hot: largest label is 1000000000; pass num_classes to build that many classes"},
        {"StandardScaler.transform before fit",
         [] {
           data::StandardScaler().transform(ones({2, 2}));
         },
         Throws::runtime_error,
         "StandardScaler.transform: the scaler is not fitted; call fit first"},
        {"StandardScaler.fit of a vector", [] { data::StandardScaler().fit(ones({2})); },
         Throws::invalid_argument, "expected x of shape (samples, features), got (2,)"},
        {"StandardScaler.fit of no rows",
         [] {
           data::StandardScaler().fit(zeros({0, 2}));
         },
         Throws::invalid_argument, "StandardScaler.fit: x (0, 2) has no rows"},
        {"StandardScaler.fit of NaN",
         [] {
           data::StandardScaler().fit(full({2, 2}, kNaN));
         },
         Throws::invalid_argument, "StandardScaler.fit: x holds nan at row 0, column 0"},
        {"StandardScaler.transform of 3 features",
         [&] {
           fitted.transform(ones({2, 3}));
         },
         Throws::invalid_argument, "x has 3 features, the scaler was fitted on 2"},
        {"StandardScaler.transform of float64",
         [&] {
           fitted.transform(ones({2, 2}, float64));
         },
         Throws::invalid_argument, "x is float64, the fitted statistics are float32"},
        {"MinMaxScaler range (1, 0)",
         [] {
           data::MinMaxScaler({1, 0});
         },
         Throws::invalid_argument, "MinMaxScaler: feature_range: range (1, 0) needs finite low"},
        {"normalize of NaN", [] { data::normalize(full({2}, kNaN)); }, Throws::invalid_argument,
         "normalize: x holds nan at index 0"},
        {"normalize of nothing", [] { data::normalize(zeros({0})); }, Throws::invalid_argument,
         "normalize: x (0,) is empty"},
        {"one_hot label 7 of 5",
         [] {
           data::one_hot(Labels{0, 7}, 5);
         },
         Throws::out_of_range, "one_hot: label 7 out of range for 5 classes (row 1)"},
        {"one_hot label -1", [] { data::one_hot(Labels{-1}, 5); }, Throws::out_of_range,
         "one_hot: label -1 out of range for 5 classes (row 0)"},
        {"one_hot of 0 classes", [] { data::one_hot(Labels{0}, 0); }, Throws::invalid_argument,
         "one_hot: num_classes must be positive, or -1 to infer it; got 0"},
        {"one_hot label NaN", [] { data::one_hot(f32({std::numeric_limits<float>::quiet_NaN()})); },
         Throws::invalid_argument, "one_hot: label nan at row 0 is not a whole number"},
        {"train_test_split fraction 0",
         [] {
           data::train_test_split(ones({4, 2}), ones({4}), 0);
         },
         Throws::invalid_argument, "train_test_split: test_fraction must be in (0, 1), got 0"},
        {"train_test_split fraction NaN",
         [] {
           data::train_test_split(ones({4, 2}), ones({4}), kNaN);
         },
         Throws::invalid_argument, "test_fraction must be in (0, 1), got nan"},
        {"train_test_split of 4 and 3 rows",
         [] {
           data::train_test_split(ones({4, 2}), ones({3}));
         },
         Throws::invalid_argument,
         "train_test_split: x (4, 2) and y (3,) need the same number of rows"},
        {"train_test_split of 1 row",
         [] {
           data::train_test_split(ones({1, 2}), ones({1}));
         },
         Throws::invalid_argument, "1 test rows leave the training split empty"},
    });
  }
  SECTION("generators: zero, negative and NaN sizes and parameters") {
    check_bad_calls({
        {"make_regression of 0 samples", [] { data::make_regression(0, 2); },
         Throws::invalid_argument, "make_regression: n_samples must be at least 1, got 0"},
        {"make_regression of -1 samples", [] { data::make_regression(kMinusOne, 2); },
         Throws::invalid_argument, "has more elements than fit in memory"},
        {"make_regression noise NaN", [] { data::make_regression(10, 2, std::nullopt, 0, kNaN); },
         Throws::invalid_argument,
         "make_regression: noise must be finite and non-negative, got nan"},
        {"make_classification of 1 sample", [] { data::make_classification(1); },
         Throws::invalid_argument, "make_classification: n_samples must be at least 2"},
        {"make_blobs cluster_std -1", [] { data::make_blobs(10, 3, 2, -1); },
         Throws::invalid_argument, "make_blobs: cluster_std must be finite and non-negative"},
        {"make_blobs box (NaN, 1)",
         [] {
           data::make_blobs(10, 3, 2, 1, {kNaN, 1});
         },
         Throws::invalid_argument, "make_blobs: center_box (nan, 1) needs finite low < high"},
        {"make_moons of 1 sample", [] { data::make_moons(1); }, Throws::invalid_argument,
         "make_moons: n_samples must be at least 2"},
        {"make_circles factor 1", [] { data::make_circles(10, 0, 1); }, Throws::invalid_argument,
         "make_circles: factor must be in (0, 1), got 1"},
        {"make_spirals of 0 classes", [] { data::make_spirals(10, 0); }, Throws::invalid_argument,
         "make_spirals: n_classes must be at least 1, got 0"},
    });
  }
}

TEST_CASE("checkpoints refuse missing, unreadable, truncated and corrupted files",
          "[nn][serialize][errors]") {
  TempDir dir("checkpoint");
  Scalar model;
  const std::string good = dir.file("good.npz");
  nn::save(model, good);
  std::ifstream in(good, std::ios::binary);
  const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  const std::string cut = dir.write("cut.npz", bytes.substr(0, bytes.size() / 2));
  const std::string garbage = dir.write("garbage.npz", "not a checkpoint");
  const std::string empty = dir.write("empty.npz", "");
  check_bad_calls({
      {"a missing file", [&] { nn::load(dir.file("missing.npz")); }, Throws::runtime_error,
       "load: '" + dir.file("missing.npz") + "': cannot open: No such file or directory"},
      {"a directory", [&] { nn::load(dir.file("")); }, Throws::runtime_error,
       "is a directory, not a checkpoint file"},
      {"an empty file", [&] { nn::load(empty); }, Throws::runtime_error,
       "empty file (0 bytes), not an .npz archive"},
      {"a file that is not a zip", [&] { nn::load(garbage); }, Throws::runtime_error,
       "not a zip archive (.npz), or truncated"},
      {"a file cut in half", [&] { nn::load(model, cut); }, Throws::runtime_error,
       "load: '" + cut + "': "},
      {"an empty stream",
       [] {
         std::istringstream input;
         nn::load(input, "memory");
       },
       Throws::runtime_error, "load: 'memory': empty stream (0 bytes)"},
      {"a checkpoint of another model",
       [&] {
         nn::Linear other(1, 1);
         nn::load(other, good);
       },
       Throws::invalid_argument, "Linear: load_state_dict: missing 'weight'"},
      {"saving into a missing directory", [&] { nn::save(model, dir.file("no/model.npz")); },
       Throws::runtime_error, "directory '" + dir.file("no") + "' does not exist"},
      {"saving a reserved name",
       [&] {
         nn::save({{"__xgrad__", ones({1})}}, good);
       },
       Throws::invalid_argument, "save: bad tensor name '__xgrad__' (empty or reserved)"},
      {"saving a name with a NUL byte",
       [&] {
         nn::save({{std::string("w\0x", 3), ones({1})}}, good);
       },
       Throws::invalid_argument, "save: tensor name 'w\\0...' contains a NUL byte at position 1"},
  });
  if (::geteuid() != 0) {
    const std::string locked = dir.write("locked.npz", bytes);
    fs::permissions(locked, fs::perms::none);
    check_bad_calls({{"a file without read permission", [&] { nn::load(locked); },
                      Throws::runtime_error, "load: '" + locked + "': "}});
  }
}

TEST_CASE("metrics refuse mismatched, empty, NaN and out-of-range inputs",
          "[nn][metrics][errors]") {
  check_bad_calls({
      {"3 predictions for 4 targets", [] { metrics::accuracy(ones({3}), ones({4})); },
       Throws::invalid_argument, "accuracy: predictions have 3 samples, targets have 4"},
      {"no samples", [] { metrics::accuracy(zeros({0}), zeros({0})); }, Throws::invalid_argument,
       "accuracy: empty input (0 samples)"},
      {"a NaN prediction", [] { metrics::accuracy(full({2}, kNaN), ones({2})); },
       Throws::invalid_argument, "accuracy: predictions[0] = nan is not a class index"},
      {"a prediction of 1.0000001 (shown at full precision)",
       [] { metrics::accuracy(full({2}, 1.0000001, float64), ones({2}, float64)); },
       Throws::invalid_argument, "accuracy: predictions[0] = 1.0000001 is not a class index"},
      {"a target of -1", [] { metrics::accuracy(ones({2}), full({2}, -1)); },
       Throws::invalid_argument, "accuracy: targets[0] = -1 is not a class index"},
      {"scores of shape (2, 3, 1)",
       [] {
         metrics::accuracy(ones({2, 3, 1}), ones({2}));
       },
       Throws::invalid_argument, "got shape (2, 3, 1)"},
      {"an undefined prediction", [] { metrics::accuracy(Tensor(), ones({2})); },
       Throws::invalid_argument, "accuracy: predictions is undefined"},
      {"binary precision of class 2", [] { metrics::precision(full({2}, 2), ones({2})); },
       Throws::invalid_argument, "precision: average=binary needs labels 0 and 1"},
      {"confusion_matrix class 7 of 5",
       [] { metrics::confusion_matrix(ones({2}), full({2}, 7), 5); }, Throws::out_of_range,
       "confusion_matrix: target 7 out of range for 5 classes (index 0)"},
      {"mean_squared_error of (2,) and (2, 1)",
       [] {
         metrics::mean_squared_error(ones({2}), ones({2, 1}));
       },
       Throws::invalid_argument,
       "mean_squared_error: predictions of shape (2,) and targets of shape (2, 1) differ"},
      {"mean_squared_error of NaN", [] { metrics::mean_squared_error(full({2}, kNaN), ones({2})); },
       Throws::invalid_argument, "mean_squared_error: predictions[0] is nan"},
      {"r2_score of 1 sample", [] { metrics::r2_score(ones({1}), ones({1})); },
       Throws::invalid_argument, "r2_score: needs at least 2 samples, got 1"},
      {"argmax over axis 3 of a vector", [] { metrics::argmax(ones({2}), 3); },
       Throws::out_of_range, "argmax: axis 3 out of range"},
      {"argmax of NaN", [] { metrics::argmax(full({2}, kNaN), 0); }, Throws::invalid_argument,
       "argmax: input[0] is NaN"},
      {"binarize at a NaN threshold", [] { metrics::binarize(ones({2}), kNaN); },
       Throws::invalid_argument, "binarize: threshold is NaN"},
  });
}

TEST_CASE("the Trainer refuses bad options and data and stops on a NaN loss",
          "[nn][trainer][errors]") {
  Scalar model;
  optim::SGD optimizer(model.parameters(), 0.1);
  const nn::LossFunction mse = [](const Tensor& p, const Tensor& t) { return mse_loss(p, t); };
  nn::FitOptions quiet;
  quiet.verbosity = nn::Verbosity::silent;
  const data::Dataset ones4(ones({4, 1}, float64), ones({4, 1}, float64));
  auto options = [&](auto change) {
    nn::FitOptions o = quiet;
    change(o);
    return o;
  };
  TempDir dir("trainer");
  check_bad_calls({
      {"no loss function", [&] { nn::Trainer(model, optimizer, nullptr, quiet); },
       Throws::invalid_argument, "fit: no loss function given"},
      {"0 epochs",
       [&] { nn::Trainer(model, optimizer, mse, options([](auto& o) { o.epochs = 0; })); },
       Throws::invalid_argument, "fit: epochs must be at least 1"},
      {"batch_size 0",
       [&] { nn::Trainer(model, optimizer, mse, options([](auto& o) { o.batch_size = 0; })); },
       Throws::invalid_argument, "fit: batch_size must be at least 1"},
      {"clip_grad_norm NaN",
       [&] {
         nn::Trainer(model, optimizer, mse, options([](auto& o) { o.clip_grad_norm = kNaN; }));
       },
       Throws::invalid_argument, "fit: clip_grad_norm must be finite and >= 0, got nan"},
      {"an unknown monitor",
       [&] { nn::Trainer(model, optimizer, mse, options([](auto& o) { o.monitor = "acc"; })); },
       Throws::invalid_argument, "fit: unknown monitor 'acc'"},
      {"an optimizer of another model",
       [&] {
         Scalar other;
         nn::Trainer(other, optimizer, mse, quiet);
       },
       Throws::invalid_argument,
       "fit: the optimizer (SGD) holds none of the Scalar's parameters; build it from "
       "model.parameters()"},
      {"early stopping without validation data",
       [&] {
         nn::fit(model, optimizer, mse, ones4, nullptr,
                 options([](auto& o) { o.early_stopping = true; }));
       },
       Throws::invalid_argument, "fit: early stopping monitors val_loss but no validation data"},
      {"drop_last leaving no batch",
       [&] {
         nn::fit(model, optimizer, mse, ones4, nullptr, options([](auto& o) {
                   o.batch_size = 10;
                   o.drop_last = true;
                 }));
       },
       Throws::invalid_argument,
       "fit: drop_last with batch_size 10 leaves no complete batch of the 4 training samples"},
      {"a loss function returning a non-scalar",
       [&] {
         nn::fit(
             model, optimizer, [](const Tensor& p, const Tensor& t) { return p - t; }, ones4,
             nullptr, quiet);
       },
       Throws::invalid_argument,
       "fit: the loss function returned a tensor of shape (4, 1); it must return one value"},
      {"a loss function returning nothing",
       [&] {
         nn::fit(
             model, optimizer, [](const Tensor&, const Tensor&) { return Tensor(); }, ones4,
             nullptr, quiet);
       },
       Throws::invalid_argument, "fit: the loss function returned an undefined tensor"},
      {"targets of the wrong shape",
       [&] {
         nn::fit(model, optimizer, mse, data::Dataset(ones({4, 1}, float64), ones({4}, float64)),
                 nullptr, quiet);
       },
       Throws::invalid_argument, "mse_loss: input (4, 1) and target (4,) differ in shape"},
      {"float32 data for a float64 model",
       [&] {
         nn::fit(model, optimizer, mse, data::Dataset(ones({4, 1}), ones({4, 1})), nullptr, quiet);
       },
       Throws::invalid_argument, "dtype mismatch: float32 and float64"},
      {"a checkpoint path in a missing directory",
       [&] {
         nn::fit(model, optimizer, mse, ones4, nullptr, options([&](auto& o) {
                   o.monitor = "train_loss";
                   o.checkpoint_path = dir.file("no/model.npz");
                 }));
       },
       Throws::runtime_error, "save: '" + dir.file("no/model.npz") + "': directory"},
      {"evaluate on an empty dataset",
       [&] { nn::Trainer(model, optimizer, mse, quiet).evaluate(data::Dataset()); },
       Throws::invalid_argument, "evaluate: the dataset is empty"},
      {"History::to_csv into a missing directory",
       [&] { nn::History().to_csv(dir.file("no/history.csv")); }, Throws::runtime_error,
       "History::to_csv: cannot write " + dir.file("no/history.csv")},
      {"clip_grad_norm with an optimizer fused into backward",
       [&] {
         Scalar fused_model;
         optim::SGD fused(fused_model.parameters(), 0.1);
         fused.fuse_into_backward();
         nn::fit(fused_model, fused, mse, ones4, nullptr,
                 options([](auto& o) { o.clip_grad_norm = 1e-6; }));
       },
       Throws::invalid_argument,
       "fit: the optimizer (SGD) takes its step inside backward (fuse_into_backward), which "
       "stores no gradient, so clip_grad_norm has nothing to clip"},
      {"accumulate_steps 3 with an optimizer fused into backward",
       [&] {
         Scalar fused_model;
         optim::SGD fused(fused_model.parameters(), 0.1);
         fused.fuse_into_backward();
         nn::fit(fused_model, fused, mse, ones4, nullptr,
                 options([](auto& o) { o.accumulate_steps = 3; }));
       },
       Throws::invalid_argument, "so accumulate_steps cannot sum gradients over batches"},
  });

  SECTION("a loss that becomes infinite stops training with the starting weights kept") {
    Scalar diverging;
    optim::SGD huge_steps(diverging.parameters(), 1e10);
    const data::Dataset threes(full({4, 1}, 3.0, float64), ones({4, 1}, float64));
    const nn::FitOptions many = options([](auto& o) { o.epochs = 50; });
    check_bad_calls({{"a learning rate of 1e10",
                      [&] { nn::fit(diverging, huge_steps, mse, threes, nullptr, many); },
                      Throws::training_diverged, "fit: the loss became inf at epoch"}});
    try {
      nn::fit(diverging, huge_steps, mse, threes, nullptr, many);
    } catch (const nn::TrainingDiverged& e) {
      CHECK(std::isfinite(diverging.p.item()));  // the model holds sound weights
      CHECK(e.history().epochs.size() < 50);     // the history up to the divergence
    }
  }
}

TEST_CASE("normalization layers refuse wrong channel counts, ranks and one value per channel",
          "[nn][normalization][errors]") {
  nn::BatchNorm1d bn1(3);
  nn::BatchNorm2d bn2(4);
  nn::LayerNorm ln(Shape{3, 5});
  nn::GroupNorm gn(2, 4);
  check_bad_calls({
      {"BatchNorm2d on 3 channels",
       [&] {
         bn2(ones({2, 3, 5, 5}));
       },
       Throws::invalid_argument,
       "BatchNorm2d: input of shape (2, 3, 5, 5) has 3 channels, layer expects 4"},
      {"BatchNorm2d on a 3-D input",
       [&] {
         bn2(ones({2, 4, 5}));
       },
       Throws::invalid_argument,
       "BatchNorm2d: input of shape (2, 4, 5) has rank 3; expected (N, C, H, W)"},
      {"BatchNorm1d on a 4-D input",
       [&] {
         bn1(ones({2, 3, 5, 5}));
       },
       Throws::invalid_argument,
       "BatchNorm1d: input of shape (2, 3, 5, 5) has rank 4; expected (N, C) or (N, C, L)"},
      {"BatchNorm1d training on a batch of one",
       [&] {
         bn1(ones({1, 3}));
       },
       Throws::invalid_argument,
       "BatchNorm1d: expected more than 1 value per channel when training, got input of shape "
       "(1, 3)"},
      {"BatchNorm2d training on one 1x1 image",
       [&] {
         bn2(ones({1, 4, 1, 1}));
       },
       Throws::invalid_argument,
       "BatchNorm2d: expected more than 1 value per channel when training, got input of shape "
       "(1, 4, 1, 1)"},
      {"BatchNorm1d float32 on float64",
       [&] {
         bn1(ones({2, 3}, float64));
       },
       Throws::invalid_argument, "BatchNorm1d: input is float64, layer is float32"},
      {"BatchNorm1d with infinite momentum",
       [&] { nn::BatchNorm1d(3, 1e-5, std::numeric_limits<double>::infinity()); },
       Throws::invalid_argument, "BatchNorm1d: momentum must be finite, got inf"},
      {"BatchNorm2d with no features", [&] { nn::BatchNorm2d(0); }, Throws::invalid_argument,
       "BatchNorm2d: num_features must be positive"},
      {"LayerNorm on the wrong trailing shape",
       [&] {
         ln(ones({2, 5, 3}));
       },
       Throws::invalid_argument,
       "LayerNorm: input of shape (2, 5, 3) does not end in normalized_shape (3, 5)"},
      {"LayerNorm with negative eps", [&] { nn::LayerNorm(3, -1.0); }, Throws::invalid_argument,
       "LayerNorm: eps must be finite and non-negative, got -1"},
      {"GroupNorm on 6 channels",
       [&] {
         gn(ones({2, 6, 3}));
       },
       Throws::invalid_argument,
       "GroupNorm: input of shape (2, 6, 3) has 6 channels, layer expects 4"},
      {"GroupNorm on a vector", [&] { gn(ones({4})); }, Throws::invalid_argument,
       "GroupNorm: input of shape (4,) has rank 1; expected (N, C, ...) with rank at least 2"},
      {"GroupNorm(3, 4)", [&] { nn::GroupNorm(3, 4); }, Throws::invalid_argument,
       "GroupNorm: num_channels 4 must be a positive multiple of num_groups 3"},
      {"GELU approximate 'fast'", [&] { nn::GELU("fast"); }, Throws::invalid_argument,
       "GELU: approximate must be \"none\" or \"tanh\", got \"fast\""},
      {"ELU alpha NaN", [&] { nn::ELU{kNaN}; }, Throws::invalid_argument,
       "ELU: alpha must be finite, got nan"},
      {"Hardtanh(1, -1)", [&] { nn::Hardtanh(1, -1); }, Throws::invalid_argument,
       "Hardtanh: min_val must not exceed max_val (nor be NaN), got 1 and -1"},
  });
}

TEST_CASE("image layers refuse bad input by name, with the shapes", "[nn][conv][errors]") {
  nn::Conv2d conv(1, 4, 3);
  nn::Conv1d conv1(2, 4, 3);
  nn::MaxPool2d pool(2);
  check_bad_calls({
      {"Conv2d given 3 channels",
       [&] {
         conv(zeros({8, 3, 8, 8}));
       },
       Throws::invalid_argument, "Conv2d: input (8, 3, 8, 8) has 3 channels, layer expects 1"},
      {"Conv2d given an input of rank 2",
       [&] {
         conv(zeros({8, 64}));
       },
       Throws::invalid_argument,
       "Conv2d: input (8, 64) has rank 2; the layer takes (N, 1, H, W) or (1, H, W)"},
      {"Conv2d given an image smaller than its kernel",
       [&] {
         conv(zeros({8, 1, 2, 8}));
       },
       Throws::invalid_argument,
       "Conv2d: conv2d: kernel (3, 3) with dilation (1, 1) spans (3, 3), larger than the padded "
       "input (2, 8)"},
      {"Conv2d given float64",
       [&] {
         conv(zeros({1, 1, 4, 4}, float64));
       },
       Throws::invalid_argument, "Conv2d: input is float64, layer is float32"},
      {"Conv2d with stride 0", [] { nn::Conv2d(1, 4, 3, 0); }, Throws::invalid_argument,
       "Conv2d: stride must be positive"},
      {"Conv2d with a negative stride",
       [] {
         nn::Conv2d(1, 4, 3, {1, -1});
       },
       Throws::invalid_argument, "Conv2d: stride must be positive"},
      {"Conv2d with zero output channels", [] { nn::Conv2d(1, 0, 3); }, Throws::invalid_argument,
       "Conv2d: need at least one input and one output channel; got 1 -> 0"},
      {"Conv2d with groups that do not divide the channels",
       [] { nn::Conv2d(3, 4, 3, 1, 0, 1, 2); }, Throws::invalid_argument,
       "Conv2d: groups 2 must be positive and divide in_channels 3 and out_channels 4"},
      {"Conv2d with padding same and stride 2", [] { nn::Conv2d(1, 4, 3, 2, "same"); },
       Throws::invalid_argument, "Conv2d: padding \"same\" needs stride 1"},
      {"Conv1d given 3 channels",
       [&] {
         conv1(zeros({2, 3, 9}));
       },
       Throws::invalid_argument, "Conv1d: input (2, 3, 9) has 3 channels, layer expects 2"},
      {"Conv1d given an input of rank 4",
       [&] {
         conv1(zeros({2, 2, 3, 9}));
       },
       Throws::invalid_argument, "Conv1d: input (2, 2, 3, 9) has rank 4"},
      {"MaxPool2d given an input of rank 2",
       [&] {
         pool(zeros({4, 4}));
       },
       Throws::invalid_argument, "MaxPool2d: max_pool2d: expected input of rank 4"},
      {"MaxPool2d given an image smaller than its window",
       [&] {
         pool(zeros({1, 1, 1, 4}));
       },
       Throws::invalid_argument,
       "MaxPool2d: max_pool2d: kernel (2, 2) with dilation (1, 1) spans (2, 2)"},
      {"MaxPool2d with stride 0", [] { nn::MaxPool2d(2, 0); }, Throws::invalid_argument,
       "MaxPool2d: stride must be positive; got 0"},
      {"AvgPool2d with padding above half the kernel", [] { nn::AvgPool2d(2, 2, 2); },
       Throws::invalid_argument, "AvgPool2d: padding must be between 0 and half the kernel size"},
      {"AdaptiveAvgPool2d to zero", [] { nn::AdaptiveAvgPool2d(0); }, Throws::invalid_argument,
       "AdaptiveAvgPool2d: output_size must be positive; got (0, 0)"},
      {"Unflatten into sizes of another product",
       [] {
         nn::Unflatten(1, {3, 3})(zeros({2, 8}));
       },
       Throws::invalid_argument,
       "Unflatten: input (2, 8) has extent 8 along dim 1, unflattened_size (3, 3) holds 9"},
      {"Unflatten of an axis out of range",
       [] {
         nn::Unflatten(2, {2})(zeros({2, 8}));
       },
       Throws::invalid_argument, "Unflatten: dim 2 out of range for input (2, 8)"},
  });
}

TEST_CASE("sequence modules refuse bad ids, empty sequences and misshapen states and masks",
          "[nn][recurrent][errors]") {
  nn::Embedding emb(10, 3);
  nn::LSTM lstm(nn::RNNOptions(3, 4).num_layers(2));
  nn::GRU gru(nn::RNNOptions(3, 4).batch_first(true));
  nn::LSTMCell cell(3, 4);
  nn::MultiheadAttention mha(4, 2);
  const Tensor x = zeros({5, 2, 3});
  const Tensor q = zeros({3, 2, 4});
  check_bad_calls({
      {"a token id equal to the vocabulary size",
       [&] {
         emb.forward(std::vector<std::size_t>{1, 10});
       },
       Throws::out_of_range, "Embedding: index 10 out of range for 10 embeddings (position 1)"},
      {"a negative token id in a tensor",
       [&] {
         emb.forward(from_vector(std::vector<std::int64_t>{2, -1}, {2}, int64));
       },
       Throws::out_of_range, "Embedding: index -1 out of range for 10 embeddings (position 1)"},
      {"float token ids", [&] { emb.forward(f32({2.0f})); }, Throws::invalid_argument,
       "Embedding: indices must be int64, got float32 (convert them with to(int64))"},
      {"padding_idx out of range", [] { nn::Embedding(4, 2, std::size_t(4)); },
       Throws::invalid_argument, "Embedding: padding_idx 4 out of range for 4 embeddings"},
      {"a sequence of length 0",
       [&] {
         lstm.forward(zeros({0, 2, 3}));
       },
       Throws::invalid_argument, "LSTM: the sequence is empty (length 0)"},
      {"a batch-first sequence of length 0",
       [&] {
         gru.forward(zeros({2, 0, 3}));
       },
       Throws::invalid_argument, "GRU: the sequence is empty (length 0)"},
      {"input features differ",
       [&] {
         lstm.forward(zeros({5, 2, 4}));
       },
       Throws::invalid_argument, "LSTM: input of shape (5, 2, 4), expected (L, N, 3) or (L, 3)"},
      {"h0 of the wrong shape",
       [&] {
         lstm.forward(x, zeros({1, 2, 4}), zeros({2, 2, 4}));
       },
       Throws::invalid_argument, "LSTM: h0 has shape (1, 2, 4), expected (2, 2, 4)"},
      {"h0 without c0",
       [&] {
         lstm.forward(x, zeros({2, 2, 4}));
       },
       Throws::invalid_argument, "LSTM: pass both h0 and c0, or neither"},
      {"a cell state of the wrong shape",
       [&] {
         cell.forward(zeros({2, 3}), {zeros({2, 4}), zeros({3, 4})});
       },
       Throws::invalid_argument, "LSTMCell: cx has shape (3, 4), expected (2, 4)"},
      {"float64 input to a float32 layer",
       [&] {
         lstm.forward(zeros({5, 2, 3}, float64));
       },
       Throws::invalid_argument, "LSTM: input is float64, layer is float32"},
      {"zero hidden size", [] { nn::GRUCell(3, 0); }, Throws::invalid_argument,
       "GRUCell: input_size and hidden_size must be positive; got 3 and 0"},
      {"an unknown nonlinearity", [] { nn::RNN(nn::RNNOptions(3, 4).nonlinearity("gelu")); },
       Throws::invalid_argument, "RNN: nonlinearity must be \"tanh\" or \"relu\", got \"gelu\""},
      {"a key-padding mask of the wrong shape",
       [&] {
         mha.forward(q, q, q, zeros({2, 4}));
       },
       Throws::invalid_argument,
       "MultiheadAttention: key_padding_mask has shape (2, 4), expected (2, 3)"},
      {"an attention mask of the wrong shape",
       [&] {
         mha.forward(q, q, q, Tensor(), true, zeros({3, 2}));
       },
       Throws::invalid_argument, "MultiheadAttention: attn_mask has shape (3, 2), expected (3, 3)"},
      {"a bool key-padding mask of the wrong shape",
       [&] {
         mha.forward(q, q, q, zeros({3, 2}, boolean));
       },
       Throws::invalid_argument,
       "MultiheadAttention: key_padding_mask has shape (3, 2), expected (2, 3)"},
      {"an int64 attention mask",
       [&] {
         mha.forward(q, q, q, Tensor(), true, zeros({3, 3}, int64));
       },
       Throws::invalid_argument,
       "MultiheadAttention: attn_mask is int64; expected bool (true = masked out) or float32 added "
       "to the scores, as the layer"},
      {"embed_dim not divisible by num_heads", [] { nn::MultiheadAttention(6, 4); },
       Throws::invalid_argument,
       "MultiheadAttention: embed_dim 6 must be a positive multiple of num_heads 4"},
      {"an empty query",
       [&] {
         mha.forward(zeros({0, 2, 4}), q, q);
       },
       Throws::invalid_argument, "MultiheadAttention: the sequence is empty (length 0)"},
  });
}
