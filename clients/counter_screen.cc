// See counter_screen.h.
#include "clients/counter_screen.h"

#include <CivetServer.h>
#include <arpa/inet.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <span>

#include "counter_screen_page.h"
#include "pipeline/decode/decode.h"

namespace scangate::cli {
namespace {

// --- JSON ---------------------------------------------------------------------

// A JSON string of untrusted text: quotes, backslashes and control
// characters escaped, '<', '>' and '&' too (the JSON can never close a tag
// or start one wherever it lands), bytes that are not UTF-8 replaced by
// U+FFFD.
void JsonString(std::string& out, const std::string& s) {
  out += '"';
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  for (std::size_t i = 0; i < n;) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          if (c < 0x20 || c == 0x7f || c == '<' || c == '>' || c == '&') {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
          } else {
            out += char(c);
          }
      }
      ++i;
      continue;
    }
    // A whole, shortest-form UTF-8 sequence is copied; anything else is U+FFFD.
    std::size_t len = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
    bool ok = len > 0 && i + len <= n;
    for (std::size_t k = 1; ok && k < len; ++k) ok = (p[i + k] & 0xc0) == 0x80;
    if (ok && len == 3) {
      ok = !(c == 0xe0 && p[i + 1] < 0xa0) && !(c == 0xed && p[i + 1] >= 0xa0);  // overlong, surrogates
      // Bidirectional overrides and isolates (U+202A-E, U+2066-9) could
      // reorder what the clerk reads: the character is shown as one U+FFFD.
      if (ok && c == 0xe2 && ((p[i + 1] == 0x80 && p[i + 2] >= 0xaa && p[i + 2] <= 0xae) ||
                              (p[i + 1] == 0x81 && p[i + 2] >= 0xa6 && p[i + 2] <= 0xa9))) {
        out += "\\ufffd";
        i += len;
        continue;
      }
    }
    if (ok && len == 4) ok = !(c == 0xf0 && p[i + 1] < 0x90) && !(c == 0xf4 && p[i + 1] >= 0x90);
    if (ok) {
      out.append(s, i, len);
      i += len;
    } else {
      out += "\\ufffd";
      ++i;
    }
  }
  out += '"';
}

void JsonNumber(std::string& out, double v) {
  if (!std::isfinite(v)) v = 0;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  out += buf;
}

// Writes `"key":` then the value through the helpers below.
class Json {
 public:
  explicit Json(std::string& out) : out_(out) {}
  Json& Key(const char* key) {
    Comma();
    out_ += '"';
    out_ += key;
    out_ += "\":";
    fresh_ = true;
    return *this;
  }
  Json& Str(const std::string& v) { return Value([&] { JsonString(out_, v); }); }
  Json& Num(double v) { return Value([&] { JsonNumber(out_, v); }); }
  Json& Int(long long v) { return Value([&] { out_ += std::to_string(v); }); }
  Json& Bool(bool v) { return Value([&] { out_ += v ? "true" : "false"; }); }
  Json& Null() { return Value([&] { out_ += "null"; }); }
  Json& Open(char bracket) {
    Comma();
    out_ += bracket;
    fresh_ = true;
    return *this;
  }
  Json& Close(char bracket) {
    out_ += bracket;
    fresh_ = false;
    return *this;
  }

 private:
  template <typename F>
  Json& Value(F write) {
    Comma();
    write();
    fresh_ = false;
    return *this;
  }
  void Comma() {
    if (!fresh_) out_ += ',';
    fresh_ = false;
  }
  std::string& out_;
  bool fresh_ = true;
};

void Reasons(Json& j, const google::protobuf::RepeatedPtrField<v1::Reason>& reasons) {
  j.Open('[');
  for (const v1::Reason& r : reasons) {
    j.Open('{');
    j.Key("code").Str(v1::ReasonCode_Name(r.code()));
    j.Key("detail").Str(r.detail());
    j.Key("zone").Str(r.zone());
    if (r.has_page()) j.Key("page").Int(r.page());
    j.Key("waived").Bool(!r.waived_by().empty());
    j.Close('}');
  }
  j.Close(']');
}

bool HasReason(const v1::PageVerdict& p, std::initializer_list<v1::ReasonCode> codes) {
  for (const v1::Reason& r : p.reasons())
    if (r.waived_by().empty() && std::find(codes.begin(), codes.end(), r.code()) != codes.end())
      return true;
  return false;
}

