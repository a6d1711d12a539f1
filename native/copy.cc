// Batched copies: every op of a batch is validated before any byte moves, so a bad op never
// leaves a half-done batch behind. Layout of `ops` (Float64Array, 5 numbers per op):
//   [srcBufferIndex, srcOffset, dstBufferIndex, dstOffset, length]
// Layout of checksum `ops` (3 numbers per op): [bufferIndex, offset, length].
// Layout of read `ops` (5 numbers per op): [fd, position, bufferIndex, offset, length]: copies
// from a file into a buffer, so they live here too (same argument rules, same helpers).
#include "copy.h"

#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <utility>
#include <vector>

#include "checksum.h"
#include "common.h"
#include "file-map.h"

namespace kvtier {
namespace {

constexpr size_t kCopyOpWidth = 5;
constexpr size_t kChecksumOpWidth = 3;

struct CopyOp {
  const uint8_t* src;
  uint8_t* dst;
  size_t length;
};

// The buffers of a batch. Every element is read first (running any getter a hostile array
// may have), and only then are raw pointers taken, so no user JS can run between taking a
// pointer and using it. The values are kept to pin exactly these objects during async copies.
struct Buffers {
  std::vector<Napi::Value> values;
  std::vector<ByteSpan> spans;
};

Buffers BuffersOf(Napi::Env env, const Napi::Value& value) {
  if (!value.IsArray()) {
    ThrowType(env, "expected an array of ArrayBuffers/TypedArrays for `buffers`, got " + Describe(value));
  }
  auto array = value.As<Napi::Array>();
  uint32_t count = array.Length();
  Buffers buffers{std::vector<Napi::Value>(count), std::vector<ByteSpan>(count)};
  for (uint32_t i = 0; i < count; ++i) buffers.values[i] = array.Get(i);
  for (uint32_t i = 0; i < count; ++i) buffers.spans[i] = SpanOf(env, buffers.values[i], "buffers", i);
  return buffers;
}

size_t SizeAt(Napi::Env env, double value, const char* name, size_t op) {
  if (!IsSize(value)) ThrowNotSize(env, std::string("`") + name + "` of op " + std::to_string(op), value);
  return static_cast<size_t>(value);
}

const ByteSpan& SpanAt(Napi::Env env, const std::vector<ByteSpan>& spans, double index, const char* name, size_t op) {
  size_t i = SizeAt(env, index, name, op);
  if (i >= spans.size()) {
    ThrowRange(env, std::string("`") + name + "` of op " + std::to_string(op) + " is " + std::to_string(i) +
                        " but only " + std::to_string(spans.size()) + " buffers were given");
  }
  return spans[i];
}

// `what` names the range for the message, e.g. "source range" or "range".
void CheckRange(Napi::Env env, const ByteSpan& span, size_t offset, size_t length, const char* what, size_t op) {
  if (offset > span.length || length > span.length - offset) {
    ThrowRange(env, std::string(what) + " [" + std::to_string(offset) + ", " + std::to_string(offset + length) +
                        ") of op " + std::to_string(op) + " is outside its buffer of " + std::to_string(span.length) +
                        " bytes");
  }
}

// Finds and throws the first problem of a copy op, checking in the documented order (the
// reference implementation follows the same order). Only reached once the fast path in
// ParseCopyOps has seen that something is wrong, so it stays out of the hot loop.
[[noreturn]] __attribute__((noinline, cold)) void ThrowBadCopyOp(Napi::Env env, const std::vector<ByteSpan>& spans,
                                                                 const double* row, size_t op) {
  const ByteSpan& src = SpanAt(env, spans, row[0], "srcIndex", op);
  size_t srcOffset = SizeAt(env, row[1], "srcOffset", op);
  const ByteSpan& dst = SpanAt(env, spans, row[2], "dstIndex", op);
  size_t dstOffset = SizeAt(env, row[3], "dstOffset", op);
  size_t length = SizeAt(env, row[4], "length", op);
  CheckRange(env, src, srcOffset, length, "source range", op);
  CheckRange(env, dst, dstOffset, length, "destination range", op);
  ThrowRange(env, "source and destination of op " + std::to_string(op) + " overlap");
}

std::vector<CopyOp> ParseCopyOps(Napi::Env env, const std::vector<ByteSpan>& spans, const DoubleSpan& ops) {
  if (ops.length % kCopyOpWidth != 0) {
    ThrowRange(env, "expected `ops` to hold 5 numbers per op (srcIndex, srcOffset, dstIndex, dstOffset, length), got " +
                        std::to_string(ops.length) + " numbers");
  }
  size_t count = ops.length / kCopyOpWidth;
  const double* raw = ops.data;
  const double buffers = static_cast<double>(spans.size());
  std::vector<CopyOp> parsed(count);
  for (size_t op = 0; op < count; ++op) {
    const double* row = raw + op * kCopyOpWidth;
    // Fast path: every check inline, no message built. Any failure re-checks in order, slowly.
    if (IsSize(row[0]) && row[0] < buffers && IsSize(row[1]) && IsSize(row[2]) && row[2] < buffers &&
        IsSize(row[3]) && IsSize(row[4])) {
      const ByteSpan& src = spans[static_cast<size_t>(row[0])];
      const ByteSpan& dst = spans[static_cast<size_t>(row[2])];
      auto srcOffset = static_cast<size_t>(row[1]);
      auto dstOffset = static_cast<size_t>(row[3]);
      auto length = static_cast<size_t>(row[4]);
      if (srcOffset <= src.length && length <= src.length - srcOffset && dstOffset <= dst.length &&
          length <= dst.length - dstOffset && !Overlaps(src.data + srcOffset, length, dst.data + dstOffset, length)) {
        parsed[op] = CopyOp{src.data + srcOffset, dst.data + dstOffset, length};
        continue;
      }
    }
    ThrowBadCopyOp(env, spans, row, op);
  }
  return parsed;
}

// A typed array of `type` (`typeName` in messages) receiving one entry per op: `checksums` or `results`.
void* PerOpOut(Napi::Env env, const Napi::Value& value, size_t count, napi_typedarray_type want, const char* typeName,
               const char* name) {
  bool is = false;
  napi_typedarray_type type = napi_int8_array;
  size_t length = 0;
  void* data = nullptr;
  if (napi_is_typedarray(env, value, &is) != napi_ok || !is ||
      napi_get_typedarray_info(env, value, &type, &length, &data, nullptr, nullptr) != napi_ok || type != want) {
    ThrowType(env, std::string("expected a ") + typeName + " for `" + name + "`, got " + Describe(value));
  }
  if (length < count) {
    ThrowRange(env, std::string("`") + name + "` holds " + std::to_string(length) + " entries but the batch has " +
                        std::to_string(count) + " ops");
  }
  return data;
}

uint64_t* ChecksumOut(Napi::Env env, const Napi::Value& value, size_t count) {
  return static_cast<uint64_t*>(PerOpOut(env, value, count, napi_biguint64_array, "BigUint64Array", "checksums"));
}

void RunCopies(const std::vector<CopyOp>& ops, uint64_t* checksums) {
  if (checksums == nullptr) {
    // memcpy with a null pointer is undefined even for 0 bytes, and empty or detached buffers have one.
    for (const CopyOp& op : ops) {
      if (op.length != 0) std::memcpy(op.dst, op.src, op.length);
    }
  } else {
    for (size_t i = 0; i < ops.size(); ++i) checksums[i] = CopyXxh3(ops[i].dst, ops[i].src, ops[i].length);
  }
}

// Runs a parsed batch (`work`) on the libuv pool. It holds a reference to every buffer involved,
// so an arena the caller drops mid-batch stays alive (and mapped) until the batch is done.
class PoolBatch : public Napi::AsyncWorker {
 public:
  PoolBatch(Napi::Env env, const char* name, std::function<void()> work)
      : Napi::AsyncWorker(env, name), deferred_(Napi::Promise::Deferred::New(env)), work_(std::move(work)) {}

