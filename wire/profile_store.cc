// See profile_store.h.
#include "wire/profile_store.h"

#include "wire/page_categories.h"

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <span>
#include <utility>
#include <vector>

#include <opencv2/imgcodecs.hpp>

#include "pipeline/decode/decode.h"
#include "pipeline/sheet/form_registration.h"
#include "common/sha256.h"
#include "wire/text_format_errors.h"
#include "wire/wire.h"

namespace scangate {
namespace {

// True when `text` is well-formed UTF-8 (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF).
bool ValidUtf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t n = 0;
    std::uint32_t code = 0;
    if (c < 0x80) n = 0, code = c;
    else if ((c & 0xE0) == 0xC0) n = 1, code = c & 0x1F;
    else if ((c & 0xF0) == 0xE0) n = 2, code = c & 0x0F;
    else if ((c & 0xF8) == 0xF0) n = 3, code = c & 0x07;
    else return false;
    if (n > text.size() - i - 1) return false;  // cut short
    for (std::size_t k = 1; k <= n; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3F);
    }
    static constexpr std::uint32_t kLeast[] = {0, 0x80, 0x800, 0x10000};
    if (code < kLeast[n] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

// The first value anywhere in `message`, nested and repeated fields
// included, that the profile cannot hold, as "path: message"; empty when
// there is none: a float or double that is NaN or infinite (every range
// check below then compares real numbers; NaN fails no comparison, so it
// would pass each one), or a string that is not UTF-8 (text format takes
// "\377"; a verdict or profile list carrying it could not be parsed by the
// stations).
std::string Unrepresentable(const google::protobuf::Message& message,
                            const std::string& prefix = "") {
  using google::protobuf::FieldDescriptor;
  const google::protobuf::Reflection* reflection = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    const int count = field->is_repeated() ? reflection->FieldSize(message, field) : 1;
    for (int i = 0; i < count; ++i) {
      const std::string at =
          prefix + field->name() + (field->is_repeated() ? "[" + std::to_string(i) + "]" : "");
      double value = 0;
      switch (field->cpp_type()) {
        case FieldDescriptor::CPPTYPE_DOUBLE:
          value = field->is_repeated() ? reflection->GetRepeatedDouble(message, field, i)
                                       : reflection->GetDouble(message, field);
          break;
        case FieldDescriptor::CPPTYPE_FLOAT:
          value = field->is_repeated() ? reflection->GetRepeatedFloat(message, field, i)
                                       : reflection->GetFloat(message, field);
          break;
        case FieldDescriptor::CPPTYPE_MESSAGE: {
          const google::protobuf::Message& nested =
              field->is_repeated() ? reflection->GetRepeatedMessage(message, field, i)
                                   : reflection->GetMessage(message, field);
          if (std::string problem = Unrepresentable(nested, at + "."); !problem.empty())
            return problem;
          continue;
        }
        case FieldDescriptor::CPPTYPE_STRING: {
          std::string scratch;
          const std::string& text =
              field->is_repeated()
                  ? reflection->GetRepeatedStringReference(message, field, i, &scratch)
                  : reflection->GetStringReference(message, field, &scratch);
          if (field->type() == FieldDescriptor::TYPE_STRING && !ValidUtf8(text))
            return at + ": not UTF-8 text";
          continue;
        }
        default:
          continue;
      }
      if (!std::isfinite(value))
        return at + ": " + (std::isnan(value) ? "NaN" : "an infinity") +
               " is not a value a profile may hold";
    }
  }
  return {};
}

// Semantic checks the schema cannot express. Empty when valid.
std::string Validate(const v1::Profile& p) {
  if (p.name().empty()) return "name: required";
  if (p.max_pages() != 0 && p.max_pages() < p.min_pages())
    return "max_pages: " + std::to_string(p.max_pages()) + " is below min_pages " +
           std::to_string(p.min_pages());
  if (p.min_dpi() < 0 || p.min_dpi() > 2400) return "min_dpi: must be within 0..2400";
  if (p.max_skew_degrees() < 0 || p.max_skew_degrees() > 15)
    return "max_skew_degrees: must be within 0..15";
  if (p.has_max_blur_sigma() && (p.max_blur_sigma() <= 0 || p.max_blur_sigma() > 100))
    return "max_blur_sigma: must be above 0 and at most 100";
  if (p.has_max_blurred_area_ratio() &&
      (p.max_blurred_area_ratio() <= 0 || p.max_blurred_area_ratio() > 1))
    return "max_blurred_area_ratio: must be above 0 and at most 1";
  if (p.min_skew_confidence() < 0 || p.min_skew_confidence() > 1)
    return "min_skew_confidence: must be within 0..1";
  if (p.dark_page_max_level() < 0 || p.dark_page_max_level() > 255)
    return "dark_page_max_level: must be within 0..255";
  if (p.dark_page_max_contrast() < 0 || p.dark_page_max_contrast() > 255)
    return "dark_page_max_contrast: must be within 0..255";
  if (p.min_orientation_confidence() < 0 || p.min_orientation_confidence() > 1)
    return "min_orientation_confidence: must be within 0..1";
  if (p.blank_max_ink_ratio() < 0 || p.blank_max_ink_ratio() > 1)
    return "blank_max_ink_ratio: must be within 0..1";
  if (p.repair().deskew_up_to_degrees() < 0 || p.repair().deskew_up_to_degrees() > 15)
    return "repair.deskew_up_to_degrees: must be within 0..15";
  if (p.repair().jpeg_quality() > 100)
    return "repair.jpeg_quality: must be within 0..100 (0: lossless PNG)";
  const v1::BarcodeRule& barcode = p.barcode();
  if (Expected<BarcodeFormatSet> formats =
          BarcodeFormatSet::Parse({barcode.formats().begin(), barcode.formats().end()});
      !formats.ok())
    return "barcode.formats: " + formats.error().message;
  if (!barcode.min_grade().empty() &&
      (barcode.min_grade().size() != 1 ||
       std::string("ABCD").find(barcode.min_grade()[0]) == std::string::npos))
    return "barcode.min_grade: must be one of A, B, C, D";
  auto mm = [](double v) { return v >= 0 && v <= 1000; };
  if (barcode.min_x_dimension_mm() < 0 || barcode.min_x_dimension_mm() > 100)
    return "barcode.min_x_dimension_mm: must be within 0..100 mm";
  if (barcode.max_x_dimension_mm() < 0 || barcode.max_x_dimension_mm() > 100 ||
      (barcode.max_x_dimension_mm() > 0 &&
       barcode.max_x_dimension_mm() < barcode.min_x_dimension_mm()))
    return "barcode.max_x_dimension_mm: must be within 0..100 mm and not below min_x_dimension_mm";
  const v1::Zone& zone = barcode.zone();
  if (zone.width_mm() < 0 || zone.height_mm() < 0)
    return "barcode.zone.width_mm: the zone's width and height must not be negative";
  for (auto [value, field] : {std::pair{zone.x_mm(), "x_mm"}, std::pair{zone.y_mm(), "y_mm"},
                              std::pair{zone.width_mm(), "width_mm"},
                              std::pair{zone.height_mm(), "height_mm"}})
    if (!mm(value)) return std::string("barcode.zone.") + field + ": must be within 0..1000 mm";
  for (int i = 0; i < barcode.orientations_degrees_size(); ++i)
    if (std::abs(barcode.orientations_degrees(i)) > 360)
      return "barcode.orientations_degrees[" + std::to_string(i) + "]: must be within -360..360";
  if (barcode.orientation_tolerance_degrees() < 0 || barcode.orientation_tolerance_degrees() > 180)
    return "barcode.orientation_tolerance_degrees: must be within 0..180";
  if (!mm(barcode.min_bar_height_mm()))
    return "barcode.min_bar_height_mm: must be within 0..1000 mm";
  return {};
}

// The compiled patterns of a profile, checked against what uses them.
std::string ValidatePatterns(const v1::Profile& definition, const Profile& p) {
  const Pattern& pattern = p.barcode.payload_pattern;
  if (!pattern.ok())
    return "barcode.payload_pattern: '" + pattern.source() +
           "' is not a regex RE2 takes (RE2 syntax: no backreferences, no lookaround): " +
           pattern.error();
  if (definition.barcode().page_count_group() > unsigned(pattern.groups()))
    return "barcode.page_count_group: " + std::to_string(definition.barcode().page_count_group()) +
           " but payload_pattern has " + std::to_string(pattern.groups()) + " capturing group(s)";
  return {};
}

// Where `path` ("form.fields[2].width_mm") was written, or the nearest
// enclosing field that was; line -1 when none was.
google::protobuf::TextFormat::ParseLocation Locate(
    const google::protobuf::TextFormat::ParseInfoTree* tree,
    const google::protobuf::Descriptor* type, const std::string& path) {
  google::protobuf::TextFormat::ParseLocation found;
  std::size_t at = 0;
  while (tree && type && at < path.size()) {
    std::size_t end = path.find('.', at);
    if (end == std::string::npos) end = path.size();
    std::string segment = path.substr(at, end - at);
    int index = -1;
    if (std::size_t open = segment.find('['); open != std::string::npos) {
      index = std::atoi(segment.c_str() + open + 1);
      segment.resize(open);
    }
    const google::protobuf::FieldDescriptor* field = type->FindFieldByName(segment);
    if (!field) break;
    if (field->is_repeated() && index < 0) index = 0;
    if (!field->is_repeated()) index = -1;
    auto location = tree->GetLocation(field, index);
    if (location.line >= 0) found = location;
    if (field->type() != google::protobuf::FieldDescriptor::TYPE_MESSAGE) break;
    tree = tree->GetTreeForNested(field, index);
    type = field->message_type();
    at = end + 1;
  }
  return found;
}

std::string CheckZone(const v1::Zone& z, const std::string& at, const v1::SummaryForm& form,
                      bool named) {
  if (named && z.name().empty()) return at + ".name: required";
  if (z.width_mm() <= 0) return at + ".width_mm: must be positive";
  if (z.height_mm() <= 0) return at + ".height_mm: must be positive";
  if (z.x_mm() < 0 || z.x_mm() + z.width_mm() > form.width_mm() + 0.01)
    return at + ".x_mm: the zone runs off the form (0.." + std::to_string(form.width_mm()) +
           " mm wide)";
  if (z.y_mm() < 0 || z.y_mm() + z.height_mm() > form.height_mm() + 0.01)
    return at + ".y_mm: the zone runs off the form (0.." + std::to_string(form.height_mm()) +
           " mm high)";
  return {};
}

// The summary-sheet form and page-wide signature rule. "path: message".
std::string ValidateSummary(const v1::Profile& p) {
  auto unit = [](double v) { return v >= 0 && v <= 1; };
  if (!unit(p.page_signature().min_score())) return "page_signature.min_score: must be within 0..1";
  if (!p.has_form()) return {};
  const v1::SummaryForm& f = p.form();
  if (f.width_mm() <= 0 || f.width_mm() > 1000) return "form.width_mm: must be within 0..1000 mm";
  if (f.height_mm() <= 0 || f.height_mm() > 1000) return "form.height_mm: must be within 0..1000 mm";
  if (f.template_image().empty()) return "form.template_image: required (the blank form, a PNG)";
  std::vector<std::string> names;
  auto zones = [&](const auto& list, const char* kind) -> std::string {
    for (int i = 0; i < list.size(); ++i) {
      const std::string at = std::string("form.") + kind + "[" + std::to_string(i) + "]";
      if (std::string problem = CheckZone(list[i], at, f, true); !problem.empty()) return problem;
      if (std::find(names.begin(), names.end(), list[i].name()) != names.end())
        return at + ".name: \"" + list[i].name() + "\" names another zone too";
      names.push_back(list[i].name());
    }
    return {};
  };
  for (std::string problem : {zones(f.fields(), "fields"), zones(f.signatures(), "signatures"),
                              zones(f.seals(), "seals")})
    if (!problem.empty()) return problem;
  if (f.has_barcode())
    if (std::string problem = CheckZone(f.barcode(), "form.barcode", f, false); !problem.empty())
      return problem;
  if (!unit(f.min_registration_score())) return "form.min_registration_score: must be within 0..1";
  if (!unit(f.min_field_ink_ratio())) return "form.min_field_ink_ratio: must be within 0..1";
  if (!unit(f.min_signature_score())) return "form.min_signature_score: must be within 0..1";
  if (!unit(f.min_seal_score())) return "form.min_seal_score: must be within 0..1";
  return {};
}

// Reads at most `limit` + 1 bytes of the regular file `file` (so that a file
// over the limit is seen to be). Empty with `problem` set when it cannot.
std::string ReadBounded(const std::filesystem::path& file, std::size_t limit,
                        std::string& problem) {
  std::error_code ec;
  const auto status = std::filesystem::status(file, ec);
  if (ec || !std::filesystem::is_regular_file(status)) {
    problem = ec ? "cannot be read (" + ec.message() + ")" : "is not a regular file";
    return {};
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    problem = "cannot be read";
    return {};
  }
  std::string bytes;
  char chunk[1 << 16];
  while (bytes.size() <= limit && in.read(chunk, sizeof chunk).gcount() > 0)
    bytes.append(chunk, std::size_t(in.gcount()));
  if (in.bad()) problem = "cannot be read";
  else if (bytes.size() > limit) problem = "is over " + std::to_string(limit) + " bytes";
  return problem.empty() ? bytes : std::string();
}

// True when canonical `file` lies inside canonical `folder`.
bool Inside(const std::filesystem::path& file, const std::filesystem::path& folder) {
  auto [f, d] = std::mismatch(file.begin(), file.end(), folder.begin(), folder.end());
  return d == folder.end() && f != file.end();
}

// Reads the form's blank template from the profile's own folder and prepares
// it for registration. "path: message" on failure. A profile comes from a
// folder an operator fills, but what it names is read by the server: only a
// regular file inside that folder, within ProfileLimits::kTemplate, checked
// from its header before a pixel is decoded.
std::string AttachTemplate(const std::string& profile_path, const v1::SummaryForm& f,
                           SummaryFormRule& rule, std::string& bytes) {
  const std::string at = "form.template_image: ";
  const std::filesystem::path named(f.template_image());
  if (named.is_absolute() || named.has_root_path())
    return at + "'" + f.template_image() + "' is not relative to the profile's folder";
  for (const auto& part : named)
    if (part == "..") return at + "'" + f.template_image() + "' leads out of the profile's folder";
  std::error_code ec;
  std::filesystem::path parent = std::filesystem::path(profile_path).parent_path();
  if (parent.empty()) parent = ".";
  const std::filesystem::path folder = std::filesystem::canonical(parent, ec);
  if (ec) return at + "the profile's folder cannot be resolved (" + ec.message() + ")";
  const std::filesystem::path file = std::filesystem::canonical(folder / named, ec);
  if (ec) return at + (parent / named).string() + " cannot be read (" + ec.message() + ")";
  if (!Inside(file, folder))
    return at + (parent / named).string() + " resolves to " + file.string() +
           ", outside the profile's folder";
  const DecodeLimits& limits = ProfileLimits::kTemplate;
  std::string problem;
  bytes = ReadBounded(file, limits.max_bytes, problem);
  if (!problem.empty()) return at + (parent / named).string() + " " + problem;
  const std::span<const std::uint8_t> data(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                           bytes.size());
  Fallible<ImageProbe> probe = ProbeImage(data, limits);
  if (!probe.ok()) return at + (parent / named).string() + ": " + probe.error().message;
  // The pixels decode only once the header has passed the limits.
  try {
    cv::Mat blank =
        cv::imdecode(cv::Mat(1, int(bytes.size()), CV_8U, const_cast<char*>(bytes.data())),
                     cv::IMREAD_GRAYSCALE);
    if (blank.empty()) return at + (parent / named).string() + " is not an image";
    Expected<std::shared_ptr<const FormTemplate>> prepared = PrepareFormTemplate(blank, rule);
    if (!prepared.ok()) return at + (parent / named).string() + ": " + prepared.error().message;
    rule.blank = std::move(prepared.value());
  } catch (const std::exception& e) {  // cv::Exception, std::bad_alloc
    return at + (parent / named).string() + " cannot be decoded: " + e.what();
  }
  return {};
}

std::string VersionOf(const v1::Profile& definition, const std::string& template_bytes = {}) {
  std::string bytes;
  definition.SerializeToString(&bytes);  // deterministic for a given message
  bytes += template_bytes;  // a redrawn form is a new version
  std::string hex = Sha256Hex(bytes);
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
  loaded.categories = std::make_shared<const PageCategories>();
  return loaded;
}

}  // namespace

