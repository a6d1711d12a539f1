// Argument helpers shared by the native sources: turning JS byte containers into raw spans,
// and the one error shape ("expected X for `name`, got V") the TypeScript wrapper also uses.
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace kvtier {

// A raw view of the bytes behind an ArrayBuffer, TypedArray, Buffer or DataView.
struct ByteSpan {
  uint8_t* data = nullptr;
  size_t length = 0;
};

[[noreturn]] inline void ThrowType(Napi::Env env, const std::string& message) {
  throw Napi::TypeError::New(env, message);
}

[[noreturn]] inline void ThrowRange(Napi::Env env, const std::string& message) {
  throw Napi::RangeError::New(env, message);
}

inline bool IsByteContainer(const Napi::Value& value) {
  return value.IsArrayBuffer() || value.IsTypedArray() || value.IsDataView();
}

inline ByteSpan SpanOf(Napi::Env env, const Napi::Value& value, const char* name) {
  ByteSpan span;
  if (value.IsArrayBuffer()) {
    auto buffer = value.As<Napi::ArrayBuffer>();
    span.data = static_cast<uint8_t*>(buffer.Data());
    span.length = buffer.ByteLength();
  } else if (value.IsTypedArray()) {
    auto array = value.As<Napi::TypedArray>();
    auto buffer = array.ArrayBuffer();
    span.data = static_cast<uint8_t*>(buffer.Data()) + array.ByteOffset();
    span.length = array.ByteLength();
  } else if (value.IsDataView()) {
    auto view = value.As<Napi::DataView>();
    auto buffer = view.ArrayBuffer();
    span.data = static_cast<uint8_t*>(buffer.Data()) + view.ByteOffset();
    span.length = view.ByteLength();
  } else {
    ThrowType(env, std::string("expected an ArrayBuffer, TypedArray or Buffer for `") + name + "`");
  }
  if (span.data == nullptr && span.length != 0) {
    ThrowType(env, std::string("`") + name + "` is detached");
  }
  return span;
}

// A non-negative integer that fits a size_t exactly (JS numbers carry 53 bits).
inline size_t SizeOf(Napi::Env env, double value, const char* name, size_t index) {
  if (!(value >= 0) || value > 9007199254740991.0 || value != static_cast<double>(static_cast<uint64_t>(value))) {
    ThrowRange(env, std::string("expected a non-negative integer for `") + name + "` of op " + std::to_string(index) +
                        ", got " + std::to_string(value));
  }
  return static_cast<size_t>(value);
}

inline size_t SizeArg(const Napi::CallbackInfo& info, size_t position, const char* name) {
  Napi::Env env = info.Env();
  if (!info[position].IsNumber()) ThrowType(env, std::string("expected a number for `") + name + "`");
  double value = info[position].As<Napi::Number>().DoubleValue();
  if (!(value >= 0) || value > 9007199254740991.0 || value != static_cast<double>(static_cast<uint64_t>(value))) {
    ThrowRange(env, std::string("expected a non-negative integer for `") + name + "`, got " + std::to_string(value));
  }
  return static_cast<size_t>(value);
}

inline Napi::Float64Array Float64Arg(const Napi::CallbackInfo& info, size_t position, const char* name) {
  Napi::Value value = info[position];
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    ThrowType(info.Env(), std::string("expected a Float64Array for `") + name + "`");
  }
  return value.As<Napi::Float64Array>();
}

inline bool Overlaps(const uint8_t* a, size_t aLength, const uint8_t* b, size_t bLength) {
  return aLength != 0 && bLength != 0 && a < b + bLength && b < a + aLength;
}

}  // namespace kvtier