  ~PoolBatch() override {
    for (FileMap* map : held_) ReleaseFileMap(map);
  }

  void Keep(const Napi::Value& value) { kept_.push_back(Napi::Persistent(value.As<Napi::Object>())); }
  // Keeps a file mapping mapped until the batch is done (see file-map.h).
  void Hold(FileMap* map) {
    HoldFileMap(map);
    held_.push_back(map);
  }
  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override { work_(); }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }
  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::function<void()> work_;
  std::vector<Napi::ObjectReference> kept_;
  std::vector<FileMap*> held_;
};

// Parses a batch with `build` (which returns the queued worker) and queues it; bad arguments
// reject the promise instead (a function returning a promise should not also throw), still
// before any byte moves.
Napi::Value QueueOrReject(Napi::Env env, const std::function<PoolBatch*()>& build) {
  PoolBatch* worker = nullptr;
  try {
    worker = build();
  } catch (const Napi::Error& error) {
    auto rejected = Napi::Promise::Deferred::New(env);
    rejected.Reject(error.Value());
    return rejected.Promise();
  }
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace

// copyBatch(buffers, ops[, checksums])
Napi::Value CopyBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto buffers = BuffersOf(env, info[0]);
  auto ops = ParseCopyOps(env, buffers.spans, Float64Arg(info, 1, "ops"));
  uint64_t* checksums = info.Length() > 2 && !info[2].IsUndefined() ? ChecksumOut(env, info[2], ops.size()) : nullptr;
  RunCopies(ops, checksums);
  return env.Undefined();
}

// copyBatchAsync(buffers, ops[, checksums]) -> Promise<void>. Bad arguments reject the promise.
Napi::Value CopyBatchAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return QueueOrReject(env, [&]() {
    auto buffers = BuffersOf(env, info[0]);
    auto ops = ParseCopyOps(env, buffers.spans, Float64Arg(info, 1, "ops"));
    bool withChecksums = info.Length() > 2 && !info[2].IsUndefined();
    uint64_t* checksums = withChecksums ? ChecksumOut(env, info[2], ops.size()) : nullptr;
    auto* worker = new PoolBatch(env, "kvtier.copyBatchAsync",
                                 [ops = std::move(ops), checksums]() { RunCopies(ops, checksums); });
    for (const Napi::Value& buffer : buffers.values) worker->Keep(buffer);
    if (withChecksums) worker->Keep(info[2]);
    return worker;
  });
}

