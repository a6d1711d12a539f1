// Read-only mappings of files (mapFile, unmapFile), and the fused copy + XXH3-64 of a file range
// straight out of a mapping, taken only when the page cache already holds that range.
#pragma once

#include <napi.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>

namespace kvtier {

// One mapping, owned by the External that mapFile returns. Touched on the JS thread only, except
// for the bytes, which pool threads read while a batch holds the mapping.
struct FileMap {
  uint8_t* data;  // null once unmapped (or for an empty mapping)
  size_t length;
  dev_t device;  // the mapped file, so a read through another descriptor can tell it is the same file
  ino_t inode;
  int holds;      // pool batches using the mapping: it is unmapped only once none is left
  bool released;  // unmapFile was called
};

Napi::Value MapFile(const Napi::CallbackInfo& info);
Napi::Value UnmapFile(const Napi::CallbackInfo& info);

// The FileMap behind a value mapFile returned (undefined gives null); anything else throws a
// TypeError naming `name`[index].
FileMap* FileMapOf(Napi::Env env, const Napi::Value& value, const char* name, size_t index);

// A pool batch's hold on a mapping (JS thread): it stays mapped until the hold is released, even
// if unmapFile is called in between.
void HoldFileMap(FileMap* map);
void ReleaseFileMap(FileMap* map);

// Whether bytes [position, position + length) of `fd` can be copied out of `map`: it is a mapping
// of the same file and covers the range, the file holds the range, and the page cache holds all
// of it. Otherwise the caller reads the range with pread.
bool Resident(const FileMap& map, int fd, off_t position, size_t length);

// Copies `length` bytes at `position` out of `map` (held by the caller; the range found Resident)
// into `dst`, storing their XXH3-64 in `*checksum` unless it is null. Returns false if the file
// shrank under the copy (the SIGBUS is caught): the caller then reads the range.
bool CopyMapped(const FileMap& map, off_t position, uint8_t* dst, size_t length, uint64_t* checksum);

}  // namespace kvtier