ProfileStore::ProfileStore() { Add(Builtin()); }

Expected<LoadedProfile> ProfileStore::LoadFile(const std::string& path) {
  std::string problem;
  const std::string text = ReadBounded(path, ProfileLimits::kMaxTextBytes, problem);
  if (!problem.empty()) return Error{path + ": " + problem};
  return LoadText(path, text);
}

Expected<LoadedProfile> ProfileStore::LoadText(const std::string& path, std::string_view text) {
  try {
    return Load(path, text);
  } catch (const std::exception& e) {  // std::bad_alloc: the profile is refused, not the server
    return Error{path + ": cannot be loaded (" + e.what() + ")"};
  }
}

Expected<LoadedProfile> ProfileStore::Load(const std::string& path, std::string_view text) {
  if (text.size() > ProfileLimits::kMaxTextBytes)
    return Error{path + ": is over " + std::to_string(ProfileLimits::kMaxTextBytes) + " bytes"};
  google::protobuf::TextFormat::Parser parser;
  FirstTextFormatError errors(path);
  parser.RecordErrorsTo(&errors);
  google::protobuf::TextFormat::ParseInfoTree locations;
  parser.WriteLocationsTo(&locations);
  v1::Profile definition;
  if (!parser.ParseFromString(std::string(text), &definition))
    return Error{errors.first().empty() ? path + ": not a valid profile" : errors.first()};
  // "FILE:LINE:COLUMN: field: message" where the field (or the message
  // holding it) was written; `field` when the message names another.
  auto located = [&](const std::string& problem, std::string field = {}) {
    if (field.empty()) field = problem.substr(0, problem.find(':'));
    auto where = Locate(&locations, v1::Profile::descriptor(), field);
    if (where.line < 0) return path + ": " + problem;
    return path + ":" + std::to_string(where.line + 1) + ":" + std::to_string(where.column + 1) +
           ": " + problem;
  };
  std::string problem = Unrepresentable(definition);
  if (problem.empty()) problem = Validate(definition);
  if (problem.empty()) problem = ValidateSummary(definition);
  if (!problem.empty()) return Error{located(problem)};
  auto categories = std::make_shared<const PageCategories>(definition.structure());
  if (!categories->problem().empty())
    return Error{located("structure: " + categories->problem(),
                         "structure." + categories->problem_field())};
  Profile p = FromProto(definition);
  if (problem = ValidatePatterns(definition, p); !problem.empty()) return Error{located(problem)};
  std::string template_bytes;
  if (p.form) {
    if (problem = AttachTemplate(path, definition.form(), *p.form, template_bytes); !problem.empty())
      return Error{located(problem)};
  }
  p.version = VersionOf(definition, template_bytes);
  LoadedProfile out;
  out.profile = std::make_shared<const Profile>(std::move(p));
  out.definition = std::move(definition);
  out.categories = std::move(categories);
  out.path = path;
  return out;
}

