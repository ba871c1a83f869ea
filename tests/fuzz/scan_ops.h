// fuzz_scan's input: a compact program of Scan requests and client actions,
// byte for byte what libFuzzer mutates. Shared by the target (which reads
// it) and scangate-fuzz-seeds (which writes its seeds), so both agree.
//
// An input is a sequence of operations, each an opcode byte (taken modulo
// kOpCount, so every byte is some operation) followed by its argument bytes.
// Names, categories and pages are picked from small tables by one byte each,
// so mutations move between meaningful values; a table's last entries read
// raw bytes from the input (a length byte, then the bytes) for everything
// else. A short input is read as if padded with zeros.
//
//   kOpen        flags id profile station operator   OpenBatch (flags bit 0: resume)
//   kPage        page                                 PageContent
//   kReplace     index page                           ReplacePage
//   kDelete      index                                DeletePage
//   kSetCategory index category                       SetCategory
//   kWaive       index code note                      WaiveReason
//   kClose                                            CloseBatch
//   kEmpty                                            a ScanRequest with nothing set
//   kRaw         length bytes                         any ScanRequest, serialized
//   kWait                                             wait for the answers so far
//   kNextStream                                       end this stream; a new one follows
//   kCancel                                           the station cancels the call
//   kDrain                                            the server drains (shutdown)
//   kSwitch                                           the other of two streams
//                                                     (both open at once)
// where `page` is: source modifier name category. An index byte of 255
// means page index 4294967295.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace scangate::fuzz_scan {

enum Op : std::uint8_t {
  kOpen,
  kPage,
  kReplace,
  kDelete,
  kSetCategory,
  kWaive,
  kClose,
  kEmpty,
  kRaw,
  kWait,
  kNextStream,
  kCancel,
  kDrain,
  kSwitch,
  kOpCount
};

// Selector values (each byte is taken modulo the table's size).
// Batch ids: kIds named ones, then empty (the server makes one), then the
// raw bytes after a per-input prefix, then raw bytes alone.
constexpr std::uint8_t kIds = 4, kIdEmpty = 4, kIdRawPrefixed = 5, kIdRaw = 6, kIdChoices = 7;
// Profiles: "", the bundled ones, an unknown one, raw bytes.
constexpr const char* kProfiles[] = {"", "default", "pension-claim", "enrolment-change",
                                     "signed-page-wide", "no-such-profile"};
constexpr std::uint8_t kProfileRaw = 6, kProfileChoices = 7;
// Station and operator ids: "", two named ones, raw bytes.
constexpr std::uint8_t kPersonRaw = 3, kPersonChoices = 4;
// Categories: none, enrolment-change's, an unknown one, raw bytes.
constexpr const char* kCategories[] = {"", "summary_sheet", "identity", "evidence", "unknown"};
constexpr std::uint8_t kCategoryRaw = 5, kCategoryChoices = 6;
// File names: none, a plain one, raw bytes, one past the 255-byte limit.
constexpr std::uint8_t kNameRaw = 2, kNameTooLong = 3, kNameChoices = 4;
// Waiver notes: none, a short one, raw bytes, one past the 1024-byte limit.
constexpr std::uint8_t kNoteRaw = 2, kNoteTooLong = 3, kNoteChoices = 4;
// Page sources: the files in tests/fuzz/scan_pages (sorted by name), then raw
// bytes with a two-byte length (little endian).
// Modifiers: 0 none, 1 the first half only, 2 one byte changed (the next
// byte says where, in 256ths), 3 the first 64 bytes only.
constexpr std::uint8_t kModifiers = 4;

// Writes inputs (the seeds).
class Program {
 public:
  Program& Open(std::uint8_t id, std::uint8_t profile, std::uint8_t station = 1,
                std::uint8_t op = 1, bool resume = false) {
    return Bytes({kOpen, std::uint8_t(resume ? 1 : 0), id, profile, station, op});
  }
  // A page from the table, unmodified, unnamed, with the clerk's category.
  Program& Page(std::uint8_t source, std::uint8_t category = 0) {
    return Bytes({kPage, source, 0, 1, category});
  }
  Program& Replace(std::uint8_t index, std::uint8_t source) {
    return Bytes({kReplace, index, source, 0, 1, 0});
  }
  Program& Delete(std::uint8_t index) { return Bytes({kDelete, index}); }
  Program& SetCategory(std::uint8_t index, std::uint8_t category) {
    return Bytes({kSetCategory, index, category});
  }
  Program& Waive(std::uint8_t index, std::uint8_t code) {
    return Bytes({kWaive, index, code, 1});
  }
  Program& Close() { return Bytes({kClose}); }
  Program& Wait() { return Bytes({kWait}); }
  Program& NextStream() { return Bytes({kNextStream}); }
  Program& Cancel() { return Bytes({kCancel}); }
  Program& Drain() { return Bytes({kDrain}); }
  Program& Switch() { return Bytes({kSwitch}); }
  Program& Empty() { return Bytes({kEmpty}); }
  Program& Raw(std::string_view serialized) {
    bytes_.push_back(char(kRaw));
    bytes_.push_back(char(serialized.size()));
    bytes_.append(serialized.substr(0, 255));
    return *this;
  }
  Program& Bytes(std::initializer_list<std::uint8_t> bytes) {
    for (std::uint8_t b : bytes) bytes_.push_back(char(b));
    return *this;
  }
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

}  // namespace scangate::fuzz_scan