// One outlined zone: kind, name, passed or failed, its corners in page pixels.
template <typename Positions>
void Zone(Json& j, const char* kind, const std::string& name, bool ok, const Positions& position) {
  if (position.size() != 8) return;
  j.Open('{');
  j.Key("kind").Str(kind);
  j.Key("name").Str(name);
  j.Key("ok").Bool(ok);
  j.Key("pts").Open('[');
  for (int c : position) j.Int(c);
  j.Close(']');
  j.Close('}');
}

// Every zone the verdict places on the page. A barcode fails where it is
// unreadable, or where the page's barcode reason is about it.
void Zones(Json& j, const v1::PageVerdict& p) {
  j.Open('[');
  for (const v1::FieldMeasurement& f : p.fields()) Zone(j, "field", f.name(), f.filled(), f.position());
  for (const v1::SignatureMeasurement& s : p.signatures()) {
    // A profile's page-wide signature has no box: the whole page is its zone.
    const int w = int(p.width_px()), h = int(p.height_px());
    if (s.position().empty() && s.zone() == "page" && w > 0 && h > 0)
      Zone(j, "signature", s.zone(), s.present(), std::vector<int>{0, 0, w, 0, w, h, 0, h});
    else
      Zone(j, "signature", s.zone(), s.present(), s.position());
  }
  for (const v1::SealMeasurement& s : p.seals()) Zone(j, "seal", s.zone(), s.present(), s.position());
  const bool quality = HasReason(p, {v1::BARCODE_QUALITY});
  const bool absent = HasReason(p, {v1::BARCODE_PAYLOAD, v1::BARCODE_UNREADABLE});
  for (const v1::BarcodeMeasurement& b : p.barcodes()) {
    const bool transaction = !b.text().empty() && b.text() == p.transaction_id();
    const bool ok = !b.unreadable() && !(quality && transaction) && !(absent && !transaction);
    std::string name = b.unreadable() ? std::string("unreadable bars") : b.format() + " " + b.text();
    if (name.size() > 80) name = name.substr(0, 77) + "...";
    Zone(j, "barcode", name, ok, b.position());
  }
  j.Close(']');
}

const char* DecisionName(v1::Decision d) {
  return d == v1::ACCEPT ? "ACCEPT" : d == v1::REJECT ? "REJECT" : "PENDING";
}

// --- the HTTP side -------------------------------------------------------------

void Respond(mg_connection* conn, int status, const char* type, const std::string& body,
             const char* cache = "no-store") {
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\n"
            "Content-Type: %s\r\n"
            "Content-Length: %zu\r\n"
            "Cache-Control: %s\r\n"
            "X-Content-Type-Options: nosniff\r\n"
            // Nothing but the page's own inline script and style, its own
            // JSON and thumbnails: no page ever loads anything from elsewhere.
            "Content-Security-Policy: default-src 'none'; script-src 'unsafe-inline'; "
            "style-src 'unsafe-inline'; img-src 'self'; connect-src 'self'\r\n"
            "Connection: close\r\n\r\n",
            status, status == 200 ? "OK" : "Not Found", type, body.size(), cache);
  mg_write(conn, body.data(), body.size());
}

}  // namespace

Thumbnail MakeThumbnail(const std::string& bytes, std::uint32_t frame) {
  try {
    const std::span<const std::uint8_t> span(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                             bytes.size());
    // The server's own limits, checked from the header before any pixel:
    // a file the server would refuse gets a placeholder, never a huge allocation.
    Fallible<ImageProbe> probe = ProbeImage(span, DecodeLimits{});
    if (!probe.ok() || frame >= probe.value().frames.size()) return {};
    const FrameInfo& info = probe.value().frames[frame];
    const std::uint32_t long_side = std::max(info.width, info.height);
    cv::Mat image;
    if (probe.value().format == ImageFormat::kJpeg && frame == 0) {
      // libjpeg scales while decoding: a 300-dpi A4 page costs a fraction
      // of a full decode. EXIF orientation is ignored, as the server ignores it:
      // the zones' pixels are in the file's own frame.
      int flag = cv::IMREAD_COLOR;
      if (long_side >= 8u * kThumbnailLongSide) flag = cv::IMREAD_REDUCED_COLOR_8;
      else if (long_side >= 4u * kThumbnailLongSide) flag = cv::IMREAD_REDUCED_COLOR_4;
      else if (long_side >= 2u * kThumbnailLongSide) flag = cv::IMREAD_REDUCED_COLOR_2;
      const cv::Mat buffer(1, int(bytes.size()), CV_8U, const_cast<char*>(bytes.data()));
      image = cv::imdecode(buffer, flag | cv::IMREAD_IGNORE_ORIENTATION);
    }
    if (image.empty()) {
      Fallible<PageImage> page = DecodeFrame(span, probe.value(), frame);
      if (!page.ok()) return {};
      image = page.value().color.empty() ? page.value().gray : page.value().color;
    }
    if (image.empty()) return {};
    const double scale = double(kThumbnailLongSide) / std::max(image.cols, image.rows);
    if (scale < 1) cv::resize(image, image, cv::Size(), scale, scale, cv::INTER_AREA);
    std::vector<uchar> jpeg;
    if (!cv::imencode(".jpg", image, jpeg, {cv::IMWRITE_JPEG_QUALITY, 80})) return {};
    Thumbnail t;
    t.jpeg.assign(jpeg.begin(), jpeg.end());
    t.width = image.cols;
    t.height = image.rows;
    return t;
  } catch (...) {  // cv::Exception, bad_alloc: the screen shows a placeholder
    return {};
  }
}