Outcome ProfileStore::LoadFolder(const std::string& dir) {
  // The error_code forms throughout: a reload runs on the server's work
  // queue, and a folder entry that cannot be examined (a symlink loop) is an
  // error to answer, not an exception.
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::filesystem::path& file = it->path();
    const auto ext = file.extension();
    if (ext != ".textproto" && ext != ".pbtxt") continue;
    std::error_code type_ec;
    const bool regular = it->is_regular_file(type_ec);
    // A dangling symlink is no profile file, as before; anything else that
    // cannot be examined fails the load.
    if (type_ec && type_ec != std::errc::no_such_file_or_directory)
      return Error{file.string() + ": " + type_ec.message()};
    if (regular) files.push_back(file);
  }
  if (ec) return Error{dir + ": " + ec.message()};
  std::sort(files.begin(), files.end());
  folder_ = dir;
  for (const auto& file : files) {
    Expected<LoadedProfile> loaded = LoadFile(file.string());
    if (!loaded.ok()) return loaded.error();
    Add(std::move(loaded.value()));
  }
  return Ok{};
}

void ProfileStore::Add(LoadedProfile profile) {
  std::lock_guard lock(*mu_);
  auto next = std::make_shared<Map>(*by_name_);
  std::string name = profile.profile->name;
  (*next)[name] = std::move(profile);
  by_name_ = std::move(next);
}

