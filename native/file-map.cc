// mapFile(fd, byteLength) -> opaque mapping: a read-only shared mapping of a file's first
// `byteLength` bytes; unmapFile(mapping) releases it (also done by V8's finaliser). The point is
// one pass over a page-cache-resident block instead of two: a pread copies the bytes into the
// destination and the checksum then reads them back, by then mostly out of L2 (at 1 MiB the
// kernel's copy streams 2 MiB through a 1 MiB L2), and on a busy machine out of L3 too. Copying
// out of the mapping hashes each stripe as it copies it (CopyXxh3).
//
// The mapping is an External, not an ArrayBuffer: JavaScript never touches the mapped bytes, as
// touching a page past the end of the file raises SIGBUS. Resident checks that the range lies
// within the file and is resident before it is copied; a file truncated by someone else between
// that check and the copy still faults, and the fault is caught (CopyMapped).
#include "file-map.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csetjmp>
#include <csignal>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>

#include "checksum.h"
#include "common.h"

namespace kvtier {
namespace {

constexpr napi_type_tag kFileMapTag = {0x6b7674696572666dULL, 0x61702d6d61707631ULL};  // "kvtierfmap-mapv1"

size_t PageBytes() {
  static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return page;
}

void Unmap(FileMap* map) {
  if (map->data != nullptr) munmap(map->data, map->length);
  map->data = nullptr;
}

// ---- SIGBUS guard ----
// A copy out of a mapping runs with the thread's guard armed over its source range; a SIGBUS
// raised by an access in that range (the file shrank under the copy, or the device failed) jumps
// back to CopyMapped, which reports the copy as not done. Any other SIGBUS goes to the handler
// that was there before (by default the process dies, as it would without us). A handler
// installed later without chaining to this one disarms the guard.

struct Guard {
  sigjmp_buf* jump;
  const uint8_t* start;
  const uint8_t* end;
};
// initial-exec: a dlopen'ed library's TLS would otherwise be reached through __tls_get_addr,
// which may allocate on a thread's first access, and the handler runs on any thread.
thread_local Guard tGuard __attribute__((tls_model("initial-exec"))) = {nullptr, nullptr, nullptr};
struct sigaction gPreviousBus;

void OnBus(int signal, siginfo_t* info, void* context) {
  const Guard& guard = tGuard;
  const auto* address = static_cast<const uint8_t*>(info->si_addr);
  // si_code > 0: raised by the kernel for an access (not sent by kill or raise).
  if (guard.jump != nullptr && info->si_code > 0 && address >= guard.start && address < guard.end) {
    siglongjmp(*guard.jump, 1);
  }
  if ((gPreviousBus.sa_flags & SA_SIGINFO) != 0) {
    gPreviousBus.sa_sigaction(signal, info, context);
  } else if (gPreviousBus.sa_handler == SIG_IGN) {
    // Ignored before: a sent one stays ignored; a faulting access runs again and the kernel kills
    // the process, as it would have.
    if (info->si_code > 0) sigaction(SIGBUS, &gPreviousBus, nullptr);
  } else if (gPreviousBus.sa_handler == SIG_DFL) {
    // Default: die of it. A faulting access runs again and meets it; a sent one is raised again.
    sigaction(SIGBUS, &gPreviousBus, nullptr);
    if (info->si_code <= 0) raise(SIGBUS);
  } else {
    gPreviousBus.sa_handler(signal);
  }
}

void InstallBusGuard() {
  static std::once_flag installed;
  std::call_once(installed, [] {
    // The previous action first, so a SIGBUS on another thread never finds it unset.
    sigaction(SIGBUS, nullptr, &gPreviousBus);
    struct sigaction action {};
    action.sa_sigaction = OnBus;
    // SA_NODEFER: SIGBUS stays unblocked in the handler, so leaving it by siglongjmp without
    // restoring a signal mask (sigsetjmp(..., 0): no syscall per copy) leaves no signal blocked.
    action.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    sigaction(SIGBUS, &action, nullptr);
  });
}

// Whether the page cache holds [start, start + length), judged by its first and last pages.
// mincore of a range this process has not touched looks up every page in the page cache, and
// each call costs a page allocation besides: for a 1 MiB block read once, checking all 256 pages
// cost a quarter of the copy itself (perf, 2026-11-26). A block's pages are written together and
// age together in the page cache, so its ends stand for it; a page missed in between is faulted
// in by the copy, as a read would fetch it, only slower.
bool PagesResident(const uint8_t* start, size_t length) {
  if (length == 0) return true;
  const size_t page = PageBytes();
  const uintptr_t first = reinterpret_cast<uintptr_t>(start) & ~(page - 1);
  const uintptr_t last = (reinterpret_cast<uintptr_t>(start) + length - 1) & ~(page - 1);
  unsigned char resident = 0;
  if (mincore(reinterpret_cast<void*>(first), page, &resident) != 0 || (resident & 1) == 0) return false;
  return first == last || (mincore(reinterpret_cast<void*>(last), page, &resident) == 0 && (resident & 1) != 0);
}

void Finalize(Napi::Env, FileMap* map) {
  // A batch keeps the External alive, so no hold is left by now; should one be, the last
  // ReleaseFileMap frees the mapping.
  map->released = true;
  map->collected = true;
  if (map->holds == 0) delete map;
}

}  // namespace

// mapFile(fd, byteLength) -> FileMap
Napi::Value MapFile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  size_t fd = SizeArg(info, 0, "fd");
  size_t byteLength = SizeArg(info, 1, "byteLength");
  if (fd > 2147483647) {
    ThrowRange(env, "`fd` is " + FormatNumber(static_cast<double>(fd)) + ", past the largest file descriptor 2147483647");
  }
  struct stat status {};
  void* data = nullptr;
  if (fstat(static_cast<int>(fd), &status) != 0 ||
      (byteLength != 0 &&
       (data = mmap(nullptr, byteLength, PROT_READ, MAP_SHARED, static_cast<int>(fd), 0)) == MAP_FAILED)) {
    int error = errno;
    Napi::Error failure =
        Napi::Error::New(env, "could not map fd " + std::to_string(fd) + " (errno " + std::to_string(error) + ")");
    failure.Set("errno", Napi::Number::New(env, -error));
    throw failure;
  }
  InstallBusGuard();
  auto owned = std::make_unique<FileMap>();
  owned->data = static_cast<uint8_t*>(data);
  owned->length = byteLength;
  owned->device = status.st_dev;
  owned->inode = status.st_ino;
  auto external = Napi::External<FileMap>::New(env, owned.get(), Finalize);
  owned.release();  // the External's finaliser owns it now
  external.TypeTag(&kFileMapTag);
  return external;
}

