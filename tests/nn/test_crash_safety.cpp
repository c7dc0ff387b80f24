// Tests that a checkpoint survives its writer being killed: a child process saves a large
// checkpoint over the same path again and again while the parent SIGKILLs it at seeded random
// moments; after every kill the path must hold one complete checkpoint, the last one the child
// finished or the one it was finishing, never a torn file. Stray temporary files may be left
// beside it and must never be taken for it.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <thread>

#include "gradient_checks.hpp"
#include "nn/nn.hpp"

using namespace xgrad;
namespace fs = std::filesystem;

namespace {

constexpr std::size_t kWeights = 1 << 20;  // 4 MiB of float32 per checkpoint

// Checkpoint number `generation`: its number and a large tensor filled with it.
nn::NamedTensors checkpoint(std::int64_t generation) {
  return {{"generation", scalar_tensor(static_cast<double>(generation), float64)},
          {"weights", full({kWeights}, static_cast<double>(generation), float32)}};
}

// The generation held by the checkpoint at `path`, after checking that every weight agrees.
std::int64_t generation_of(const nn::NamedTensors& state) {
  REQUIRE(state.size() == 2);
  REQUIRE(state[0].first == "generation");
  REQUIRE(state[1].first == "weights");
  const double generation = state[0].second.item();
  const auto& weights = state[1].second.data<float>();
  REQUIRE(weights.size() == kWeights);
  for (float w : weights) {
    if (w != static_cast<float>(generation)) FAIL("weights of two generations in one checkpoint");
  }
  return static_cast<std::int64_t>(generation);
}

// In the child: saves generations first, first + 1, ... over `path` until killed, writing each
// finished generation to `report`. Never returns.
[[noreturn]] void save_forever(const std::string& path, std::int64_t first, int report) {
  try {
    for (std::int64_t generation = first;; ++generation) {
      nn::save(checkpoint(generation), path);
      if (::write(report, &generation, sizeof generation) != sizeof generation) ::_exit(3);
    }
  } catch (...) {
    ::_exit(2);
  }
}

}  // namespace

TEST_CASE("a checkpoint killed mid-save leaves the previous or the new one intact, never torn",
          "[nn][serialize][crash]") {
  const fs::path dir =
      fs::temp_directory_path() / ("xgrad_crash_safety_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string path = (dir / "model.npz").string();

  std::int64_t last_finished = 0;
  const auto start = std::chrono::steady_clock::now();
  nn::save(checkpoint(last_finished), path);
  const auto one_save = std::chrono::steady_clock::now() - start;
  // Kill times up to three saves in, so kills land before, inside and between saves.
  const auto longest_wait = 3 * std::chrono::duration_cast<std::chrono::microseconds>(one_save);
  Generator generator(2024);
  std::size_t kills_mid_write = 0;

  constexpr int kIterations = 40;
  for (int iteration = 0; iteration < kIterations; ++iteration) {
    INFO("iteration " << iteration);
    int report[2];
    REQUIRE(::pipe(report) == 0);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      ::close(report[0]);
      save_forever(path, last_finished + 1, report[1]);
    }
    ::close(report[1]);
    const auto wait = std::chrono::microseconds(
        static_cast<long>(generator.uniform() * static_cast<double>(longest_wait.count())));
    std::this_thread::sleep_for(wait);
    REQUIRE(::kill(child, SIGKILL) == 0);
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFSIGNALED(status));  // killed while saving, not stopped by an error
    // The generations the child reported finished; it may have finished one more unreported.
    std::int64_t generation = 0;
    while (::read(report[0], &generation, sizeof generation) == sizeof generation) {
      last_finished = generation;
    }
    ::close(report[0]);

    const std::int64_t loaded = generation_of(nn::load(path));
    CHECK((loaded == last_finished || loaded == last_finished + 1));
    last_finished = loaded;

    // Whatever else is in the directory is a temporary file of an interrupted save.
    for (const auto& entry : fs::directory_iterator(dir)) {
      const std::string name = entry.path().filename().string();
      if (name == "model.npz") continue;
      CHECK(name.rfind("model.npz.tmp-", 0) == 0);
      ++kills_mid_write;
      fs::remove(entry.path());
    }
  }
  INFO(kills_mid_write << " of " << kIterations << " kills left a temporary file; one save takes "
                       << longest_wait.count() / 3 << " us");
  CHECK(kills_mid_write > 0);  // some kills did land inside a write
  CHECK(last_finished > 0);    // and some saves finished
  fs::remove_all(dir);
}
