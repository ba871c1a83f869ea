// See names.h. The problems never quote the value: it is untrusted and may
// be long; its field, its size and the offending byte's offset say enough.
#include "wire/names.h"

#include <cstdint>
#include <optional>

namespace scangate {
namespace {

// The code point starting at `at` (moving `at` past it); nullopt for bytes
// that are not UTF-8 (overlong forms and surrogates included).
std::optional<char32_t> NextCodePoint(std::string_view s, std::size_t& at) {
  const auto byte = [&](std::size_t i) { return std::uint8_t(s[i]); };
  const std::uint8_t lead = byte(at);
  std::size_t length;
  char32_t cp, min;
  if (lead < 0x80) {
    ++at;
    return lead;
  } else if ((lead & 0xE0) == 0xC0) {
    length = 2, cp = lead & 0x1F, min = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, cp = lead & 0x0F, min = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, cp = lead & 0x07, min = 0x10000;
  } else {
    return std::nullopt;
  }
  if (s.size() - at < length) return std::nullopt;
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(at + i) & 0xC0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (byte(at + i) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
  at += length;
  return cp;
}

// Characters that would let a name rewrite the line or the text it is shown
// in: controls, line and paragraph separators, bidirectional marks and overrides.
bool Unprintable(char32_t c) {
  return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0x2028 || c == 0x2029 || c == 0x061C ||
         c == 0x200E || c == 0x200F || (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

std::string Problem(std::string_view field, std::string_view value, std::size_t max_bytes,
                    bool may_be_empty, bool trimmed) {
  const std::string name(field);
  if (value.empty())
    return may_be_empty
               ? ""
               : name + ": must not be empty (1 to " + std::to_string(max_bytes) + " bytes)";
  if (value.size() > max_bytes)
    return name + ": " + std::to_string(value.size()) + " bytes, over the limit of " +
           std::to_string(max_bytes) + " bytes";
  if (trimmed && (value.front() == ' ' || value.back() == ' '))
    return name + ": starts or ends with a space";
  for (std::size_t at = 0; at < value.size();) {
    const std::size_t start = at;
    const std::optional<char32_t> c = NextCodePoint(value, at);
    if (!c) return name + ": not UTF-8 at byte " + std::to_string(start);
    if (Unprintable(*c))
      return name + ": a control or formatting character at byte " + std::to_string(start) +
             " (printable text only)";
  }
  return "";
}

grpc::Status Invalid(const std::string& problem) {
  return problem.empty() ? grpc::Status::OK
                         : grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, problem);
}

std::string PageProblem(std::string_view prefix, const v1::PageContent& page) {
  std::string problem = FileNameProblem(std::string(prefix) + "file_name", page.file_name());
  if (problem.empty()) problem = IdProblem(std::string(prefix) + "category", page.category());
  return problem;
}

}  // namespace

std::string IdProblem(std::string_view field, std::string_view value, bool may_be_empty) {
  return Problem(field, value, kMaxIdBytes, may_be_empty, true);
}

std::string FileNameProblem(std::string_view field, std::string_view value) {
  return Problem(field, value, kMaxFileNameBytes, true, false);
}

std::string NoteProblem(std::string_view field, std::string_view value) {
  return Problem(field, value, kMaxNoteBytes, true, false);
}

grpc::Status CheckNames(const v1::ScanRequest& request) {
  std::string problem;
  switch (request.kind_case()) {
    case v1::ScanRequest::kOpen: {
      const v1::OpenBatch& open = request.open();
      for (auto [field, value] : {std::pair{"open.batch_id", &open.batch_id()},
                                  {"open.profile", &open.profile()},
                                  {"open.station_id", &open.station_id()},
                                  {"open.operator_id", &open.operator_id()}})
        if (problem.empty()) problem = IdProblem(field, *value);
      break;
    }
    case v1::ScanRequest::kPage:
      problem = PageProblem("page.", request.page());
      break;
    case v1::ScanRequest::kReplace:
      problem = PageProblem("replace.page.", request.replace().page());
      break;
    case v1::ScanRequest::kSetCategory:
      problem = IdProblem("set_category.category", request.set_category().category());
      break;
    case v1::ScanRequest::kWaiveReason:
      problem = NoteProblem("waive_reason.note", request.waive_reason().note());
      break;
    case v1::ScanRequest::kClose:
    case v1::ScanRequest::kDelete:
    case v1::ScanRequest::KIND_NOT_SET:
      break;
  }
  return Invalid(problem);
}

grpc::Status CheckNames(const v1::CheckPageRequest& request) {
  std::string problem = IdProblem("profile", request.profile());
  if (problem.empty()) problem = PageProblem("page.", request.page());
  return Invalid(problem);
}

grpc::Status CheckNames(const v1::GetBatchVerdictRequest& request) {
  if (grpc::Status bad = Invalid(IdProblem("station_id", request.station_id())); !bad.ok())
    return bad;
  switch (request.key_case()) {
    case v1::GetBatchVerdictRequest::kBatchId:
      return Invalid(IdProblem("batch_id", request.batch_id(), false));
    case v1::GetBatchVerdictRequest::kTransactionId: {
      // A barcode's payload as the page printed it: any text, bounded.
      const std::string& id = request.transaction_id();
      if (id.empty())
        return Invalid("transaction_id: must not be empty (1 to " +
                       std::to_string(kMaxTransactionIdBytes) + " bytes)");
      if (id.size() > kMaxTransactionIdBytes)
        return Invalid("transaction_id: " + std::to_string(id.size()) +
                       " bytes, over the limit of " + std::to_string(kMaxTransactionIdBytes) +
                       " bytes");
      return grpc::Status::OK;
    }
    case v1::GetBatchVerdictRequest::KEY_NOT_SET:
      return Invalid("give a batch_id or a transaction_id");
  }
  return grpc::Status::OK;
}

}  // namespace scangate
