// Read-only mappings of files (mapFile, unmapFile), and the fused copy + XXH3-64 of a file range
// straight out of a mapping, taken only when the page cache holds that range (judged by its ends).
#pragma once

#include <napi.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>

namespace kvtier {

// One mapping, owned by the External that mapFile returns. Its fields change on the JS thread only,
// and only while no batch holds it (holds == 0): pool threads read `data`, `length`, `device` and
// `inode` (and the mapped bytes) while a batch holds it.
struct FileMap {
  uint8_t* data = nullptr;  // null once unmapped (or for an empty mapping)
  size_t length = 0;
  dev_t device = 0;  // the mapped file, so a read through another descriptor can tell it is the same file
  ino_t inode = 0;
  int holds = 0;           // pool batches using the mapping: it is unmapped only once none is left
  bool released = false;   // unmapFile was called (or the External was collected)
  bool collected = false;  // the External is gone: the last hold frees the FileMap itself

  FileMap() = default;
  FileMap(const FileMap&) = delete;
  FileMap& operator=(const FileMap&) = delete;
  ~FileMap();
};

Napi::Value MapFile(const Napi::CallbackInfo& info);
Napi::Value UnmapFile(const Napi::CallbackInfo& info);

// The FileMap behind a value mapFile returned; anything else throws a TypeError naming `name`
// (with `[index]` appended when index ≥ 0, as SpanOf does).
FileMap* FileMapOf(Napi::Env env, const Napi::Value& value, const char* name, int64_t index = -1);

// A pool batch's hold on a mapping (JS thread): it stays mapped until the hold is released, even
// if unmapFile is called in between.
void HoldFileMap(FileMap* map);
void ReleaseFileMap(FileMap* map);

// Whether bytes [position, position + length) of `fd` can be copied out of `map`: it is a mapping
// of the same file and covers the range, the file holds the range, and the page cache holds the
// range's first and last pages. Otherwise the caller reads the range with pread. (mincore answers
// for the page cache only to a process that owns the file or may write it; for others it reports
// every page resident, and the copy then faults pages in as a read would.)
bool Resident(const FileMap& map, int fd, off_t position, size_t length);

// Copies `length` bytes at `position` out of `map` (held by the caller; the range found Resident)
// into `dst`, storing their XXH3-64 in `*checksum` unless it is null. Returns false if the copy
// faulted on the mapping (the file shrank under it, or the device failed: the SIGBUS is caught),
// and the caller then reads the range, which reports what a read reports.
bool CopyMapped(const FileMap& map, off_t position, uint8_t* dst, size_t length, uint64_t* checksum);

}  // namespace kvtier
