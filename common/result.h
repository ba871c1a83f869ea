// A value, or the error that prevented it: the one shape of a result that
// can fail, from the page (Fallible) to the batch (Refusable). Errors are
// values, never thrown; "can't happen" conditions crash loudly instead.
#pragma once

#include <string>
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

// An error for a person: what failed and why, in one line that names the
// file, field or flag at fault ("profiles/a.textproto:3:5: min_dpi: ...").
struct Error {
  std::string message;
};

// A value or the Error that prevented it: the result of loading, opening and
// starting, in the server and the clients alike.
template <class T>
using Expected = Result<T, Error>;

// For what succeeds with nothing to return.
struct Ok {};
using Outcome = Result<Ok, Error>;

}  // namespace scangate
