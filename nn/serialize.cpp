// Checkpoints as .npz archives: .npy encoding and parsing, the checksummed metadata entry, and the
// atomic write (temporary file, fsync, rename, fsync of the directory).
#include "nn/serialize.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zip.h>

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <istream>
#include <limits>
#include <memory>
#include <set>
#include <stdexcept>

namespace xgrad::nn {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "serialize writes tensor bytes as they are in memory, which .npy '<f4' requires to "
              "be little-endian");

namespace {

constexpr char kMetadataEntry[] = "__xgrad__.json";
constexpr char kNpyMagic[] = "\x93NUMPY";
constexpr std::size_t kNpyMagicLength = 6;
constexpr std::size_t kNpyAlignment = 64;      // numpy aligns the data of every array to 64 bytes
constexpr std::size_t kMaxNpyHeader = 100000;  // generous; numpy itself refuses above 10000

// A problem with the file being loaded; load() prefixes it with "load: '<path>': ".
struct FileProblem : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// FNV-1a, 64-bit: h = (h ^ byte) * prime for every byte.
constexpr std::uint64_t kFnvOffset = 14695981039346656037ull;
std::uint64_t fnv1a64(std::uint64_t hash, const std::string& bytes) {
  for (unsigned char c : bytes) hash = (hash ^ c) * 1099511628211ull;
  return hash;
}

// The checksum covers each tensor entry's name and bytes, in archive order.
std::uint64_t add_entry_to_checksum(std::uint64_t hash, const std::string& name,
                                    const std::string& bytes) {
  return fnv1a64(fnv1a64(hash, name + '\0'), bytes);
}

std::string hex64(std::uint64_t value) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(value));
  return text;
}

// ---- .npy encoding -------------------------------------------------------------------------

// Magic, version 1.0, little-endian header length, then the header dict padded with spaces and
// ended by '\n' so that the data starts at a multiple of 64 bytes, as numpy.save writes it.
// NumPy's type string of each dtype, little-endian as this library writes and reads.
const char* npy_descr(Dtype dtype) {
  switch (dtype) {
    case Dtype::float32:
      return "<f4";
    case Dtype::float64:
      return "<f8";
    case Dtype::int64:
      return "<i8";
    case Dtype::boolean:
      break;
  }
  return "|b1";
}

std::string npy_bytes(const Tensor& tensor) {
  std::string header = std::string("{'descr': '") + npy_descr(tensor.dtype()) +
                       "', 'fortran_order': False, 'shape': " + format_shape(tensor.shape()) +
                       ", }";
  const std::size_t prefix = kNpyMagicLength + 2 + 2;
  header += std::string(kNpyAlignment - (prefix + header.size() + 1) % kNpyAlignment, ' ');
  header += '\n';
  if (header.size() > 0xffff) {  // only a rank in the thousands gets here
    throw std::invalid_argument("save: a tensor of shape " + format_shape(tensor.shape()) +
                                " has too long a .npy header");
  }
  return dispatch_any(tensor.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const auto& values = tensor.data<T>();
    std::string out(kNpyMagic, kNpyMagicLength);
    out += '\x01';
    out += '\x00';
    out += static_cast<char>(header.size() & 0xff);
    out += static_cast<char>(header.size() >> 8);
    out += header;
    out.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
    return out;
  });
}

// ---- .npy parsing --------------------------------------------------------------------------

// Parses the header dict, a Python literal such as
// {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }, keys in any order.
class NpyHeaderParser {
 public:
  explicit NpyHeaderParser(const std::string& text) : text_(text) {}

