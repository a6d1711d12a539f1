// Argument helpers shared by the native sources: turning JS byte containers into raw spans,
// and the one error shape ("expected X for `name`, got V") that src/native-reference.ts mirrors
// word for word, so tests can compare the two implementations' messages exactly.
#pragma once

#include <napi.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

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

// A double exactly as JavaScript's String(number) renders it (shortest round-trip digits, the
// same switch between plain and exponent notation), so native and reference messages agree.
inline std::string FormatNumber(double value) {
  if (std::isnan(value)) return "NaN";
  if (value == 0) return "0";
  if (std::isinf(value)) return value < 0 ? "-Infinity" : "Infinity";
  std::string sign = value < 0 ? "-" : "";
  value = std::fabs(value);
  char text[40];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(text, sizeof text, "%.*e", precision - 1, value);
    if (std::strtod(text, nullptr) == value) break;
  }
  // text is "d[.ddd]e±x": split it into its significant digits and decimal exponent.
  std::string digits;
  const char* p = text;
  for (; *p != 'e'; ++p) {
    if (*p != '.') digits += *p;
  }
  int n = std::atoi(p + 1) + 1;  // position of the decimal point relative to the digits
  int k = static_cast<int>(digits.size());
  if (k <= n && n <= 21) return sign + digits + std::string(n - k, '0');
  if (0 < n && n <= 21) return sign + digits.substr(0, n) + "." + digits.substr(n);
  if (-6 < n && n <= 0) return sign + "0." + std::string(-n, '0') + digits;
  std::string mantissa = k == 1 ? digits : digits.substr(0, 1) + "." + digits.substr(1);
  int exponent = n - 1;
  return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + std::to_string(std::abs(exponent));
}

inline const char* TypedArrayName(napi_typedarray_type type) {
  switch (type) {
    case napi_int8_array: return "Int8Array";
    case napi_uint8_array: return "Uint8Array";
    case napi_uint8_clamped_array: return "Uint8ClampedArray";
    case napi_int16_array: return "Int16Array";
    case napi_uint16_array: return "Uint16Array";
    case napi_int32_array: return "Int32Array";
    case napi_uint32_array: return "Uint32Array";
    case napi_float32_array: return "Float32Array";
    case napi_float64_array: return "Float64Array";
    case napi_bigint64_array: return "BigInt64Array";
    case napi_biguint64_array: return "BigUint64Array";
    default: return "TypedArray";
  }
}

// The "got V" part of a message. Never calls into user JS (no getters, no toString), so
// describing a hostile object cannot throw something else than the error being built.
inline std::string Describe(const Napi::Value& value) {
  switch (value.Type()) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return value.As<Napi::Boolean>().Value() ? "true" : "false";
    case napi_number: return FormatNumber(value.As<Napi::Number>().DoubleValue());
    case napi_string: return "a string";
    case napi_symbol: return "a symbol";
    case napi_bigint: return "a bigint";
    case napi_function: return "a function";
    default: break;
  }
  if (value.IsArrayBuffer()) {
    return "an ArrayBuffer of " + std::to_string(value.As<Napi::ArrayBuffer>().ByteLength()) + " bytes";
  }
  if (value.IsTypedArray()) {
    auto array = value.As<Napi::TypedArray>();
    std::string name = TypedArrayName(array.TypedArrayType());
    const char* article = name[0] == 'I' ? "an " : "a ";  // "an Int8Array", "a Uint8Array"
    return article + name + " of " + std::to_string(array.ByteLength()) + " bytes";
  }
  if (value.IsDataView()) return "a DataView of " + std::to_string(value.As<Napi::DataView>().ByteLength()) + " bytes";
  if (value.IsArray()) return "an array of " + std::to_string(value.As<Napi::Array>().Length());
  return "an object";
}

inline size_t ElementBytes(napi_typedarray_type type) {
  switch (type) {
    case napi_int8_array:
    case napi_uint8_array:
    case napi_uint8_clamped_array: return 1;
    case napi_int16_array:
    case napi_uint16_array: return 2;
    case napi_int32_array:
    case napi_uint32_array:
    case napi_float32_array: return 4;
    default: return 8;  // float64, bigint64, biguint64
  }
}