Expected<ScreenAddress> ParseScreenAddress(const std::string& value) {
  std::string host = "127.0.0.1", port = value;
  if (const auto colon = value.rfind(':'); colon != std::string::npos) {
    host = value.substr(0, colon);
    port = value.substr(colon + 1);
  }
  if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), ::isdigit) ||
      std::stoi(port) > 65535)
    return Error{"--screen " + value + ": give IP:PORT (e.g. 127.0.0.1:8080)"};
  if (host == "localhost") host = "127.0.0.1";
  const bool v6 = host.size() > 2 && host.front() == '[' && host.back() == ']';
  const std::string bare = v6 ? host.substr(1, host.size() - 2) : host;
  unsigned char buf[16];
  if (v6 ? inet_pton(AF_INET6, bare.c_str(), buf) != 1 : inet_pton(AF_INET, bare.c_str(), buf) != 1)
    return Error{"--screen " + value +
                 ": the host must be an IP address (127.0.0.1, [::1]) or localhost"};
  if (bare == "0.0.0.0" || bare == "::")
    return Error{"--screen " + value +
                 ": every interface is refused: the screen shows page images without access "
                 "control; name the one address the clerk's monitor reaches (127.0.0.1 on the "
                 "station itself)"};
  ScreenAddress parsed;
  parsed.loopback = v6 ? bare == "::1" : buf[0] == 127;
  parsed.address = host + ":" + port;
  return parsed;
}

class CounterScreen::Handler : public CivetHandler {
 public:
  using Serve = std::function<void(mg_connection*, const std::string& uri)>;
  explicit Handler(Serve serve) : serve_(std::move(serve)) {}
  bool handleGet(CivetServer*, mg_connection* conn) override {
    const mg_request_info* info = mg_get_request_info(conn);
    // Nothing a request meets may end the station (an exception leaving
    // civetweb's thread would): the screen answers 500 and goes on.
    try {
      serve_(conn, info && info->local_uri ? info->local_uri : "");
    } catch (...) {
      mg_printf(conn, "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n"
                      "Connection: close\r\n\r\n");
    }
    return true;
  }

 private:
  Serve serve_;
};

CounterScreen::CounterScreen(std::string station, std::string folder, std::string profile)
    : station_(std::move(station)), folder_(std::move(folder)), profile_(std::move(profile)) {}

CounterScreen::~CounterScreen() = default;

Outcome CounterScreen::Start(const std::string& address) {
  handlers_.push_back(std::make_unique<Handler>([](mg_connection* conn, const std::string&) {
    Respond(conn, 200, "text/html; charset=utf-8", std::string(kCounterScreenPage));
  }));
  handlers_.push_back(std::make_unique<Handler>([this](mg_connection* conn, const std::string&) {
    Respond(conn, 200, "application/json", StateJson());
  }));
  handlers_.push_back(std::make_unique<Handler>([this](mg_connection* conn, const std::string& uri) {
    // /thumb/N.jpg: thumbnails never change under a number.
    std::uint64_t number = 0;
    std::shared_ptr<const std::string> jpeg;
    if (std::sscanf(uri.c_str(), "/thumb/%lu.jpg", &number) == 1) jpeg = ThumbnailBytes(number);
    if (jpeg)
      Respond(conn, 200, "image/jpeg", *jpeg, "private, max-age=86400, immutable");
    else
      Respond(conn, 404, "text/plain", "no such thumbnail\n");
  }));
  // A few screens at most: threads for them and for a browser's parallel
  // image requests; a short request time frees a thread held by a
  // connection that sends nothing.
  auto listener = HttpListener::Start(address, 8, 3000, "the counter screen");
  if (!listener.ok()) return listener.error();
  listener_ = std::move(listener.value());
  listener_->Handle("/$", *handlers_[0]);
  listener_->Handle("/state.json$", *handlers_[1]);
  listener_->Handle("/thumb/", *handlers_[2]);
  return Ok{};
}

