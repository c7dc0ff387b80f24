// libFuzzer target: nn::load of a checkpoint held in memory, then Module::load_state_dict of what
// it returns. The input's first bytes say what it is:
//   "PK..."       a whole .npz archive, loaded as it is;
//   "\x93NUMPY..." one .npy entry, zipped here (with a valid CRC) as "w.npy", so that mutations
//                 reach the .npy parser instead of failing the zip CRC check;
//   anything else the "__xgrad__.json" metadata entry, zipped here beside a valid "w.npy".
// load must throw std::runtime_error or return tensors that keep its promises; load_state_dict
// must throw std::invalid_argument or load. Anything else (another exception, a sanitizer
// report, a broken promise) stops the fuzzer. Nothing is written to disk.
#include <zip.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "autograd/autograd.hpp"
#include "nn/linear.hpp"
#include "nn/serialize.hpp"

namespace {

using Entries = std::vector<std::pair<std::string, std::string>>;  // (zip entry name, bytes)

[[noreturn]] void broken(const char* promise) {
  std::fprintf(stderr, "fuzz_load_checkpoint: %s\n", promise);
  std::abort();
}

// A zip archive of `entries`, stored uncompressed, built in memory with libzip.
std::string zip_in_memory(const Entries& entries) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* buffer = zip_source_buffer_create(nullptr, 0, 0, &error);
  if (!buffer) broken("libzip cannot create a buffer");
  zip_source_keep(buffer);  // the archive frees its reference at zip_close; the bytes stay here
  zip_t* archive = zip_open_from_source(buffer, ZIP_TRUNCATE, &error);
  if (!archive) broken("libzip cannot open a buffer");
  for (const auto& [name, bytes] : entries) {
    zip_source_t* source = zip_source_buffer(archive, bytes.data(), bytes.size(), 0);
    const zip_int64_t index = source ? zip_file_add(archive, name.c_str(), source, 0) : -1;
    if (index < 0) broken("libzip cannot add an entry");
    zip_set_file_compression(archive, static_cast<zip_uint64_t>(index), ZIP_CM_STORE, 0);
  }
  if (zip_close(archive) != 0) broken("libzip cannot write the archive");
  std::string out;
  zip_stat_t stat;
  if (zip_source_stat(buffer, &stat) != 0 || zip_source_open(buffer) != 0) {
    broken("libzip cannot reopen the buffer");
  }
  out.resize(static_cast<std::size_t>(stat.size));
  if (!out.empty() &&
      zip_source_read(buffer, &out[0], stat.size) != static_cast<zip_int64_t>(stat.size)) {
    broken("libzip cannot read the buffer back");
  }
  zip_source_close(buffer);
  zip_source_free(buffer);
  zip_error_fini(&error);
  return out;
}

// A valid NPY 1.0 entry holding the float32 values {1, 2}.
std::string two_floats_npy() {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
  header += std::string(64 - (10 + header.size() + 1) % 64, ' ') + "\n";
  const float values[2] = {1.0f, 2.0f};
  return std::string("\x93NUMPY\x01\x00", 8) + static_cast<char>(header.size()) + '\0' + header +
         std::string(reinterpret_cast<const char*>(values), sizeof values);
}

void check_state(const xgrad::nn::NamedTensors& state) {
  std::set<std::string> names;
  for (const auto& entry : state) {
    const std::string& name = entry.first;
    const xgrad::Tensor& tensor = entry.second;
    if (name.empty() || !names.insert(name).second) broken("names are non-empty and unique");
    if (!tensor.defined() || tensor.requires_grad() || !tensor.is_leaf()) {
      broken("tensors are defined leaves without requires_grad");
    }
    if (tensor.numel() != xgrad::shape_numel(tensor.shape())) broken("sizes match shapes");
    // Reads every value, so that the sanitizers see the whole buffer.
    double total = 0;
    xgrad::dispatch_any(tensor.dtype(), [&](auto tag) {
      using T = decltype(tag);
      for (T value : tensor.data<T>()) total += static_cast<double>(value);
    });
    (void)total;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  std::string archive;
  if (bytes.rfind("PK", 0) == 0) {
    archive = bytes;
  } else if (bytes.rfind("\x93NUMPY", 0) == 0) {
    archive = zip_in_memory({{"w.npy", bytes}});
  } else {
    archive = zip_in_memory({{"w.npy", two_floats_npy()}, {"__xgrad__.json", bytes}});
  }
  std::istringstream input(archive);
  xgrad::nn::NamedTensors state;
  try {
    state = xgrad::nn::load(input, "fuzz.npz");
  } catch (const std::runtime_error&) {
    return 0;  // a bad checkpoint, reported as documented
  }
  check_state(state);
  // A module with "weight" (2, 1) and "bias" (2,), float32: what matches loads, the rest throws.
  xgrad::Generator generator(0);
  xgrad::nn::Linear layer(1, 2, true, xgrad::nn::Init::zeros, generator);
  for (bool strict : {true, false}) {
    try {
      layer.load_state_dict(state, strict);
    } catch (const std::invalid_argument&) {
    }
  }
  return 0;
}
