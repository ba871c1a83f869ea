// See wire.h.
#include "wire/wire.h"

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
  out->set_waived_by(in.waived_by);
  out->set_waiver_note(in.waiver_note);
}

void ToProto(const PageVerdict& in, v1::PageVerdict* out) {
  out->set_source(in.source);
  out->set_page_index(in.page_index);
  out->set_frame(in.frame);
  out->set_decision(ToProto(in.decision));
  for (const Reason& r : in.reasons) ToProto(r, out->add_reasons());
  out->set_error(in.error);
  out->set_transaction_id(in.transaction_id);
  if (in.transaction_absence) ToProto(*in.transaction_absence, out->mutable_transaction_absence());
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
  out->mutable_orientation()->set_degrees(std::uint32_t(in.orientation.degrees));
  out->mutable_orientation()->set_confidence(in.orientation.confidence);
  out->mutable_orientation()->set_accepted_turned(in.accepted_turned);
  out->mutable_blank()->set_blank(in.is_blank);
  out->mutable_blank()->set_ink_ratio(in.blank.ink_ratio);
  out->mutable_blank()->set_too_dark(in.too_dark);
  out->mutable_blank()->set_bright_level(in.blank.bright_level);
  out->mutable_blank()->set_dark_level(in.blank.dark_level);
  for (const BarcodeMeasure& b : in.barcodes) {
    auto* pb = out->add_barcodes();
    pb->set_format(b.format);
    pb->set_text(b.text);
    pb->set_orientation_degrees(b.orientation_degrees);
    for (int c : b.corners) pb->add_position(c);
    pb->set_grade(GradeName(b.quality.grade));
    pb->set_x_dimension_mm(b.x_dimension_mm);
    pb->set_quiet_zone_ok(b.quiet_zone_ok);
    pb->set_grade_value(b.quality.grade_value);
    pb->set_symbol_contrast(b.quality.symbol_contrast);
    pb->set_min_reflectance(b.quality.min_reflectance);
    pb->set_min_edge_contrast(b.quality.min_edge_contrast);
    pb->set_modulation(b.quality.modulation);
    pb->set_defects(b.quality.defects);
    pb->set_decodability(b.quality.decodability);
    pb->set_grade_limited_by(GradeParameterName(b.quality.limited_by));
    pb->set_scans(std::uint32_t(b.quality.scans));
    pb->set_bar_height_mm(b.bar_height_mm);
    pb->set_quiet_zone_modules(b.quiet_zone_modules);
    pb->set_x_dimension_px(b.x_dimension_px);
    pb->set_unreadable(b.unreadable);
    pb->set_found_in_zone(b.found_in_zone);
  }
  for (const FieldMeasure& f : in.fields) {
    auto* pf = out->add_fields();
    pf->set_name(f.name);
    pf->set_filled(f.filled);
    pf->set_ink_ratio(f.ink_ratio);
    for (int c : f.corners) pf->add_position(c);
  }
  for (const SignatureMeasure& m : in.signatures) {
    auto* ps = out->add_signatures();
    ps->set_zone(m.zone);
    ps->set_present(m.present);
    ps->set_score(m.score);
    for (int c : m.corners) ps->add_position(c);
  }
  for (const SealMeasure& m : in.seals) {
    auto* ps = out->add_seals();
    ps->set_zone(m.zone);
    ps->set_present(m.present);
    ps->set_score(m.score);
    for (int c : m.corners) ps->add_position(c);
  }
  out->set_summary_sheet(in.summary_sheet);
  if (in.registration.attempted) {
    auto* r = out->mutable_registration();
    r->set_score(in.registration.score);
    r->set_degrees(in.registration.degrees);
    r->set_scale(in.registration.scale);
    r->set_x_mm(in.registration.x_mm);
    r->set_y_mm(in.registration.y_mm);
  }
  out->set_profile(in.profile);
  out->set_profile_version(in.profile_version);
  out->set_judge_seconds(in.judge_seconds);
  if (in.repair) {
    const RepairRecord& r = *in.repair;
    auto* pr = out->mutable_repair();
    pr->set_turned_degrees(std::uint32_t(r.turned_degrees));
    pr->set_deskewed_degrees(r.deskewed_degrees);
    pr->set_cropped_left_mm(r.cropped_left_mm);
    pr->set_cropped_top_mm(r.cropped_top_mm);
    pr->set_cropped_right_mm(r.cropped_right_mm);
    pr->set_cropped_bottom_mm(r.cropped_bottom_mm);
    pr->set_specks_removed(std::uint32_t(r.specks_removed));
    for (const std::string& d : r.done) pr->add_done(d);
    for (const Reason& reason : r.original_reasons) ToProto(reason, pr->add_original_reasons());
    pr->set_original_skew_degrees(r.original_skew_degrees);
    pr->set_original_blur_score(r.original_blur_sigma);
    pr->set_original_width_px(std::uint32_t(r.original_width));
    pr->set_original_height_px(std::uint32_t(r.original_height));
    pr->set_archive_sha256(r.archive_sha256);
    pr->set_archive_media_type(r.archive_media_type);
    // The bytes are not copied here: AttachArchiveCopy, only where they go.
  }
}

