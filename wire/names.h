// The names a request carries (batch, station, operator, profile and
// category ids, page file names, notes): bounded and printable where they
// enter, so that the ledger, the verdicts and every log can show and key on
// them. A name is data: nothing here ever makes it a path (file_names.h does
// that, escaped).
#pragma once

#include <grpcpp/support/status.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "scangate/v1/scangate.pb.h"

namespace scangate {

// Ids a station or a clerk chooses: batch, station, operator, profile,
// category. Keys in the ledger and folder names at the stations and the
// archive.
inline constexpr std::size_t kMaxIdBytes = 128;
// A page's file name as the client gives it (one path component on every
// common file system).
inline constexpr std::size_t kMaxFileNameBytes = 255;
// A clerk's note on a waiver.
inline constexpr std::size_t kMaxNoteBytes = 1024;
// A transaction number to look up: a barcode's whole payload, as the page
// printed it (a QR code holds at most 7,089 digits).
inline constexpr std::size_t kMaxTransactionIdBytes = 8192;

// Empty when `value` is a valid id (or empty, when `may_be_empty`): at most
// kMaxIdBytes of UTF-8 without control characters (C0, DEL, C1), line or
// paragraph separators, bidirectional overrides, or spaces at either end.
// Otherwise why not, naming `field` and the limit.
std::string IdProblem(std::string_view field, std::string_view value, bool may_be_empty = true);
// The same characters, up to kMaxFileNameBytes, spaces at the ends allowed.
std::string FileNameProblem(std::string_view field, std::string_view value);
// The same characters, up to kMaxNoteBytes, spaces allowed.
std::string NoteProblem(std::string_view field, std::string_view value);

// OK, or INVALID_ARGUMENT naming the first field out of bounds. Called where
// each request enters the server.
grpc::Status CheckNames(const v1::ScanRequest& request);
grpc::Status CheckNames(const v1::CheckPageRequest& request);
grpc::Status CheckNames(const v1::GetBatchVerdictRequest& request);

}  // namespace scangate
