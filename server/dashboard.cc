// See dashboard.h.
#include "server/dashboard.h"

#include <cmath>
#include <cstdio>
#include <map>
#include <optional>

#include "dashboard_page.h"  // generated from dashboard.html
#include "server/metrics.h"

namespace scangate {
namespace {

std::string JsonNumber(std::optional<double> value) {
  if (!value || !std::isfinite(*value)) return "null";
  char text[32];
  std::snprintf(text, sizeof text, "%.10g", *value);
  return text;
}

// Keys here are label values and names from fixed sets of plain
// identifiers, so nothing needs escaping.
class JsonObject {
 public:
  JsonObject& Number(const std::string& key, std::optional<double> value) {
    return Raw(key, JsonNumber(value));
  }
  JsonObject& Bool(const char* key, bool value) { return Raw(key, value ? "true" : "false"); }
  JsonObject& Raw(const std::string& key, const std::string& json) {
    out_ += out_.empty() ? "{" : ",";
    out_ += "\"" + key + "\":" + json;
    return *this;
  }
  std::string Done() const { return out_.empty() ? "{}" : out_ + "}"; }

 private:
  std::string out_;
};

double ValueOf(const prometheus::MetricFamily& family, const prometheus::ClientMetric& metric) {
  switch (family.type) {
    case prometheus::MetricType::Counter: return metric.counter.value;
    case prometheus::MetricType::Gauge: return metric.gauge.value;
    default: return 0;
  }
}

const prometheus::MetricFamily* Find(const std::vector<prometheus::MetricFamily>& families,
                                     const std::string& name) {
  for (const auto& f : families)
    if (f.name == name) return &f;
  return nullptr;
}

// A one-label family as {"label value": value, ...}; a family without
// labels as its value.
std::string ByLabel(const std::vector<prometheus::MetricFamily>& families,
                    const std::string& name) {
  JsonObject out;
  const prometheus::MetricFamily* family = Find(families, name);
  if (!family) return "{}";
  for (const auto& metric : family->metric)
    out.Number(metric.label.empty() ? "value" : metric.label[0].value, ValueOf(*family, metric));
  return out.Done();
}

double Single(const std::vector<prometheus::MetricFamily>& families, const std::string& name) {
  const prometheus::MetricFamily* family = Find(families, name);
  return family && !family->metric.empty() ? ValueOf(*family, family->metric[0]) : 0;
}

std::string QuantilesJson(const RecentPages::Quantiles& q, double window_seconds) {
  return JsonObject()
      .Number("window_seconds", window_seconds)
      .Number("count", double(q.count))
      .Number("p50", q.p50)
      .Number("p95", q.p95)
      .Number("p99", q.p99)
      .Done();
}

}  // namespace

std::string_view DashboardPage() { return kDashboardPage; }

std::string DashboardJson(ServerMetrics& metrics, const DashboardOptions& options) {
  const std::vector<prometheus::MetricFamily> families = metrics.Collect();
  const RecentPages::Summary recent = metrics.recent().Summarize();
  std::string history = "[";
  for (const auto& value : recent.history) {
    if (history.size() > 1) history += ",";
    history += JsonNumber(value);
  }
  history += "]";

  JsonObject recent_rejects;
  for (int code = 1; code < RecentPages::kReasonCodes; ++code)
    if (recent.rejects_by_reason[code] > 0)
      recent_rejects.Number(ReasonLabel(code), double(recent.rejects_by_reason[code]));

  return JsonObject()
      .Bool("serving", Single(families, "scangate_serving") > 0)
      .Raw("state", std::string("\"") + ServingStateName(metrics.state()) + "\"")
      .Number("uptime_seconds", recent.uptime_seconds)
      .Raw("line_rate",
           JsonObject()
               .Number("stations", options.stations)
               .Number("pages_per_minute_per_station", options.scanner_pages_per_minute)
               .Number("pages_per_minute", options.stations * options.scanner_pages_per_minute)
               .Done())
      .Number("latency_target_seconds", options.latency_target_seconds)
      .Number("pages_per_minute", recent.pages_per_minute)
      .Raw("history", JsonObject()
                          .Number("slot_seconds", RecentPages::kSlotSeconds)
                          .Raw("pages_per_minute", history)
                          .Done())
      .Raw("pages", ByLabel(families, "scangate_pages_total"))
      .Raw("batches", ByLabel(families, "scangate_batches_total"))
      .Raw("page_rejects", ByLabel(families, "scangate_page_rejects_total"))
      .Raw("batch_rejects", ByLabel(families, "scangate_batch_rejects_total"))
      .Raw("decode_errors", ByLabel(families, "scangate_decode_errors_total"))
      .Raw("recent", JsonObject()
                         .Number("window_seconds", recent.window_seconds)
                         .Number("judged", double(recent.judged))
                         .Number("rejected", double(recent.rejected))
                         .Raw("page_rejects", recent_rejects.Done())
                         .Done())
      .Raw("latency_seconds", QuantilesJson(recent.latency, recent.quantile_window_seconds))
      .Raw("engine_wait_seconds", QuantilesJson(recent.engine_wait, recent.quantile_window_seconds))
      .Number("open_streams", Single(families, "scangate_open_streams"))
      .Number("pages_in_flight", Single(families, "scangate_pages_in_flight"))
      .Number("received_bytes", Single(families, "scangate_received_bytes_total"))
      .Done();
}

}  // namespace scangate
