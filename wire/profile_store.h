// Profiles by name: the built-in `default` plus a folder of protobuf text
// files, each validated at load with errors naming file, line and field.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "pipeline/decode/decode.h"
#include "wire/page_categories.h"
#include "pipeline/profile.h"
#include "scangate/v1/profile.pb.h"

namespace scangate {

struct LoadedProfile {
  std::shared_ptr<const Profile> profile;
  v1::Profile definition;
  // The archive structure's categories, patterns compiled once at load.
  std::shared_ptr<const PageCategories> categories;
  std::string path;  // empty for the built-in profile
};

// What a profile file may make the loader read. A profile names files and
// sizes; none of them may cost the server more than this.
struct ProfileLimits {
  // The profile's text.
  static constexpr std::size_t kMaxTextBytes = 1u << 20;
  // A form's blank template: a PNG of the printed form. An A4 form at
  // 600 dpi is 35 Mpx (a few MB as a PNG); checked from the image's header
  // before anything is decoded (decode.h).
  static constexpr DecodeLimits kTemplate{.max_bytes = 32u << 20,
                                          .max_pixels = 50'000'000,
                                          .max_frames = 1};
};

// Find, List and Reload may be called from any thread; LoadFolder and Add
// are for setting the store up.
class ProfileStore {
 public:
  ProfileStore();  // holds the built-in `default`
  ProfileStore(ProfileStore&&) = default;
  ProfileStore& operator=(ProfileStore&&) = default;

  // Parses and validates one file. The error is "FILE:LINE:COLUMN: message"
  // or "FILE: field: message". Never throws,
  // whatever the file holds. Patterns are compiled (RE2); a form's template
  // is read from the profile's own folder only (a relative path, no "..",
  // no symlink out of it, a regular file within ProfileLimits).
  static Expected<LoadedProfile> LoadFile(const std::string& path);
  // The same for a profile's text as read from `path` (whose folder holds
  // its templates).
  static Expected<LoadedProfile> LoadText(const std::string& path, std::string_view text);
  // Adds every *.textproto and *.pbtxt in `dir`; stops at the first bad file.
  // Remembers `dir` for Reload.
  Outcome LoadFolder(const std::string& dir);
  void Add(LoadedProfile profile);

  // Reads the folder LoadFolder was given again, from scratch (the built-in
  // `default` plus its files). All or nothing: on any error (or when no
  // folder was loaded) returns the error and the profiles in force are
  // unchanged. A profile already handed out by Find stays valid.
  Outcome Reload();
  const std::string& folder() const { return folder_; }

  std::shared_ptr<const Profile> Find(const std::string& name) const;
  // The profile as its file declares it (e.g. its archive structure); null if unknown.
  // Shares the loaded set it comes from: a reload does not pull it away.
  std::shared_ptr<const v1::Profile> FindDefinition(const std::string& name) const;
  // The profile's categories, compiled when it was loaded; null if unknown.
  // Copying one is cheap: copies share the compiled patterns.
  std::shared_ptr<const PageCategories> FindCategories(const std::string& name) const;
  std::vector<LoadedProfile> List() const;

 private:
  using Map = std::map<std::string, LoadedProfile>;
  // LoadText's work; may throw (allocation), LoadText catches.
  static Expected<LoadedProfile> Load(const std::string& path, std::string_view text);
  std::shared_ptr<const Map> Current() const;

  // Replaced whole (never changed in place) under the mutex, so readers
  // keep a consistent set while a reload swaps in the next one.
  std::unique_ptr<std::mutex> mu_ = std::make_unique<std::mutex>();
  std::shared_ptr<const Map> by_name_ = std::make_shared<const Map>();
  std::string folder_;
};

}  // namespace scangate
