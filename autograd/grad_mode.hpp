// Whether ops record a graph on this thread: GradMode, and the no_grad / enable_grad guards.
#pragma once

namespace xgrad {

/// Per-thread switch read by every op: when off, ops compute values and record nothing.
class GradMode {
 public:
  static bool is_enabled();
  static void set_enabled(bool enabled);
};

/// Turns recording off for its scope, as `with torch.no_grad():` does. Restores the previous mode.
class no_grad {
 public:
  no_grad();
  ~no_grad();
  no_grad(const no_grad&) = delete;
  no_grad& operator=(const no_grad&) = delete;

 private:
  bool previous_;
};

/// Turns recording on for its scope (inside a no_grad region, for example).
class enable_grad {
 public:
  enable_grad();
  ~enable_grad();
  enable_grad(const enable_grad&) = delete;
  enable_grad& operator=(const enable_grad&) = delete;

 private:
  bool previous_;
};

}  // namespace xgrad