// checksumBatch(buffers, ops, checksums): ops are [bufferIndex, offset, length] triples.
Napi::Value ChecksumBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto spans = BuffersOf(env, info[0]).spans;
  auto ops = Float64Arg(info, 1, "ops");
  if (ops.length % kChecksumOpWidth != 0) {
    ThrowRange(env, "expected `ops` to hold 3 numbers per op (bufferIndex, offset, length), got " +
                        std::to_string(ops.length) + " numbers");
  }
  size_t count = ops.length / kChecksumOpWidth;
  uint64_t* out = ChecksumOut(env, info[2], count);
  std::vector<ByteSpan> ranges(count);
  for (size_t op = 0; op < count; ++op) {
    const double* row = ops.data + op * kChecksumOpWidth;
    const ByteSpan& span = SpanAt(env, spans, row[0], "bufferIndex", op);
    size_t offset = SizeAt(env, row[1], "offset", op);
    size_t length = SizeAt(env, row[2], "length", op);
    CheckRange(env, span, offset, length, "range", op);
    ranges[op] = ByteSpan{span.data + offset, length};
  }
  for (size_t op = 0; op < count; ++op) out[op] = Xxh3(ranges[op].data, ranges[op].length);
  return env.Undefined();
}

namespace {

// Pages of `pageBytes` at `pageOffsets` inside `paged`, against one contiguous run in `block`.
struct PagedCopy {
  std::vector<uint8_t*> pages;
  uint8_t* contiguous;
  size_t pageBytes;
};

// Arguments are read in a fixed order (paged, pageOffsets, pageBytes, block, blockOffset) for
// both directions, so the first bad one reported does not depend on the direction.
PagedCopy ParsePaged(const Napi::CallbackInfo& info, size_t pagedArg, size_t offsetsArg, size_t pageBytesArg,
                     size_t blockArg, size_t blockOffsetArg) {
  Napi::Env env = info.Env();
  ByteSpan paged = SpanOf(env, info[pagedArg], "paged");
  auto offsets = Float64Arg(info, offsetsArg, "pageOffsets");
  size_t pageBytes = SizeArg(info, pageBytesArg, "pageBytes");
  ByteSpan block = SpanOf(env, info[blockArg], "block");
  size_t blockOffset = SizeArg(info, blockOffsetArg, "blockOffset");
  size_t count = offsets.length;
  if (blockOffset > block.length || (pageBytes != 0 && count > (block.length - blockOffset) / pageBytes)) {
    ThrowRange(env, "`block` needs " + std::to_string(count) + " pages of " + std::to_string(pageBytes) +
                        " bytes from offset " + std::to_string(blockOffset) + " but holds " +
                        std::to_string(block.length) + " bytes");
  }
  PagedCopy copy{std::vector<uint8_t*>(count), block.data + blockOffset, pageBytes};
  for (size_t page = 0; page < count; ++page) {
    double value = offsets.data[page];
    if (!IsSize(value)) ThrowNotSize(env, "`pageOffsets[" + std::to_string(page) + "]`", value);
    size_t offset = static_cast<size_t>(value);
    if (offset > paged.length || pageBytes > paged.length - offset) {
      ThrowRange(env, "page " + std::to_string(page) + " at [" + std::to_string(offset) + ", " +
                          std::to_string(offset + pageBytes) + ") is outside `paged` of " +
                          std::to_string(paged.length) + " bytes");
    }
    copy.pages[page] = paged.data + offset;
    if (Overlaps(copy.pages[page], pageBytes, copy.contiguous, count * pageBytes)) {
      ThrowRange(env, "page " + std::to_string(page) + " overlaps the contiguous block");
    }
  }
  return copy;
}

}  // namespace