  void parse(std::string& descr, bool& fortran_order, Shape& shape) {
    std::set<std::string> seen;
    expect('{');
    while (!accept('}')) {
      const std::string key = string_literal();
      if (!seen.insert(key).second) fail("repeated key '" + key + "'");
      expect(':');
      if (key == "descr") {
        descr = string_literal();
      } else if (key == "fortran_order") {
        fortran_order = boolean();
      } else if (key == "shape") {
        shape = tuple();
      } else {
        fail("unexpected key '" + key + "'");
      }
      if (!accept(',')) {
        expect('}');
        break;
      }
    }
    skip_space();
    if (pos_ != text_.size()) fail("text after the closing '}'");
    for (const char* key : {"descr", "fortran_order", "shape"}) {
      if (!seen.count(key)) fail(std::string("missing key '") + key + "'");
    }
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw FileProblem("malformed .npy header (" + what + " at offset " + std::to_string(pos_) +
                      "): " + text_.substr(0, 120));
  }
  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n')) ++pos_;
  }
  bool accept(char c) {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == c) return ++pos_, true;
    return false;
  }
  void expect(char c) {
    if (!accept(c)) fail(std::string("expected '") + c + "'");
  }
  std::string string_literal() {
    skip_space();
    if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"')) {
      fail("expected a quoted string");
    }
    const char quote = text_[pos_++];
    const std::size_t end = text_.find(quote, pos_);
    if (end == std::string::npos) fail("unterminated string");
    std::string value = text_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return value;
  }
  bool boolean() {
    skip_space();
    for (const auto& [word, value] : {std::pair{"True", true}, std::pair{"False", false}}) {
      if (text_.compare(pos_, std::strlen(word), word) == 0) {
        pos_ += std::strlen(word);
        return value;
      }
    }
    fail("expected True or False");
  }
  Shape tuple() {
    Shape shape;
    expect('(');
    while (!accept(')')) {
      skip_space();
      std::size_t extent = 0;
      const std::size_t start = pos_;
      for (; pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9'; ++pos_) {
        if (extent > (std::numeric_limits<std::size_t>::max() - 9) / 10) fail("extent too large");
        extent = extent * 10 + static_cast<std::size_t>(text_[pos_] - '0');
      }
      if (pos_ == start) fail("expected a non-negative integer extent");
      shape.push_back(extent);
      if (!accept(',')) {
        expect(')');
        break;
      }
    }
    return shape;
  }

  const std::string& text_;
  std::size_t pos_ = 0;
};

Tensor parse_npy(const std::string& bytes) {
  if (bytes.size() < kNpyMagicLength + 4 || bytes.compare(0, kNpyMagicLength, kNpyMagic) != 0) {
    throw FileProblem("not a .npy array (no \\x93NUMPY magic)");
  }
  const auto byte = [&](std::size_t i) {
    return static_cast<std::size_t>(static_cast<unsigned char>(bytes[i]));
  };
  const std::size_t major = byte(6);
  std::size_t length_bytes = 0;  // of the header length: 2 in format 1.0, 4 in 2.0 and 3.0
  if (major == 1) {
    length_bytes = 2;
  } else if (major == 2 || major == 3) {
    length_bytes = 4;
  } else {
    throw FileProblem("unsupported .npy format version " + std::to_string(major) + "." +
                      std::to_string(byte(7)) + " (1.0 to 3.0 are read)");
  }
  const std::size_t prefix = kNpyMagicLength + 2 + length_bytes;
  if (bytes.size() < prefix) throw FileProblem("truncated .npy header");
  std::size_t header_length = 0;
  for (std::size_t i = 0; i < length_bytes; ++i) header_length |= byte(8 + i) << (8 * i);
  if (header_length > kMaxNpyHeader || prefix + header_length > bytes.size()) {
    throw FileProblem("truncated .npy header: it claims " + std::to_string(header_length) +
                      " bytes, the entry has " + std::to_string(bytes.size() - prefix) + " after " +
                      "the length field");
  }
  const std::string header = bytes.substr(prefix, header_length);
  if (header.empty() || header.back() != '\n') {
    throw FileProblem("malformed .npy header (no terminating newline): " + header.substr(0, 120));
  }

  std::string descr;
  bool fortran_order = false;
  Shape shape;
  NpyHeaderParser(header).parse(descr, fortran_order, shape);
  Dtype dtype = float32;
  bool known = false;
  for (Dtype d : {float32, float64, int64, boolean}) {
    if (descr == npy_descr(d)) {
      dtype = d;
      known = true;
    }
  }
  if (!known) {
    throw FileProblem("unsupported dtype '" + descr +
                      "' (only '<f4' float32, '<f8' float64, '<i8' int64 and '|b1' bool are read)");
  }
  if (fortran_order) {
    throw FileProblem("Fortran-order arrays are not supported (save with C order)");
  }
  const std::size_t item =
      dispatch_any(dtype, [](auto tag) -> std::size_t { return sizeof(decltype(tag)); });
  std::size_t numel = 1;
  for (std::size_t extent : shape) {
    if (extent != 0 && numel > std::numeric_limits<std::size_t>::max() / item / extent) {
      throw FileProblem("shape " + format_shape(shape) + " is too large");
    }
    numel *= extent;
  }
  const std::size_t data_bytes = bytes.size() - prefix - header_length;
  if (data_bytes != numel * item) {
    throw FileProblem("shape " + format_shape(shape) + " of " + descr + " needs " +
                      std::to_string(numel * item) + " bytes of data, the entry has " +
                      std::to_string(data_bytes));
  }
  const char* data = bytes.data() + prefix + header_length;
  return dispatch_any(dtype, [&](auto tag) {
    using T = decltype(tag);
    TensorValues<T> values = TensorValues<T>::from_shape(shape);
    if constexpr (std::is_same_v<T, bool>) {
      // A bool object must hold 0 or 1; numpy writes those, a damaged file may hold any byte.
      for (std::size_t i = 0; i < numel; ++i) values.data()[i] = data[i] != 0;
    } else if (numel) {
      std::memcpy(values.data(), data, numel * item);
    }
    return Tensor(std::move(values));
  });
}