// unmapFile(mapping): unmaps now, or once the last batch using it settles; repeated calls do nothing.
Napi::Value UnmapFile(const Napi::CallbackInfo& info) {
  FileMap* map = FileMapOf(info.Env(), info[0], "mapping");
  map->released = true;
  if (map->holds == 0) Unmap(map);
  return info.Env().Undefined();
}

FileMap* FileMapOf(Napi::Env env, const Napi::Value& value, const char* name, int64_t index) {
  if (!value.IsExternal() || !value.As<Napi::External<FileMap>>().CheckTypeTag(&kFileMapTag)) {
    std::string label = index < 0 ? name : std::string(name) + "[" + std::to_string(index) + "]";
    ThrowType(env, "expected a mapping from mapFile for `" + label + "`, got " + Describe(value));
  }
  return value.As<Napi::External<FileMap>>().Data();
}

void HoldFileMap(FileMap* map) { ++map->holds; }

void ReleaseFileMap(FileMap* map) {
  if (--map->holds != 0 || !map->released) return;
  if (map->collected) {
    delete map;
  } else {
    Unmap(map);
  }
}

FileMap::~FileMap() { Unmap(this); }

bool Resident(const FileMap& map, int fd, off_t position, size_t length) {
  if (map.data == nullptr || position < 0) return false;
  auto start = static_cast<size_t>(position);
  if (start > map.length || length > map.length - start) return false;
  struct stat status {};
  if (fstat(fd, &status) != 0 || status.st_dev != map.device || status.st_ino != map.inode) return false;
  if (status.st_size < 0 || start + length > static_cast<size_t>(status.st_size)) return false;
  return PagesResident(map.data + start, length);
}

bool CopyMapped(const FileMap& map, off_t position, uint8_t* dst, size_t length, uint64_t* checksum) {
  const uint8_t* src = map.data + position;
  sigjmp_buf jump;
  if (sigsetjmp(jump, 0) != 0) {
    tGuard = {nullptr, nullptr, nullptr};
    return false;
  }
  tGuard = {&jump, src, src + length};
  // The guard is armed before the copy's first access and disarmed after its last one.
  std::atomic_signal_fence(std::memory_order_seq_cst);
  if (checksum != nullptr) {
    *checksum = CopyXxh3(dst, src, length);
  } else {
    std::memcpy(dst, src, length);
  }
  std::atomic_signal_fence(std::memory_order_seq_cst);
  tGuard = {nullptr, nullptr, nullptr};
  return true;
}

}  // namespace kvtier
