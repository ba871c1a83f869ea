// A value, or the error that prevented it: the one shape of a result that
// can fail, from the page (Fallible) to the batch (Refusable). Errors are
// values, never thrown; "can't happen" conditions crash loudly instead.
#pragma once

#include <utility>
#include <variant>

namespace scangate {

template <class T, class Error>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT
  bool ok() const { return v_.index() == 0; }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

}  // namespace scangate