Outcome ProfileStore::Reload() {
  if (folder_.empty())
    return Error{"no profiles folder to reload (the server was started without --profiles)"};
  ProfileStore fresh;
  if (Outcome loaded = fresh.LoadFolder(folder_); !loaded.ok()) return loaded;
  std::lock_guard lock(*mu_);
  by_name_ = fresh.Current();
  return Ok{};
}

std::shared_ptr<const ProfileStore::Map> ProfileStore::Current() const {
  std::lock_guard lock(*mu_);
  return by_name_;
}

std::shared_ptr<const Profile> ProfileStore::Find(const std::string& name) const {
  auto current = Current();
  auto it = current->find(name.empty() ? "default" : name);
  return it == current->end() ? nullptr : it->second.profile;
}

std::shared_ptr<const v1::Profile> ProfileStore::FindDefinition(const std::string& name) const {
  auto current = Current();
  auto it = current->find(name.empty() ? "default" : name);
  if (it == current->end()) return nullptr;
  return std::shared_ptr<const v1::Profile>(current, &it->second.definition);
}

std::shared_ptr<const PageCategories> ProfileStore::FindCategories(const std::string& name) const {
  auto current = Current();
  auto it = current->find(name.empty() ? "default" : name);
  if (it == current->end()) return nullptr;
  return it->second.categories;
}

std::vector<LoadedProfile> ProfileStore::List() const {
  std::vector<LoadedProfile> out;
  for (const auto& [name, p] : *Current()) out.push_back(p);
  return out;
}

}  // namespace scangate