// ---- metadata --------------------------------------------------------------------------------

std::string metadata_json(std::size_t tensors, std::uint64_t checksum) {
  return "{\"format\": \"xgrad checkpoint\", \"version\": " +
         std::to_string(checkpoint_format_version) + ", \"tensors\": " + std::to_string(tensors) +
         ", \"checksum\": \"fnv1a64:" + hex64(checksum) + "\"}\n";
}

// The number after "<key>": <value_prefix> in the metadata, in `base`.
std::uint64_t metadata_number(const std::string& json, const std::string& key,
                              const std::string& value_prefix, int base) {
  const auto bad = [&](const std::string& what) {
    return FileProblem(std::string("checkpoint metadata '") + kMetadataEntry + "' " + what + ": " +
                       json.substr(0, 200));
  };
  const std::string marker = "\"" + key + "\": " + value_prefix;
  const std::size_t at = json.find(marker);
  if (at == std::string::npos) throw bad("has no '" + key + "'");
  const std::size_t start = at + marker.size();
  std::size_t end = start;
  while (end < json.size() && std::isalnum(static_cast<unsigned char>(json[end]))) ++end;
  const std::string digits = json.substr(start, end - start);
  const bool valid =
      !digits.empty() && digits.size() <= (base == 16 ? 16u : 19u) &&
      digits.find_first_not_of(base == 16 ? "0123456789abcdef" : "0123456789") == std::string::npos;
  if (!valid) throw bad("has a bad '" + key + "' value '" + digits + "'");
  return std::stoull(digits, nullptr, base);
}

// ---- zip -------------------------------------------------------------------------------------

std::string zip_message(int code) {
  zip_error_t error;
  zip_error_init_with_code(&error, code);
  std::string message = zip_error_strerror(&error);
  zip_error_fini(&error);
  return message;
}

struct ZipCloser {
  void operator()(zip_t* archive) const { zip_discard(archive); }
};
struct ZipFileCloser {
  void operator()(zip_file_t* file) const { zip_fclose(file); }
};

// Writes `entries` (name, bytes) to a new zip archive at `file`, stored uncompressed as
// numpy.savez does. The bytes must stay alive until zip_close, which copies them out.
void write_zip(const std::string& file,
               const std::vector<std::pair<std::string, std::string>>& entries) {
  int code = 0;
  std::unique_ptr<zip_t, ZipCloser> archive(
      zip_open(file.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &code));
  if (!archive) throw std::runtime_error("cannot create '" + file + "': " + zip_message(code));
  for (const auto& [name, bytes] : entries) {
    zip_source_t* source = zip_source_buffer(archive.get(), bytes.data(), bytes.size(), 0);
    const zip_int64_t index =
        source ? zip_file_add(archive.get(), name.c_str(), source, ZIP_FL_ENC_UTF_8) : -1;
    if (index < 0) {
      if (source) zip_source_free(source);
      throw std::runtime_error("cannot add '" + name + "' to '" + file +
                               "': " + zip_strerror(archive.get()));
    }
    zip_set_file_compression(archive.get(), static_cast<zip_uint64_t>(index), ZIP_CM_STORE, 0);
  }
  if (zip_close(archive.get()) != 0) {
    throw std::runtime_error("cannot write '" + file + "': " + zip_strerror(archive.get()));
  }
  archive.release();  // zip_close freed it
}