// gather(paged, pageOffsets, pageBytes, block, blockOffset): pages -> one contiguous block.
Napi::Value Gather(const Napi::CallbackInfo& info) {
  PagedCopy copy = ParsePaged(info, 0, 1, 2, 3, 4);
  if (copy.pageBytes == 0) return info.Env().Undefined();
  for (size_t page = 0; page < copy.pages.size(); ++page) {
    std::memcpy(copy.contiguous + page * copy.pageBytes, copy.pages[page], copy.pageBytes);
  }
  return info.Env().Undefined();
}

// scatter(block, blockOffset, paged, pageOffsets, pageBytes): one contiguous block -> pages.
Napi::Value Scatter(const Napi::CallbackInfo& info) {
  PagedCopy copy = ParsePaged(info, 2, 3, 4, 0, 1);
  if (copy.pageBytes == 0) return info.Env().Undefined();
  for (size_t page = 0; page < copy.pages.size(); ++page) {
    std::memcpy(copy.pages[page], copy.contiguous + page * copy.pageBytes, copy.pageBytes);
  }
  return info.Env().Undefined();
}

// memcpyBaseline(dst, src, blockBytes, blocks, rounds) -> nanoseconds spent in a plain memcpy
// loop, timed in C so the baseline carries no JS call overhead at all.
Napi::Value MemcpyBaseline(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ByteSpan dst = SpanOf(env, info[0], "dst");
  ByteSpan src = SpanOf(env, info[1], "src");
  size_t blockBytes = SizeArg(info, 2, "blockBytes");
  size_t blocks = SizeArg(info, 3, "blocks");
  size_t rounds = SizeArg(info, 4, "rounds");
  if (blockBytes != 0 && (blocks > dst.length / blockBytes || blocks > src.length / blockBytes)) {
    ThrowRange(env, "`dst` (" + std::to_string(dst.length) + " bytes) and `src` (" + std::to_string(src.length) +
                        " bytes) must each hold " + std::to_string(blocks) + " blocks of " +
                        std::to_string(blockBytes) + " bytes");
  }
  if (Overlaps(dst.data, blocks * blockBytes, src.data, blocks * blockBytes)) {
    ThrowRange(env, "`dst` and `src` overlap");
  }
  if (blocks * blockBytes == 0) rounds = 0;  // nothing to copy, and the spans may be null
  auto start = std::chrono::steady_clock::now();
  for (size_t round = 0; round < rounds; ++round) {
    for (size_t block = 0; block < blocks; ++block) {
      std::memcpy(dst.data + block * blockBytes, src.data + block * blockBytes, blockBytes);
    }
    // Keep the compiler from folding rounds together.
    asm volatile("" : : "r"(dst.data) : "memory");
  }
  auto elapsed = std::chrono::steady_clock::now() - start;
  auto nanoseconds = std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count();
  return Napi::Number::New(env, static_cast<double>(nanoseconds));
}

