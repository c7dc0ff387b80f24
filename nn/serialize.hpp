// Checkpoints: saving and loading named tensors as a NumPy .npz archive, atomically and checked.
//
// The file is a zip of one "<dotted name>.npy" entry per tensor (NPY format 1.0, little-endian
// '<f4' or '<f8', C order), so numpy.load(path)["fc1.weight"] reads it directly, plus a small
// "__xgrad__.json" text entry holding the format version and an FNV-1a 64 checksum of every
// tensor entry (name and .npy bytes), by which load() refuses a corrupted checkpoint.
#pragma once

#include <iosfwd>
#include <string>

#include "nn/module.hpp"

namespace xgrad::nn {

/// The checkpoint format version written by save() and the newest one load() reads.
inline constexpr int checkpoint_format_version = 1;

/// Writes `state` to `path` as an .npz archive, in order. Atomic: the archive is written to a
/// temporary file beside `path` ("<path>.tmp-<pid>-<n>"), flushed to disk and renamed over
/// `path`, so a failed or interrupted save leaves any previous checkpoint intact. A failed save
/// removes its temporary file; a crash can at worst leave one beside the intact checkpoint. Throws
/// std::invalid_argument for an empty, repeated or reserved ("__xgrad__") name or an undefined
/// tensor, and std::runtime_error "save: '<path>': <reason>" when the file cannot be written.
void save(const NamedTensors& state, const std::string& path);

/// Saves module.state_dict().
void save(const Module& module, const std::string& path);

/// Reads the named tensors of an .npz archive, in archive order, as leaves without requires_grad.
/// Every problem with the file throws std::runtime_error "load: '<path>': <problem>": a missing or
/// unreadable file, not a zip archive, a truncated or corrupted archive (a zip CRC error or a
/// checksum mismatch), a newer format version, an entry that is not a .npy array, a malformed
/// .npy header, an unsupported dtype (only '<f4' and '<f8') or Fortran order, and a data size
/// that does not match the shape. An archive without the "__xgrad__.json" entry, such as one
/// written by numpy.savez, is read without the checksum check.
NamedTensors load(const std::string& path);

/// The same from a stream holding an .npz archive (read to its end, for checkpoints kept in
/// memory or received over a pipe); `source` names it in messages: std::runtime_error
/// "load: '<source>': <problem>", with the problems load(path) reports, an empty stream, and a
/// stream that fails or cannot be read.
NamedTensors load(std::istream& input, const std::string& source = "<stream>");

/// Loads `path` into `module` through Module::load_state_dict. Problems with the file throw
/// std::runtime_error as load(path) does; missing, unexpected, misshapen or mistyped tensors
/// throw std::invalid_argument "load: '<path>': <Module>: load_state_dict: ..." (missing and
/// unexpected names are allowed when strict is false). On any error the module is unchanged.
void load(Module& module, const std::string& path, bool strict = true);

}  // namespace xgrad::nn