// fsync of a file or directory, so that its contents (or a rename in it) reach the disk.
void sync_path(const std::string& target, bool directory) {
  const int fd = ::open(target.c_str(), O_RDONLY | O_CLOEXEC | (directory ? O_DIRECTORY : 0));
  if (fd < 0) {
    throw std::runtime_error("cannot open '" + target + "' to flush it: " + std::strerror(errno));
  }
  // Some file systems cannot fsync a directory (EINVAL); the rename is then as durable as it gets.
  if (::fsync(fd) != 0 && !(directory && errno == EINVAL)) {
    const int error = errno;
    ::close(fd);
    throw std::runtime_error("cannot flush '" + target + "' to disk: " + std::strerror(error));
  }
  ::close(fd);
}

std::string parent_directory(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Reads a whole entry, which also makes libzip check its CRC-32. `archive_size` is the size in
// bytes of the whole archive.
std::string read_entry(zip_t* archive, zip_uint64_t index, const std::string& name,
                       std::uint64_t archive_size) {
  zip_stat_t stat;
  zip_stat_init(&stat);
  if (zip_stat_index(archive, index, 0, &stat) != 0 || !(stat.valid & ZIP_STAT_SIZE)) {
    throw FileProblem("cannot read entry '" + name + "': " + zip_strerror(archive));
  }
  // A corrupted directory could claim any size; refuse before allocating it.
  if ((stat.valid & ZIP_STAT_COMP_SIZE) && stat.comp_size > archive_size) {
    throw FileProblem("corrupted: entry '" + name + "' claims " + std::to_string(stat.comp_size) +
                      " bytes, the archive has " + std::to_string(archive_size));
  }
  const zip_uint64_t size = stat.size;
  // A stored entry holds its bytes as they are; a directory claiming other sizes is damaged.
  if ((stat.valid & ZIP_STAT_COMP_METHOD) && (stat.valid & ZIP_STAT_COMP_SIZE) &&
      stat.comp_method == ZIP_CM_STORE && stat.comp_size != size) {
    throw FileProblem("corrupted: entry '" + name + "' claims " + std::to_string(size) +
                      " bytes but stores " + std::to_string(stat.comp_size));
  }
  std::unique_ptr<zip_file_t, ZipFileCloser> file(zip_fopen_index(archive, index, 0));
  if (!file) {
    throw FileProblem("cannot open entry '" + name + "': " + zip_strerror(archive));
  }
  // Reads in chunks until libzip reports the end, which is when it compares the entry's CRC-32.
  // Memory grows with the bytes that arrive, never with what the directory claims: a compressed
  // entry of a few bytes could claim gigabytes.
  std::string bytes;
  bytes.reserve(static_cast<std::size_t>(
      std::min<zip_uint64_t>(size, std::max<zip_uint64_t>(archive_size, zip_uint64_t{1} << 24))));
  char chunk[1 << 16];
  zip_uint64_t done = 0;
  for (;;) {
    const zip_int64_t n = zip_fread(file.get(), chunk, sizeof chunk);
    if (n < 0) {
      throw FileProblem("entry '" + name + "' is corrupted or truncated: " +
                        zip_error_strerror(zip_file_get_error(file.get())));
    }
    if (n == 0) break;
    done += static_cast<zip_uint64_t>(n);
    if (done > size) throw FileProblem("entry '" + name + "' is longer than the zip records");
    bytes.append(chunk, static_cast<std::size_t>(n));
  }
  if (done != size) {
    throw FileProblem("entry '" + name + "' is truncated: read " + std::to_string(done) + " of " +
                      std::to_string(size) + " bytes");
  }
  return bytes;
}

// libzip's reason for not opening an archive, as a FileProblem.
[[noreturn]] void throw_open_error(int code) {
  if (code == ZIP_ER_NOZIP) {
    throw FileProblem("not a zip archive (.npz), or truncated: no end-of-archive record");
  }
  if (code == ZIP_ER_EXISTS) throw FileProblem("corrupted: two entries have the same name");
  if (code == ZIP_ER_INCONS) {
    throw FileProblem("truncated or corrupted zip archive: " + zip_message(code));
  }
  throw FileProblem("cannot open the zip archive: " + zip_message(code));
}

// The named tensors of an open archive of `archive_size` bytes, checked against its metadata.
NamedTensors read_archive(zip_t* archive, std::uint64_t archive_size) {
  // The metadata comes first: a newer version may change everything else.
  const zip_int64_t metadata_index = zip_name_locate(archive, kMetadataEntry, 0);
  std::string metadata;
  if (metadata_index >= 0) {
    metadata = read_entry(archive, static_cast<zip_uint64_t>(metadata_index), kMetadataEntry,
                          archive_size);
    const auto version = metadata_number(metadata, "version", "", 10);
    if (version > static_cast<std::uint64_t>(checkpoint_format_version) || version == 0) {
      throw FileProblem("checkpoint format version " + std::to_string(version) +
                        " is not supported (this xgrad reads versions 1 to " +
                        std::to_string(checkpoint_format_version) + ")");
    }
  }

  const zip_int64_t count = zip_get_num_entries(archive, 0);
  NamedTensors state;
  std::set<std::string> names;
  std::uint64_t checksum = kFnvOffset;
  for (zip_int64_t i = 0; i < count; ++i) {
    if (i == metadata_index) continue;
    const auto index = static_cast<zip_uint64_t>(i);
    zip_stat_t stat;
    zip_stat_init(&stat);
    if (zip_stat_index(archive, index, 0, &stat) != 0 || !(stat.valid & ZIP_STAT_NAME)) {
      throw FileProblem("cannot read entry " + std::to_string(i) + ": " + zip_strerror(archive));
    }
    const std::string name = stat.name;
    if (!names.insert(name).second) {
      throw FileProblem("corrupted: two entries have the same name '" + name + "'");
    }
    const std::string bytes = read_entry(archive, index, name, archive_size);
    const std::size_t suffix = name.size() >= 4 ? name.size() - 4 : 0;
    if (name.size() <= 4 || name.compare(suffix, 4, ".npy") != 0) {
      throw FileProblem("entry '" + name + "' is not a .npy array");
    }
    checksum = add_entry_to_checksum(checksum, name, bytes);
    try {
      state.emplace_back(name.substr(0, suffix), parse_npy(bytes));
    } catch (const FileProblem& e) {
      throw FileProblem("entry '" + name + "': " + e.what());
    }
  }

  if (metadata_index >= 0) {
    const auto tensors = metadata_number(metadata, "tensors", "", 10);
    if (tensors != state.size()) {
      throw FileProblem("corrupted: the metadata lists " + std::to_string(tensors) +
                        " tensors, the archive holds " + std::to_string(state.size()));
    }
    const auto expected = metadata_number(metadata, "checksum", "\"fnv1a64:", 16);
    if (expected != checksum) {
      throw FileProblem("corrupted: checksum mismatch (stored fnv1a64 " + hex64(expected) +
                        ", computed " + hex64(checksum) + ")");
    }
  }
  return state;
}

NamedTensors read_checkpoint(const std::string& path) {
  struct stat file_status;
  if (::stat(path.c_str(), &file_status) != 0) {
    throw FileProblem(std::string("cannot open: ") + std::strerror(errno));
  }
  if (S_ISDIR(file_status.st_mode)) throw FileProblem("is a directory, not a checkpoint file");
  if (file_status.st_size == 0) throw FileProblem("empty file (0 bytes), not an .npz archive");
  int code = 0;
  std::unique_ptr<zip_t, ZipCloser> archive(
      zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &code));
  if (!archive) throw_open_error(code);
  return read_archive(archive.get(), static_cast<std::uint64_t>(file_status.st_size));
}