namespace {

constexpr size_t kReadOpWidth = 5;
constexpr double kMaxFd = 2147483647.0;

struct ReadOp {
  int fd;
  off_t position;
  uint8_t* dst;
  size_t length;
};

[[noreturn]] __attribute__((noinline, cold)) void ThrowBadReadOp(Napi::Env env, const std::vector<ByteSpan>& spans,
                                                                 const double* row, size_t op) {
  SizeAt(env, row[0], "fd", op);
  if (row[0] > kMaxFd) {
    ThrowRange(env, "`fd` of op " + std::to_string(op) + " is " + FormatNumber(row[0]) +
                        ", past the largest file descriptor 2147483647");
  }
  SizeAt(env, row[1], "position", op);
  const ByteSpan& span = SpanAt(env, spans, row[2], "bufferIndex", op);
  size_t offset = SizeAt(env, row[3], "offset", op);
  size_t length = SizeAt(env, row[4], "length", op);
  CheckRange(env, span, offset, length, "range", op);
  ThrowRange(env, "op " + std::to_string(op) + " is invalid");  // unreachable: the fast path accepted it
}

std::vector<ReadOp> ParseReadOps(Napi::Env env, const std::vector<ByteSpan>& spans, const DoubleSpan& ops) {
  if (ops.length % kReadOpWidth != 0) {
    ThrowRange(env, "expected `ops` to hold 5 numbers per op (fd, position, bufferIndex, offset, length), got " +
                        std::to_string(ops.length) + " numbers");
  }
  size_t count = ops.length / kReadOpWidth;
  const double buffers = static_cast<double>(spans.size());
  std::vector<ReadOp> parsed(count);
  for (size_t op = 0; op < count; ++op) {
    const double* row = ops.data + op * kReadOpWidth;
    if (IsSize(row[0]) && row[0] <= kMaxFd && IsSize(row[1]) && IsSize(row[2]) && row[2] < buffers &&
        IsSize(row[3]) && IsSize(row[4])) {
      const ByteSpan& span = spans[static_cast<size_t>(row[2])];
      auto offset = static_cast<size_t>(row[3]);
      auto length = static_cast<size_t>(row[4]);
      if (offset <= span.length && length <= span.length - offset) {
        parsed[op] = ReadOp{static_cast<int>(row[0]), static_cast<off_t>(row[1]), span.data + offset, length};
        continue;
      }
    }
    ThrowBadReadOp(env, spans, row, op);
  }
  return parsed;
}

double* ResultsOut(Napi::Env env, const Napi::Value& value, size_t count) {
  return static_cast<double*>(PerOpOut(env, value, count, napi_float64_array, "Float64Array", "results"));
}

// readBatchAsync's `maps`: one entry per op, the mapping of the op's file (mapFile) or undefined.
struct Maps {
  std::vector<FileMap*> perOp;
  // Each distinct mapping once (a record's header and payload ops share one), with its value:
  // the batch keeps the value alive and holds the mapping, once per mapping rather than per op.
  std::vector<std::pair<Napi::Value, FileMap*>> distinct;
};

Maps MapsOf(Napi::Env env, const Napi::Value& value, size_t count) {
  if (!value.IsArray()) {
    ThrowType(env, "expected an array of mappings from mapFile (or undefined) for `maps`, got " + Describe(value));
  }
  auto array = value.As<Napi::Array>();
  if (array.Length() != count) {
    ThrowRange(env, "expected `maps` to hold one entry per op (" + std::to_string(count) + "), got " +
                        std::to_string(array.Length()));
  }
  Maps maps{std::vector<FileMap*>(count), {}};
  for (uint32_t i = 0; i < count; ++i) {
    Napi::Value entry = array.Get(i);
    if (entry.IsUndefined()) continue;
    FileMap* map = FileMapOf(env, entry, "maps", i);
    maps.perOp[i] = map;
    auto same = [map](const std::pair<Napi::Value, FileMap*>& held) { return held.second == map; };
    if (std::none_of(maps.distinct.begin(), maps.distinct.end(), same)) maps.distinct.emplace_back(entry, map);
  }
  return maps;
}

// One positional read of `iov` at `position`: pread/preadv, or preadv2 with `flags` (RWF_NOWAIT).
// A kernel without preadv2 (ENOSYS) reports EOPNOTSUPP, like one that cannot honour the flag.
ssize_t ReadVector(int fd, iovec* iov, int count, off_t position, int flags) {
#ifdef RWF_NOWAIT
  if (flags != 0) {
    ssize_t n = preadv2(fd, iov, count, position, flags);
    if (n < 0 && errno == ENOSYS) errno = EOPNOTSUPP;
    return n;
  }
#endif
  if (count == 1) return pread(fd, iov[0].iov_base, iov[0].iov_len, position);
  return preadv(fd, iov, count, position);
}

// One op from its `start`-th byte on: read until the range is full or the file ends, retrying
// EINTR. Returns the op's bytes read, or -errno (nothing else is reported: what a failure means is
// the caller's policy).
double ReadFrom(const ReadOp& op, size_t start, int flags) {
  size_t done = start;
  while (done < op.length) {
    iovec part{op.dst + done, op.length - done};
    ssize_t n = ReadVector(op.fd, &part, 1, op.position + static_cast<off_t>(done), flags);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -static_cast<double>(errno);
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return static_cast<double>(done);
}

// Whether `b` continues `a` in the same file (a record's header, then its payload).
bool Continues(const ReadOp& a, const ReadOp& b) {
  return a.fd == b.fd && a.length != 0 && b.position == a.position + static_cast<off_t>(a.length);
}

// Two ops where `b` continues `a`, with one vectored read of both ranges: one syscall instead of
// two. The results are the ones two ReadFrom calls would give: a short read splits at the end of
// the file, and after a failed call each unfinished op goes on (or fails) by itself.
void ReadPair(const ReadOp& a, const ReadOp& b, double* resultA, double* resultB, int flags) {
  const size_t total = a.length + b.length;
  size_t done = 0;
  while (done < total) {
    iovec parts[2];
    int count = 0;
    if (done < a.length) {
      parts[count++] = iovec{a.dst + done, a.length - done};
      if (b.length != 0) parts[count++] = iovec{b.dst, b.length};
    } else {
      parts[count++] = iovec{b.dst + (done - a.length), total - done};
    }
    ssize_t n = ReadVector(a.fd, parts, count, a.position + static_cast<off_t>(done), flags);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (done < a.length) {
        *resultA = -static_cast<double>(errno);
        *resultB = ReadFrom(b, 0, flags);
      } else {
        *resultA = static_cast<double>(a.length);
        *resultB = ReadFrom(b, done - a.length, flags);
      }
      return;
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  *resultA = static_cast<double>(done < a.length ? done : a.length);
  *resultB = static_cast<double>(done > a.length ? done - a.length : 0);
}

// Ops first to last (one op, or a header and the payload right after it) copied out of their
// file's mapping, each with its checksum when `checksums` is not null: true when the mapping
// could serve them all (one residency check for the whole range); otherwise the caller reads them.
bool CopyAllMapped(const std::vector<ReadOp>& ops, const std::vector<FileMap*>& maps, size_t first, size_t last,
                   double* results, uint64_t* checksums) {
  const FileMap* map = maps[first];
  if (map == nullptr || maps[last] != map) return false;
  const off_t end = ops[last].position + static_cast<off_t>(ops[last].length);
  // Nothing to copy (a payload-only read's empty header op): a read of no bytes makes no syscall.
  if (end == ops[first].position) return false;
  if (!Resident(*map, ops[first].fd, ops[first].position, static_cast<size_t>(end - ops[first].position))) return false;
  for (size_t k = first; k <= last; ++k) {
    const ReadOp& op = ops[k];
    uint64_t* checksum = checksums == nullptr ? nullptr : &checksums[k];
    if (op.length == 0) {
      if (checksum != nullptr) *checksum = Xxh3(nullptr, 0);
    } else if (!CopyMapped(*map, op.position, op.dst, op.length, checksum)) {
      return false;
    }
    results[k] = static_cast<double>(op.length);
  }
  return true;
}

void RunReads(const std::vector<ReadOp>& ops, const std::vector<FileMap*>& maps, double* results, uint64_t* checksums,
              int flags) {
  for (size_t i = 0; i < ops.size(); ++i) {
    size_t last = i;
    if (i + 1 < ops.size() && Continues(ops[i], ops[i + 1])) last = i + 1;
    if (!maps.empty() && CopyAllMapped(ops, maps, i, last, results, checksums)) {
      i = last;
      continue;
    }
    if (last != i) {
      ReadPair(ops[i], ops[i + 1], &results[i], &results[i + 1], flags);
    } else {
      results[i] = ReadFrom(ops[i], 0, flags);
    }
    // A failed op hashes no bytes (its result says it failed; what it had read is not reported).
    for (size_t k = i; checksums != nullptr && k <= last; ++k) {
      checksums[k] = Xxh3(ops[k].dst, results[k] > 0 ? static_cast<size_t>(results[k]) : 0);
    }
    i = last;
  }
}

}  // namespace

// readBatchAsync(buffers, ops, results[, checksums]) -> Promise<void>: positional reads on the
// pool, every op in order on one pool thread (one hop for the batch), each fused with the XXH3-64
// of the bytes it read. Bad arguments reject, before any read.
Napi::Value ReadBatchAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return QueueOrReject(env, [&]() {
    auto buffers = BuffersOf(env, info[0]);
    auto ops = ParseReadOps(env, buffers.spans, Float64Arg(info, 1, "ops"));
    double* results = ResultsOut(env, info[2], ops.size());
    bool withChecksums = info.Length() > 3 && !info[3].IsUndefined();
    uint64_t* checksums = withChecksums ? ChecksumOut(env, info[3], ops.size()) : nullptr;
    Maps maps;
    if (info.Length() > 4 && !info[4].IsUndefined()) maps = MapsOf(env, info[4], ops.size());
    auto* worker = new PoolBatch(env, "kvtier.readBatchAsync",
                                 [ops = std::move(ops), maps = maps.perOp, results, checksums]() {
                                   RunReads(ops, maps, results, checksums, 0);
                                 });
    for (const auto& [value, map] : maps.distinct) {
      worker->Keep(value);
      worker->Hold(map);
    }
    for (const Napi::Value& buffer : buffers.values) worker->Keep(buffer);
    worker->Keep(info[2]);
    if (withChecksums) worker->Keep(info[3]);
    return worker;
  });
}

// readBatchCached(buffers, ops, results[, checksums]): the same reads on the calling thread, each
// taking only bytes the page cache already holds (preadv2 with RWF_NOWAIT): an op that would have
// to wait for storage stores -EAGAIN instead, so the call never blocks on a device. Where the
// system or the file system cannot tell (no RWF_NOWAIT), every op stores -EOPNOTSUPP and nothing
// is read. Bad arguments throw, before any read.
Napi::Value ReadBatchCached(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto buffers = BuffersOf(env, info[0]);
  auto ops = ParseReadOps(env, buffers.spans, Float64Arg(info, 1, "ops"));
  double* results = ResultsOut(env, info[2], ops.size());
  uint64_t* checksums = info.Length() > 3 && !info[3].IsUndefined() ? ChecksumOut(env, info[3], ops.size()) : nullptr;
#ifdef RWF_NOWAIT
  RunReads(ops, {}, results, checksums, RWF_NOWAIT);
#else
  for (size_t i = 0; i < ops.size(); ++i) {
    results[i] = -static_cast<double>(EOPNOTSUPP);
    if (checksums != nullptr) checksums[i] = Xxh3(ops[i].dst, 0);
  }
#endif
  return env.Undefined();
}

// noop(): prices a bare call across the native boundary.
Napi::Value Noop(const Napi::CallbackInfo& info) { return info.Env().Undefined(); }

}  // namespace kvtier
