// The first error protobuf's text-format parser reports, as "FILE:LINE:COL:
// message" (1-based), for the files the server loads (profiles, access).
#pragma once

#include <google/protobuf/io/tokenizer.h>

#include <string>

namespace scangate {

class FirstTextFormatError : public google::protobuf::io::ErrorCollector {
 public:
  explicit FirstTextFormatError(std::string path) : path_(std::move(path)) {}
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    if (first_.empty())
      first_ = path_ + ":" + std::to_string(line + 1) + ":" + std::to_string(column + 1) + ": " +
               message;
  }
  const std::string& first() const { return first_; }

 private:
  std::string path_;
  std::string first_;
};

}  // namespace scangate
