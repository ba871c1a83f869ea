// See pattern.h.
#include "pipeline/pattern.h"

#include <re2/re2.h>

#include <vector>

namespace scangate {

Pattern::Pattern(std::string source) : source_(std::move(source)) {
  if (source_.empty()) return;
  if (source_.size() > kMaxSourceBytes) {
    error_ = "longer than " + std::to_string(kMaxSourceBytes) + " bytes";
    return;
  }
  RE2::Options options;
  options.set_log_errors(false);  // the error is returned, not logged
  options.set_max_mem(kMaxMemoryBytes);
  auto re = std::make_shared<const re2::RE2>(source_, options);
  if (!re->ok()) {
    error_ = re->error().empty() ? std::string("RE2 cannot take it") : re->error();
    return;
  }
  re_ = std::move(re);
}

int Pattern::groups() const { return re_ ? re_->NumberOfCapturingGroups() : 0; }

bool Pattern::FullMatch(std::string_view text) const {
  if (!re_ || text.size() > kMaxTextBytes) return false;
  return re_->Match(re2::StringPiece(text.data(), text.size()), 0, text.size(), RE2::ANCHOR_BOTH,
                    nullptr, 0);
}

std::optional<std::string> Pattern::FullMatchGroup(std::string_view text, int group) const {
  if (!re_ || text.size() > kMaxTextBytes || group < 0 || group > groups()) return std::nullopt;
  std::vector<re2::StringPiece> found(std::size_t(group) + 1);
  if (!re_->Match(re2::StringPiece(text.data(), text.size()), 0, text.size(), RE2::ANCHOR_BOTH,
                  found.data(), group + 1))
    return std::nullopt;
  const re2::StringPiece& g = found[std::size_t(group)];
  if (g.data() == nullptr) return std::nullopt;
  return std::string(g.data(), g.size());
}

}  // namespace scangate
