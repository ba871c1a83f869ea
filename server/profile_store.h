// Profiles by name: the built-in `default` plus a folder of protobuf text
// files, each validated at load with errors naming file, line and field.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "profile.h"
#include "scangate/v1/profile.pb.h"

namespace scangate {

struct LoadedProfile {
  std::shared_ptr<const Profile> profile;
  v1::Profile definition;
  std::string path;  // empty for the built-in profile
};

class ProfileStore {
 public:
  ProfileStore();  // holds the built-in `default`

  // Parses and validates one file. On failure returns false and sets `error`
  // to "FILE:LINE:COLUMN: message" or "FILE: field: message".
  static bool LoadFile(const std::string& path, LoadedProfile& out, std::string& error);
  // Adds every *.textproto and *.pbtxt in `dir`; stops at the first bad file.
  bool LoadFolder(const std::string& dir, std::string& error);
  void Add(LoadedProfile profile);

  std::shared_ptr<const Profile> Find(const std::string& name) const;
  // The profile as its file declares it (e.g. its archive structure); null if unknown.
  const v1::Profile* FindDefinition(const std::string& name) const;
  std::vector<LoadedProfile> List() const;

 private:
  std::map<std::string, LoadedProfile> by_name_;
};

}  // namespace scangate