// Raw node-api calls, one query per container kind: this runs for every buffer of every batch,
// and the C++ wrappers would ask the engine for the same information several times.
// `name` (with `[index]` appended when index ≥ 0) is only turned into a string for an error.
inline ByteSpan SpanOf(Napi::Env env, const Napi::Value& value, const char* name, int64_t index = -1) {
  ByteSpan span;
  void* data = nullptr;
  bool is = false;
  if (napi_is_arraybuffer(env, value, &is) == napi_ok && is) {
    NAPI_THROW_IF_FAILED(env, napi_get_arraybuffer_info(env, value, &data, &span.length), ByteSpan());
  } else if (napi_is_typedarray(env, value, &is) == napi_ok && is) {
    napi_typedarray_type type;
    size_t elements = 0;
    // The data pointer already includes the view's byte offset.
    NAPI_THROW_IF_FAILED(env, napi_get_typedarray_info(env, value, &type, &elements, &data, nullptr, nullptr),
                         ByteSpan());
    span.length = elements * ElementBytes(type);
  } else if (napi_is_dataview(env, value, &is) == napi_ok && is) {
    NAPI_THROW_IF_FAILED(env, napi_get_dataview_info(env, value, &span.length, &data, nullptr, nullptr), ByteSpan());
  } else {
    std::string label = index < 0 ? name : std::string(name) + "[" + std::to_string(index) + "]";
    ThrowType(env, "expected an ArrayBuffer, TypedArray or DataView for `" + label + "`, got " + Describe(value));
  }
  span.data = static_cast<uint8_t*>(data);
  // A detached buffer reads as empty (null data, length 0): any non-empty range on it fails the
  // bounds check, and empty ranges never dereference the pointer.
  if (span.data == nullptr) span.length = 0;
  return span;
}

// A non-negative integer that a JS number carries exactly (≤ Number.MAX_SAFE_INTEGER).
// (The cast is exact in that range; it is also far cheaper than std::floor, which without
// SSE4.1 is a libm call, in the per-op parsing loop.)
inline bool IsSize(double value) {
  return value >= 0 && value <= 9007199254740991.0 && static_cast<double>(static_cast<uint64_t>(value)) == value;
}

// `label` names the argument in backticks plus any position, e.g. "`srcOffset` of op 3".
[[noreturn]] inline void ThrowNotSize(Napi::Env env, const std::string& label, double value) {
  ThrowRange(env, "expected a non-negative integer for " + label + ", got " + FormatNumber(value));
}

inline size_t SizeArg(const Napi::CallbackInfo& info, size_t position, const char* name) {
  Napi::Env env = info.Env();
  Napi::Value arg = info[position];
  if (!arg.IsNumber()) ThrowType(env, std::string("expected a number for `") + name + "`, got " + Describe(arg));
  double value = arg.As<Napi::Number>().DoubleValue();
  if (!IsSize(value)) ThrowNotSize(env, std::string("`") + name + "`", value);
  return static_cast<size_t>(value);
}

// The numbers of a Float64Array argument, from a single node-api query.
struct DoubleSpan {
  const double* data = nullptr;
  size_t length = 0;
};

inline DoubleSpan Float64Arg(const Napi::CallbackInfo& info, size_t position, const char* name) {
  Napi::Env env = info.Env();
  Napi::Value value = info[position];
  bool is = false;
  napi_typedarray_type type = napi_int8_array;
  DoubleSpan span;
  void* data = nullptr;
  if (napi_is_typedarray(env, value, &is) != napi_ok || !is ||
      napi_get_typedarray_info(env, value, &type, &span.length, &data, nullptr, nullptr) != napi_ok ||
      type != napi_float64_array) {
    ThrowType(env, std::string("expected a Float64Array for `") + name + "`, got " + Describe(value));
  }
  span.data = static_cast<const double*>(data);
  return span;
}

inline bool Overlaps(const uint8_t* a, size_t aLength, const uint8_t* b, size_t bLength) {
  return aLength != 0 && bLength != 0 && a < b + bLength && b < a + aLength;
}

}  // namespace kvtier