NamedTensors read_checkpoint(std::istream& input) {
  if (!input) throw FileProblem("cannot read: the stream is in a failed state");
  std::string bytes;
  char chunk[1 << 16];
  for (;;) {
    input.read(chunk, sizeof chunk);
    bytes.append(chunk, static_cast<std::size_t>(input.gcount()));
    if (!input) break;
  }
  if (input.bad()) throw FileProblem("error while reading the stream");
  if (bytes.empty()) throw FileProblem("empty stream (0 bytes), not an .npz archive");
  // The source reads `bytes` in place; the archive owns the source once it is open.
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  zip_t* opened =
      source ? zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &error) : nullptr;
  const int code = zip_error_code_zip(&error);
  zip_error_fini(&error);
  if (!opened) {
    if (source) zip_source_free(source);
    throw_open_error(code);
  }
  std::unique_ptr<zip_t, ZipCloser> archive(opened);
  return read_archive(archive.get(), bytes.size());
}

}  // namespace

void save(const NamedTensors& state, const std::string& path) {
  std::set<std::string> names;
  std::vector<std::pair<std::string, std::string>> entries;
  std::uint64_t checksum = kFnvOffset;
  for (const auto& [name, tensor] : state) {
    if (name.empty() || name == "__xgrad__") {
      throw std::invalid_argument("save: bad tensor name '" + name + "' (empty or reserved)");
    }
    // A zip entry's name ends at a NUL: the checkpoint would save but never load.
    if (name.find('\0') != std::string::npos) {
      throw std::invalid_argument("save: tensor name '" + name.substr(0, name.find('\0')) +
                                  "\\0...' contains a NUL byte at position " +
                                  std::to_string(name.find('\0')));
    }
    if (!names.insert(name).second) {
      throw std::invalid_argument("save: tensor name '" + name + "' appears twice");
    }
    if (!tensor.defined()) throw std::invalid_argument("save: tensor '" + name + "' is undefined");
    entries.emplace_back(name + ".npy", npy_bytes(tensor));
    checksum = add_entry_to_checksum(checksum, entries.back().first, entries.back().second);
  }
  entries.emplace_back(kMetadataEntry, metadata_json(state.size(), checksum));

  static std::atomic<unsigned> counter{0};
  const std::string temporary =
      path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  try {
    // libzip's own message for a missing directory speaks of its temporary file; be plainer.
    const std::string directory = parent_directory(path);
    struct stat directory_status;
    if (::stat(directory.c_str(), &directory_status) != 0) {
      throw std::runtime_error("directory '" + directory + "' " +
                               (errno == ENOENT ? "does not exist" : std::strerror(errno)));
    }
    if (!S_ISDIR(directory_status.st_mode)) {
      throw std::runtime_error("'" + directory + "' is not a directory");
    }
    write_zip(temporary, entries);
    sync_path(temporary, false);
    if (std::rename(temporary.c_str(), path.c_str()) != 0) {
      throw std::runtime_error("cannot rename '" + temporary +
                               "' over it: " + std::strerror(errno));
    }
  } catch (const std::runtime_error& e) {
    std::remove(temporary.c_str());
    throw std::runtime_error("save: '" + path + "': " + e.what());
  } catch (...) {
    std::remove(temporary.c_str());
    throw;
  }
  try {
    sync_path(parent_directory(path), true);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error("save: '" + path + "' was written but " + e.what());
  }
}

void save(const Module& module, const std::string& path) {
  save(module.state_dict(), path);
}

NamedTensors load(const std::string& path) {
  try {
    return read_checkpoint(path);
  } catch (const FileProblem& e) {
    throw std::runtime_error("load: '" + path + "': " + e.what());
  }
}

NamedTensors load(std::istream& input, const std::string& source) {
  try {
    return read_checkpoint(input);
  } catch (const FileProblem& e) {
    throw std::runtime_error("load: '" + source + "': " + e.what());
  }
}

void load(Module& module, const std::string& path, bool strict) {
  const NamedTensors state = load(path);
  try {
    module.load_state_dict(state, strict);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument("load: '" + path + "': " + e.what());
  }
}

}  // namespace xgrad::nn
