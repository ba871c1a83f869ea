// See profile_store.h.
#include "profile_store.h"

#include "page_categories.h"

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <span>
#include <sstream>

#include <opencv2/imgcodecs.hpp>

#include "form_registration.h"
#include "judge.h"
#include "text_format_errors.h"
#include "wire.h"

namespace scangate {
namespace {

// Semantic checks the schema cannot express. Empty when valid.
std::string Validate(const v1::Profile& p) {
  if (p.name().empty()) return "name: required";
  if (p.max_pages() != 0 && p.max_pages() < p.min_pages())
    return "max_pages: " + std::to_string(p.max_pages()) + " is below min_pages " +
           std::to_string(p.min_pages());
  if (p.min_dpi() < 0 || p.min_dpi() > 2400) return "min_dpi: must be within 0..2400";
  if (p.max_skew_degrees() < 0 || p.max_skew_degrees() > 15)
    return "max_skew_degrees: must be within 0..15";
  if (p.max_blur_sigma() < 0) return "max_blur_sigma: must not be negative";
  if (p.blank_max_ink_ratio() < 0 || p.blank_max_ink_ratio() > 1)
    return "blank_max_ink_ratio: must be within 0..1";
  try {
    std::regex check(p.barcode().payload_pattern());
    if (p.barcode().page_count_group() > check.mark_count())
      return "barcode.page_count_group: " + std::to_string(p.barcode().page_count_group()) +
             " but payload_pattern has " + std::to_string(check.mark_count()) +
             " capturing group(s)";
  } catch (const std::regex_error& e) {
    return "barcode.payload_pattern: not a valid regular expression (" + std::string(e.what()) +
           ")";
  }
  const v1::BarcodeRule& barcode = p.barcode();
  if (!barcode.min_grade().empty() &&
      (barcode.min_grade().size() != 1 ||
       std::string("ABCD").find(barcode.min_grade()[0]) == std::string::npos))
    return "barcode.min_grade: must be one of A, B, C, D";
  if (barcode.min_x_dimension_mm() < 0) return "barcode.min_x_dimension_mm: must not be negative";
  if (barcode.max_x_dimension_mm() < 0 ||
      (barcode.max_x_dimension_mm() > 0 &&
       barcode.max_x_dimension_mm() < barcode.min_x_dimension_mm()))
    return "barcode.max_x_dimension_mm: must not be negative or below min_x_dimension_mm";
  if (barcode.zone().width_mm() < 0 || barcode.zone().height_mm() < 0)
    return "barcode.zone.width_mm: the zone's width and height must not be negative";
  if (barcode.orientation_tolerance_degrees() < 0 || barcode.orientation_tolerance_degrees() > 180)
    return "barcode.orientation_tolerance_degrees: must be within 0..180";
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

// Reads the form's blank template (relative to the profile file) and
// prepares it for registration. "path: message" on failure.
std::string AttachTemplate(const std::string& profile_path, const v1::SummaryForm& f,
                           SummaryFormRule& rule, std::string& bytes) {
  const std::filesystem::path file =
      std::filesystem::path(profile_path).parent_path() / f.template_image();
  std::ifstream in(file, std::ios::binary);
  std::stringstream content;
  if (in) content << in.rdbuf();
  bytes = content.str();
  if (!in || bytes.empty()) return "form.template_image: " + file.string() + " cannot be read";
  cv::Mat blank = cv::imdecode(
      cv::Mat(1, int(bytes.size()), CV_8U, const_cast<char*>(bytes.data())), cv::IMREAD_GRAYSCALE);
  if (blank.empty()) return "form.template_image: " + file.string() + " is not an image";
  std::string problem;
  rule.blank = PrepareFormTemplate(blank, rule, problem);
  if (!rule.blank) return "form.template_image: " + file.string() + ": " + problem;
  return {};
}

std::string VersionOf(const v1::Profile& definition, const std::string& template_bytes = {}) {
  std::string bytes;
  definition.SerializeToString(&bytes);  // deterministic for a given message
  bytes += template_bytes;  // a redrawn form is a new version
  std::string hex = Sha256Hex(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                        bytes.size()));
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
  return loaded;
}

}  // namespace

ProfileStore::ProfileStore() { Add(Builtin()); }

bool ProfileStore::LoadFile(const std::string& path, LoadedProfile& out, std::string& error) {
  std::ifstream in(path);
  if (!in) {
    error = path + ": cannot be read";
    return false;
  }
  std::stringstream text;
  text << in.rdbuf();
  google::protobuf::TextFormat::Parser parser;
  FirstTextFormatError errors(path);
  parser.RecordErrorsTo(&errors);
  google::protobuf::TextFormat::ParseInfoTree locations;
  parser.WriteLocationsTo(&locations);
  v1::Profile definition;
  if (!parser.ParseFromString(text.str(), &definition)) {
    error = errors.first().empty() ? path + ": not a valid profile" : errors.first();
    return false;
  }
  // "FILE:LINE:COLUMN: field: message" where the field (or the message
  // holding it) was written.
  auto located = [&](const std::string& problem) {
    const std::string field = problem.substr(0, problem.find(':'));
    auto where = Locate(&locations, v1::Profile::descriptor(), field);
    if (where.line < 0) return path + ": " + problem;
    return path + ":" + std::to_string(where.line + 1) + ":" + std::to_string(where.column + 1) +
           ": " + problem;
  };
  std::string problem = Validate(definition);
  if (problem.empty()) problem = ValidateSummary(definition);
  if (problem.empty())
    if (std::string s = PageCategories::Validate(definition.structure()); !s.empty())
      problem = "structure: " + s;
  if (!problem.empty()) {
    error = located(problem);
    return false;
  }
  Profile p = FromProto(definition);
  std::string template_bytes;
  if (p.form) {
    if (problem = AttachTemplate(path, definition.form(), *p.form, template_bytes); !problem.empty()) {
      error = located(problem);
      return false;
    }
  }
  p.version = VersionOf(definition, template_bytes);
  out.profile = std::make_shared<const Profile>(std::move(p));
  out.definition = std::move(definition);
  out.path = path;
  return true;
}

bool ProfileStore::LoadFolder(const std::string& dir, std::string& error) {
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    auto ext = entry.path().extension();
    if (entry.is_regular_file() && (ext == ".textproto" || ext == ".pbtxt"))
      files.push_back(entry.path());
  }
  if (ec) {
    error = dir + ": " + ec.message();
    return false;
  }
  std::sort(files.begin(), files.end());
  folder_ = dir;
  for (const auto& file : files) {
    LoadedProfile loaded;
    if (!LoadFile(file.string(), loaded, error)) return false;
    Add(std::move(loaded));
  }
  return true;
}

void ProfileStore::Add(LoadedProfile profile) {
  std::lock_guard lock(*mu_);
  auto next = std::make_shared<Map>(*by_name_);
  std::string name = profile.profile->name;
  (*next)[name] = std::move(profile);
  by_name_ = std::move(next);
}

bool ProfileStore::Reload(std::string& error) {
  if (folder_.empty()) {
    error = "no profiles folder to reload (the server was started without --profiles)";
    return false;
  }
  ProfileStore fresh;
  if (!fresh.LoadFolder(folder_, error)) return false;
  std::lock_guard lock(*mu_);
  by_name_ = fresh.Current();
  return true;
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

std::vector<LoadedProfile> ProfileStore::List() const {
  std::vector<LoadedProfile> out;
  for (const auto& [name, p] : *Current()) out.push_back(p);
  return out;
}

}  // namespace scangate