CounterScreen::Batch& CounterScreen::Find(const std::string& id) {
  for (Batch& b : batches_)
    if (b.id == id) return b;
  batches_.push_front({});
  batches_.front().id = id;
  Bound();
  return batches_.front();
}

// The last kScreenBatches batches (an open one is never dropped), and at
// most kScreenThumbnailBytes of thumbnails, the oldest batches' going first.
void CounterScreen::Bound() {
  while (batches_.size() > kScreenBatches) {
    auto old = std::find_if(batches_.rbegin(), batches_.rend(),
                            [](const Batch& b) { return b.state != "open"; });
    if (old == batches_.rend()) break;
    batches_.erase(std::next(old).base());
  }
  std::size_t bytes = 0;
  for (Batch& b : batches_)
    for (Page& p : b.pages) {
      if (p.jpeg && bytes + p.jpeg->size() > kScreenThumbnailBytes) {
        p.jpeg.reset();
        p.thumb = 0;
      }
      if (p.jpeg) bytes += p.jpeg->size();
    }
}

void CounterScreen::BatchOpened(const std::string& id, const std::string& transaction) {
  std::lock_guard lock(mu_);
  Batch& b = Find(id);
  b.transaction = transaction;
  b.state = "open";
  b.note.clear();
  // The open batch first.
  if (&b != &batches_.front()) {
    Batch moved = std::move(b);
    batches_.erase(std::find_if(batches_.begin(), batches_.end(),
                                [&](const Batch& x) { return x.id == id; }));
    batches_.push_front(std::move(moved));
  }
  Changed();
}

void CounterScreen::PageJudged(const std::string& id, const std::string& file,
                               const v1::PageVerdict& page, Thumbnail thumbnail) {
  std::lock_guard lock(mu_);
  Batch& b = Find(id);
  auto it = std::find_if(b.pages.begin(), b.pages.end(),
                         [&](const Page& p) { return p.index == page.page_index(); });
  if (it == b.pages.end()) {
    it = b.pages.insert(std::upper_bound(b.pages.begin(), b.pages.end(), page.page_index(),
                                         [](std::uint32_t i, const Page& p) { return i < p.index; }),
                        Page{});
  } else if (it->file != file) {
    it->replaces = it->file;
  }
  it->index = page.page_index();
  it->file = file;
  it->verdict = page;
  it->thumb_width = thumbnail.width;
  it->thumb_height = thumbnail.height;
  it->jpeg = thumbnail.jpeg.empty()
                 ? nullptr
                 : std::make_shared<const std::string>(std::move(thumbnail.jpeg));
  it->thumb = it->jpeg ? next_thumb_++ : 0;
  if (b.state != "open") b.state = "open";  // resumed for a rescan
  Bound();
  Changed();
}

void CounterScreen::PageRemoved(const std::string& id, std::uint32_t index) {
  std::lock_guard lock(mu_);
  Batch& b = Find(id);
  b.pages.erase(std::remove_if(b.pages.begin(), b.pages.end(),
                               [&](const Page& p) { return p.index == index; }),
                b.pages.end());
  Changed();
}

void CounterScreen::BatchDecided(const std::string& id, const v1::BatchVerdict& verdict,
                                 bool waiting) {
  std::lock_guard lock(mu_);
  Batch& b = Find(id);
  b.verdict = verdict;
  b.verdict.clear_pages();
  b.verdict.clear_signature();
  b.decided = true;
  if (b.transaction.empty()) b.transaction = verdict.transaction_id();
  b.state = verdict.decision() == v1::ACCEPT ? "accepted" : waiting ? "waiting" : "rejected";
  b.note.clear();
  // The batch's own page verdicts are the last word on each page.
  for (const v1::PageVerdict& pv : verdict.pages())
    for (Page& p : b.pages)
      if (p.index == pv.page_index()) p.verdict = pv;
  Changed();
}

