// See profile_store.h.
#include "profile_store.h"

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <span>
#include <sstream>

#include "judge.h"
#include "wire.h"

namespace scangate {
namespace {

class CollectErrors : public google::protobuf::io::ErrorCollector {
 public:
  explicit CollectErrors(std::string path) : path_(std::move(path)) {}
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

// Semantic checks the schema cannot express. Empty when valid.
std::string Validate(const v1::Profile& p) {
  if (p.name().empty()) return "name: required";
  if (p.max_pages() != 0 && p.max_pages() < p.min_pages())
    return "max_pages: " + std::to_string(p.max_pages()) + " is below min_pages " +
           std::to_string(p.min_pages());
  if (p.min_dpi() < 0 || p.min_dpi() > 2400) return "min_dpi: must be within 0..2400";
  if (p.max_skew_degrees() < 0 || p.max_skew_degrees() > 15)
    return "max_skew_degrees: must be within 0..15";
  if (p.max_blur_sigma() < 0) return "max_blur_sigma: must not be negative";
  if (p.blank_max_ink_ratio() < 0 || p.blank_max_ink_ratio() > 1)
    return "blank_max_ink_ratio: must be within 0..1";
  try {
    std::regex check(p.barcode().payload_pattern());
  } catch (const std::regex_error& e) {
    return "barcode.payload_pattern: not a valid regular expression (" + std::string(e.what()) +
           ")";
  }
  return {};
}

std::string VersionOf(const v1::Profile& definition) {
  std::string bytes;
  definition.SerializeToString(&bytes);  // deterministic for a given message
  std::string hex = Sha256Hex(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                        bytes.size()));
  return hex.substr(0, 16);
}

LoadedProfile Builtin() {
  v1::Profile d;
  d.set_name("default");
  d.set_description("Built-in: image quality checks only, any page count");
  LoadedProfile loaded;
  Profile p = FromProto(d);
  p.version = VersionOf(d);
  loaded.profile = std::make_shared<const Profile>(std::move(p));
  loaded.definition = d;
  return loaded;
}

}  // namespace

ProfileStore::ProfileStore() { Add(Builtin()); }

bool ProfileStore::LoadFile(const std::string& path, LoadedProfile& out, std::string& error) {
  std::ifstream in(path);
  if (!in) {
    error = path + ": cannot be read";
    return false;
  }
  std::stringstream text;
  text << in.rdbuf();
  google::protobuf::TextFormat::Parser parser;
  CollectErrors errors(path);
  parser.RecordErrorsTo(&errors);
  v1::Profile definition;
  if (!parser.ParseFromString(text.str(), &definition)) {
    error = errors.first().empty() ? path + ": not a valid profile" : errors.first();
    return false;
  }
  if (std::string problem = Validate(definition); !problem.empty()) {
    error = path + ": " + problem;
    return false;
  }
  Profile p = FromProto(definition);
  p.version = VersionOf(definition);
  out.profile = std::make_shared<const Profile>(std::move(p));
  out.definition = std::move(definition);
  out.path = path;
  return true;
}

bool ProfileStore::LoadFolder(const std::string& dir, std::string& error) {
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    auto ext = entry.path().extension();
    if (entry.is_regular_file() && (ext == ".textproto" || ext == ".pbtxt"))
      files.push_back(entry.path());
  }
  if (ec) {
    error = dir + ": " + ec.message();
    return false;
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    LoadedProfile loaded;
    if (!LoadFile(file.string(), loaded, error)) return false;
    Add(std::move(loaded));
  }
  return true;
}

void ProfileStore::Add(LoadedProfile profile) {
  std::string name = profile.profile->name;
  by_name_[name] = std::move(profile);
}

std::shared_ptr<const Profile> ProfileStore::Find(const std::string& name) const {
  auto it = by_name_.find(name.empty() ? "default" : name);
  return it == by_name_.end() ? nullptr : it->second.profile;
}

std::vector<LoadedProfile> ProfileStore::List() const {
  std::vector<LoadedProfile> out;
  for (const auto& [name, p] : by_name_) out.push_back(p);
  return out;
}

}  // namespace scangate
