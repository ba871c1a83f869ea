// The live dashboard a branch without Grafana watches on a wall screen: one
// self-contained HTML page (no external assets: the counter network has no
// internet) that polls a small JSON document built from the same metrics
// /metrics exports, plus the recent history only the server keeps.
#pragma once

#include <string>
#include <string_view>

namespace scangate {

class ServerMetrics;

struct DashboardOptions {
  // The reference the throughput is shown against: what the branch's
  // scanners produce together when every station scans.
  int stations = 1;
  double scanner_pages_per_minute = 140;
  // The latency a page's verdict should keep (the counter's target): the
  // dashboard shows latency green within it, amber up to twice it, red
  // beyond.
  double latency_target_seconds = 0.25;
};

// The page served at /dashboard (embedded in the binary at build time).
std::string_view DashboardPage();

// The document served at /dashboard/data: the metrics as collected now, and
// the recent history.
std::string DashboardJson(ServerMetrics& metrics, const DashboardOptions& options);

}  // namespace scangate