void CounterScreen::WaitEnded(const std::string& id, const std::string& why) {
  std::lock_guard lock(mu_);
  Batch& b = Find(id);
  b.state = "rejected";
  b.note = why;
  Changed();
}

void CounterScreen::SetNext(std::optional<NextRescan> next) {
  std::lock_guard lock(mu_);
  const bool same = next.has_value() == next_.has_value() &&
                    (!next || (next->batch_id == next_->batch_id && next->page == next_->page &&
                               next->file == next_->file));
  next_ = std::move(next);
  if (!same) Changed();
}

bool CounterScreen::HasPage(const std::string& id, std::uint32_t index) const {
  std::lock_guard lock(mu_);
  for (const Batch& b : batches_)
    if (b.id == id)
      for (const Page& p : b.pages)
        if (p.index == index) return true;
  return false;
}

std::shared_ptr<const std::string> CounterScreen::ThumbnailBytes(std::uint64_t number) const {
  std::lock_guard lock(mu_);
  for (const Batch& b : batches_)
    for (const Page& p : b.pages)
      if (p.thumb == number) return p.jpeg;
  return nullptr;
}

std::string CounterScreen::StateJson() const {
  std::lock_guard lock(mu_);
  std::string out;
  out.reserve(8192);
  Json j(out);
  j.Open('{');
  j.Key("version").Int((long long)version_);
  j.Key("station").Str(station_);
  j.Key("folder").Str(folder_);
  j.Key("profile").Str(profile_);
  j.Key("next");
  if (next_) {
    j.Open('{');
    j.Key("batch").Str(next_->batch_id);
    j.Key("page").Int(next_->page);
    j.Key("file").Str(next_->file);
    // Why, from the page's verdict where the screen still holds it.
    for (const Batch& b : batches_)
      if (b.id == next_->batch_id)
        for (const Page& p : b.pages)
          if (p.index == next_->page) {
            j.Key("reasons");
            Reasons(j, p.verdict.reasons());
          }
    j.Close('}');
  } else {
    j.Null();
  }
  j.Key("batches").Open('[');
  for (const Batch& b : batches_) {
    j.Open('{');
    j.Key("id").Str(b.id);
    j.Key("transaction").Str(b.transaction);
    j.Key("state").Str(b.state);
    j.Key("note").Str(b.note);
    j.Key("decided").Bool(b.decided);
    j.Key("version").Int(b.verdict.version());
    j.Key("page_count").Int(b.decided ? b.verdict.page_count() : b.pages.size());
    j.Key("reasons");
    Reasons(j, b.verdict.reasons());
    j.Key("pages").Open('[');
    for (const Page& p : b.pages) {
      const v1::PageVerdict& v = p.verdict;
      j.Open('{');
      j.Key("index").Int(p.index);
      j.Key("file").Str(p.file);
      j.Key("replaces").Str(p.replaces);
      j.Key("decision").Str(DecisionName(v.decision()));
      j.Key("error").Str(v.error());
      j.Key("thumb").Str(p.jpeg ? "/thumb/" + std::to_string(p.thumb) + ".jpg" : "");
      j.Key("width").Int(v.width_px());
      j.Key("height").Int(v.height_px());
      j.Key("thumb_width").Int(p.thumb_width);
      j.Key("thumb_height").Int(p.thumb_height);
      j.Key("skew").Num(v.skew().degrees());
      j.Key("skew_confidence").Num(v.skew().confidence());
      j.Key("skew_bad").Bool(HasReason(v, {v1::SKEWED, v1::SKEW_UNCERTAIN}));
      j.Key("orientation").Int(v.orientation().degrees());
      j.Key("orientation_bad").Bool(HasReason(v, {v1::PAGE_TURNED, v1::ORIENTATION_UNCERTAIN}));
      j.Key("accepted_turned").Bool(v.orientation().accepted_turned());
      j.Key("summary_sheet").Bool(v.summary_sheet());
      j.Key("blank").Bool(v.blank().blank());
      j.Key("category").Str(v.category());
      j.Key("reasons");
      Reasons(j, v.reasons());
      j.Key("zones");
      Zones(j, v);
      j.Close('}');
    }
    j.Close(']');
    j.Close('}');
  }
  j.Close(']');
  j.Close('}');
  return out;
}

}  // namespace scangate::cli
