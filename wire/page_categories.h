// Page classification against a profile's archive structure
// (Profile.structure): which category each page of a batch is filed under,
// and the batch rule on the pages per category.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "pipeline/pattern.h"
#include "scangate/v1/profile.pb.h"
#include "scangate/v1/verdict.pb.h"

namespace scangate {

class PageCategories {
 public:
  PageCategories() = default;
  // Checks the structure and compiles its patterns, once: a profile's
  // categories are built when the profile is loaded (ProfileStore), and
  // copies share the compiled patterns.
  explicit PageCategories(const v1::ArchiveStructure& structure);

  // Empty when the structure is fine, else its first problem; problem_field()
  // then names the field it was found at, below the structure
  // ("categories[1].separator_pattern"; empty: the structure as a whole).
  const std::string& problem() const { return problem_; }
  const std::string& problem_field() const { return problem_field_; }

  // False when the profile declares no categories: nothing is classified.
  bool enabled() const { return !order_.empty(); }
  bool Known(const std::string& name) const { return by_name_.count(name) > 0; }

  // Files `page` from its own evidence and what came before it. A page
  // carrying a barcode that matches a separator_pattern is a separator sheet
  // and opens that category. Otherwise: the clerk's `hint` (a category name;
  // empty: none) recorded with `operator_id`; else a barcode matching a
  // category's barcode_pattern; else the summary sheet's category; else the
  // category `last_separator` (the batch's last separator sheet before the
  // page, or null) opened. An unknown hint rejects the page (CATEGORY_MISSING).
  void Classify(v1::PageVerdict& page, const std::string& hint, const std::string& operator_id,
                const v1::PageVerdict* last_separator) const;

  // The clerk's correction: files the page under `name` (known).
  static void SetByClerk(v1::PageVerdict& page, const std::string& name,
                         const std::string& operator_id);

  // Batch reasons: CATEGORY_COUNT for each category whose counted pages (its
  // own and its sub-categories', separator sheets left out) fall outside
  // min..max, CATEGORY_MISSING for a counted page without a category where
  // the structure requires one.
  std::vector<v1::Reason> CheckCounts(const std::vector<v1::PageVerdict>& pages) const;

  // Validation at profile load: names unique and non-empty, patterns ones
  // RE2 takes, min <= max. Empty when fine, else the problem.
  static std::string Validate(const v1::ArchiveStructure& structure);

 private:
  struct Node {
    v1::ArchiveCategory category;  // a copy: the object stays copyable
    std::string parent;  // empty at the top
    Pattern separator;   // compiled category.separator_pattern
    Pattern barcode;     // compiled category.barcode_pattern
  };
  void Add(const v1::ArchiveCategory& c, const std::string& parent, const std::string& field);

  v1::ArchiveStructure structure_;
  std::string problem_;
  std::string problem_field_;
  std::vector<std::string> order_;       // depth-first, as declared
  std::map<std::string, Node> by_name_;
};

}  // namespace scangate
