// See wire.h.
#include "wire.h"

#include <google/protobuf/util/json_util.h>

namespace scangate {
namespace {

v1::ColorMode ToProto(ColorMode mode) {
  switch (mode) {
    case ColorMode::kBilevel: return v1::BILEVEL;
    case ColorMode::kGray: return v1::GRAY;
    case ColorMode::kColor: return v1::COLOR;
  }
  return v1::COLOR_MODE_UNSPECIFIED;
}

v1::Decision ToProto(Decision d) { return d == Decision::kAccept ? v1::ACCEPT : v1::REJECT; }

}  // namespace

void ToProto(const Reason& in, v1::Reason* out) {
  out->set_code(static_cast<v1::ReasonCode>(in.code));
  out->set_detail(in.detail);
  out->set_zone(in.zone);
  if (in.page) out->set_page(*in.page);
}

void ToProto(const PageVerdict& in, v1::PageVerdict* out) {
  out->set_source(in.source);
  out->set_page_index(in.page_index);
  out->set_frame(in.frame);
  out->set_decision(ToProto(in.decision));
  for (const Reason& r : in.reasons) ToProto(r, out->add_reasons());
  out->set_error(in.error);
  out->set_sha256(in.sha256);
  out->set_width_px(std::uint32_t(in.width));
  out->set_height_px(std::uint32_t(in.height));
  out->set_color_mode(ToProto(in.color_mode));
  out->set_dpi(in.resolution.dpi);
  out->set_dpi_inferred(in.resolution.inferred);
  auto* blur = out->mutable_blur();
  blur->set_score(in.blur.sigma_300dpi);
  blur->set_blurred(in.blurred);
  blur->set_blurred_area_ratio(in.blur.blurred_area_ratio);
  blur->set_applicable(in.blur.applicable);
  out->mutable_skew()->set_degrees(in.skew.degrees);
  out->mutable_skew()->set_confidence(in.skew.confidence);
  out->mutable_blank()->set_blank(in.is_blank);
  out->mutable_blank()->set_ink_ratio(in.blank.ink_ratio);
  for (const BarcodeMeasure& b : in.barcodes) {
    auto* pb = out->add_barcodes();
    pb->set_format(b.format);
    pb->set_text(b.text);
    pb->set_orientation_degrees(b.orientation_degrees);
    for (int c : b.corners) pb->add_position(c);
  }
  out->set_profile(in.profile);
  out->set_profile_version(in.profile_version);
  out->set_judge_seconds(in.judge_seconds);
}

void ToProto(const BatchVerdict& in, v1::BatchVerdict* out) {
  out->set_decision(ToProto(in.decision));
  for (const Reason& r : in.reasons) ToProto(r, out->add_reasons());
  out->set_transaction_id(in.transaction_id);
  out->set_page_count(in.page_count);
  out->set_counted_pages(in.counted_pages);
  out->set_final(in.final);
}

PageVerdict FromProto(const v1::PageVerdict& in) {
  PageVerdict v;
  v.source = in.source();
  v.page_index = in.page_index();
  v.frame = in.frame();
  v.decision = in.decision() == v1::ACCEPT ? Decision::kAccept : Decision::kReject;
  for (const v1::Reason& r : in.reasons()) {
    Reason reason{static_cast<ReasonCode>(r.code()), r.detail(), r.zone(), std::nullopt};
    if (r.has_page()) reason.page = r.page();
    v.reasons.push_back(std::move(reason));
  }
  v.error = in.error();
  // The kind is not on the wire; what the batch rules need is that there was one.
  if (!in.error().empty()) v.error_kind = PageErrorKind::kCorrupt;
  v.sha256 = in.sha256();
  v.width = int(in.width_px());
  v.height = int(in.height_px());
  v.resolution = {in.dpi(), in.dpi_inferred(), ""};
  v.blur.sigma_300dpi = in.blur().score();
  v.blur.blurred_area_ratio = in.blur().blurred_area_ratio();
  v.blur.applicable = in.blur().applicable();
  v.blurred = in.blur().blurred();
  v.skew = {in.skew().degrees(), in.skew().confidence()};
  v.blank.ink_ratio = in.blank().ink_ratio();
  v.is_blank = in.blank().blank();
  for (const v1::BarcodeMeasurement& b : in.barcodes()) {
    BarcodeMeasure m;
    m.format = b.format();
    m.text = b.text();
    m.orientation_degrees = b.orientation_degrees();
    v.barcodes.push_back(std::move(m));
  }
  v.profile = in.profile();
  v.profile_version = in.profile_version();
  v.judge_seconds = in.judge_seconds();
  return v;
}

Profile FromProto(const v1::Profile& in) {
  Profile p;  // defaults stand where the file is silent
  p.name = in.name();
  p.description = in.description();
  if (in.min_pages()) p.min_pages = in.min_pages();
  p.max_pages = in.max_pages();
  if (in.min_dpi() > 0) p.min_dpi = in.min_dpi();
  if (in.max_skew_degrees() > 0) p.max_skew_degrees = in.max_skew_degrees();
  if (in.max_blur_sigma() > 0) p.max_blur_sigma = in.max_blur_sigma();
  if (in.blank_max_ink_ratio() > 0) p.blank_max_ink_ratio = in.blank_max_ink_ratio();
  p.barcode.formats.assign(in.barcode().formats().begin(), in.barcode().formats().end());
  p.barcode.payload_pattern = in.barcode().payload_pattern();
  p.barcode.required = in.barcode().required();
  if (!in.retention().empty()) p.retention = in.retention();
  return p;
}

std::string ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  options.always_print_enums_as_ints = false;
  std::string json;
  auto status = google::protobuf::util::MessageToJsonString(message, &json, options);
  if (!status.ok()) return "{\"error\":\"verdict cannot be printed as JSON\"}";
  return json;
}

}  // namespace scangate