void AttachArchiveCopy(PageVerdict& in, v1::PageVerdict* out) {
  if (in.repair && !in.repair->archive_copy.empty())
    out->mutable_repair()->set_archive_copy(std::move(in.repair->archive_copy));
}

Profile FromProto(const v1::Profile& in) {
  // The one place a profile's defaults are filled: the struct initialisers of
  // pipeline/profile.h stand wherever the file leaves an optional field out.
  Profile p;
  p.name = in.name();
  p.description = in.description();
  if (in.has_min_pages()) p.min_pages = in.min_pages();
  p.max_pages = in.max_pages();
  if (in.has_min_dpi()) p.min_dpi = in.min_dpi();
  if (in.has_max_skew_degrees()) p.max_skew_degrees = in.max_skew_degrees();
  if (in.has_min_skew_confidence()) p.min_skew_confidence = in.min_skew_confidence();
  if (in.has_max_blur_sigma()) p.max_blur_sigma = in.max_blur_sigma();
  if (in.has_max_blurred_area_ratio()) p.max_blurred_area_ratio = in.max_blurred_area_ratio();
  if (in.has_blank_max_ink_ratio()) p.blank_max_ink_ratio = in.blank_max_ink_ratio();
  if (in.has_dark_page_max_level()) p.dark_page_max_level = in.dark_page_max_level();
  if (in.has_dark_page_max_contrast()) p.dark_page_max_contrast = in.dark_page_max_contrast();
  p.accept_turned_pages = in.accept_turned_pages();
  if (in.has_min_orientation_confidence())
    p.min_orientation_confidence = in.min_orientation_confidence();
  // Validated at load (profile_store.cc): every name is ZXing's.
  Expected<BarcodeFormatSet> formats = BarcodeFormatSet::Parse(
      {in.barcode().formats().begin(), in.barcode().formats().end()});
  if (formats.ok()) p.barcode.formats = formats.value();
  // Compiled here, once; ProfileStore refuses a profile whose pattern RE2 refused.
  p.barcode.payload_pattern = Pattern(in.barcode().payload_pattern());
  p.barcode.required = in.barcode().required();
  {
    const v1::BarcodeRule& r = in.barcode();
    const v1::Zone& z = r.zone();
    p.barcode.zone = {z.x_mm(), z.y_mm(), z.width_mm(), z.height_mm()};
    p.barcode.min_x_dimension_mm = r.min_x_dimension_mm();
    p.barcode.max_x_dimension_mm = r.max_x_dimension_mm();
    p.barcode.orientations_degrees.assign(r.orientations_degrees().begin(),
                                          r.orientations_degrees().end());
    if (r.has_orientation_tolerance_degrees())
      p.barcode.orientation_tolerance_degrees = r.orientation_tolerance_degrees();
    // Validated at load (profile_store.cc): A..D or empty.
    if (!r.min_grade().empty()) p.barcode.min_grade = GradeFromName(r.min_grade());
    p.barcode.quiet_zone_required = r.quiet_zone_required();
    p.barcode.min_bar_height_mm = r.min_bar_height_mm();
    p.barcode.first_page_is_summary_sheet = r.first_page_is_summary_sheet();
    p.barcode.page_count_group = r.page_count_group();
  }
  if (!in.retention().empty()) p.retention = in.retention();
  if (in.has_form()) {
    const v1::SummaryForm& f = in.form();
    SummaryFormRule form;
    form.width_mm = f.width_mm();
    form.height_mm = f.height_mm();
    auto zones = [](const auto& from, std::vector<FormZone>& to) {
      for (const v1::Zone& z : from)
        to.push_back({z.name(), z.label(), z.x_mm(), z.y_mm(), z.width_mm(), z.height_mm()});
    };
    zones(f.fields(), form.fields);
    zones(f.signatures(), form.signatures);
    zones(f.seals(), form.seals);
    const v1::Zone& b = f.barcode();
    form.barcode = {b.name(), b.label(), b.x_mm(), b.y_mm(), b.width_mm(), b.height_mm()};
    if (f.has_min_registration_score()) form.min_registration_score = f.min_registration_score();
    if (f.has_min_field_ink_ratio()) form.min_field_ink_ratio = f.min_field_ink_ratio();
    if (f.has_min_signature_score()) form.min_signature_score = f.min_signature_score();
    if (f.has_min_seal_score()) form.min_seal_score = f.min_seal_score();
    p.form = std::move(form);  // the blank template is attached by ProfileStore
  }
  p.repair.turn_upright = in.repair().turn_upright();
  p.repair.deskew_up_to_degrees = in.repair().deskew_up_to_degrees();
  p.repair.crop_borders = in.repair().crop_borders();
  p.repair.despeckle = in.repair().despeckle();
  p.repair.jpeg_quality = int(in.repair().jpeg_quality());
  p.page_signature.required = in.page_signature().required();
  if (in.page_signature().has_min_score()) p.page_signature.min_score = in.page_signature().min_score();
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
