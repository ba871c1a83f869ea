// See page_categories.h.
#include "wire/page_categories.h"

#include <utility>

namespace scangate {
namespace {

// An empty pattern files no page; text past Pattern::kMaxTextBytes matches none.
bool Matches(const Pattern& pattern, const std::string& text) {
  return !pattern.empty() && !text.empty() && pattern.FullMatch(text);
}

bool Counted(const v1::PageVerdict& p) {
  return p.error().empty() && !p.blank().blank() && !p.separator_sheet();
}

}  // namespace

PageCategories::PageCategories(const v1::ArchiveStructure& structure) : structure_(structure) {
  for (int i = 0; i < structure_.categories_size(); ++i)
    Add(structure_.categories(i), "", "categories[" + std::to_string(i) + "]");
}

void PageCategories::Add(const v1::ArchiveCategory& c, const std::string& parent,
                         const std::string& field) {
  auto refuse = [&](std::string problem, std::string at) {
    if (!problem_.empty()) return;  // the first one is reported
    problem_ = std::move(problem);
    problem_field_ = std::move(at);
  };
  if (c.name().empty()) refuse("a category has no name", field);
  else if (by_name_.count(c.name())) refuse("category '" + c.name() + "' is declared twice", field);
  else if (c.max_pages() > 0 && c.min_pages() > c.max_pages())
    refuse("category '" + c.name() + "': min_pages is above max_pages", field + ".min_pages");
  Node node{c, parent, Pattern(c.separator_pattern()), Pattern(c.barcode_pattern())};
  for (auto [pattern, name] : {std::pair{&node.separator, "separator_pattern"},
                               std::pair{&node.barcode, "barcode_pattern"}})
    if (!pattern->ok())
      refuse("category '" + c.name() + "': " + name + " '" + pattern->source() +
                 "' is not a regex RE2 takes: " + pattern->error(),
             field + "." + name);
  node.category.clear_categories();  // the sub-categories are nodes of their own
  if (!by_name_.count(c.name())) {
    order_.push_back(c.name());
    by_name_.emplace(c.name(), std::move(node));
  }
  for (int i = 0; i < c.categories_size(); ++i)
    Add(c.categories(i), c.name(), field + ".categories[" + std::to_string(i) + "]");
}

std::string PageCategories::Validate(const v1::ArchiveStructure& structure) {
  return PageCategories(structure).problem();
}

void PageCategories::SetByClerk(v1::PageVerdict& page, const std::string& name,
                                const std::string& operator_id) {
  page.set_category(name);
  page.set_category_source(v1::CLERK);
  page.set_category_operator(operator_id);
}

void PageCategories::Classify(v1::PageVerdict& page, const std::string& hint,
                              const std::string& operator_id,
                              const v1::PageVerdict* last_separator) const {
  page.clear_category();
  page.clear_category_source();
  page.clear_category_operator();
  page.clear_separator_sheet();
  if (!enabled()) return;
  // A separator sheet opens its category for the pages after it.
  if (page.error().empty()) {
    for (const std::string& name : order_) {
      const Node& node = by_name_.at(name);
      for (const v1::BarcodeMeasurement& b : page.barcodes())
        if (!b.unreadable() && Matches(node.separator, b.text())) {
          page.set_separator_sheet(true);
          page.set_category(name);
          page.set_category_source(v1::SEPARATOR_SHEET);
          return;
        }
    }
  }
  if (!hint.empty()) {
    if (Known(hint)) return SetByClerk(page, hint, operator_id);
    page.set_decision(v1::REJECT);
    v1::Reason* r = page.add_reasons();
    r->set_code(v1::CATEGORY_MISSING);
    r->set_detail("the clerk's category '" + hint + "' is not in the profile's structure");
    return;
  }
  if (page.error().empty()) {
    for (const std::string& name : order_) {
      const Node& node = by_name_.at(name);
      for (const v1::BarcodeMeasurement& b : page.barcodes())
        if (!b.unreadable() && Matches(node.barcode, b.text())) {
          page.set_category(name);
          page.set_category_source(v1::PAGE_BARCODE);
          return;
        }
    }
    if (page.summary_sheet())
      for (const std::string& name : order_)
        if (by_name_.at(name).category.summary_sheet()) {
          page.set_category(name);
          page.set_category_source(v1::SUMMARY_SHEET_FORM);
          return;
        }
  }
  // The category the last separator sheet opened carries on.
  if (last_separator && last_separator->separator_sheet() && Known(last_separator->category())) {
    page.set_category(last_separator->category());
    page.set_category_source(v1::SEPARATOR_SHEET);
  }
}

std::vector<v1::Reason> PageCategories::CheckCounts(const std::vector<v1::PageVerdict>& pages) const {
  std::vector<v1::Reason> reasons;
  if (!enabled()) return reasons;
  std::map<std::string, unsigned> counts;
  for (const v1::PageVerdict& p : pages) {
    if (!Counted(p)) continue;
    if (p.category().empty() || !Known(p.category())) {
      if (structure_.require_category()) {
        v1::Reason r;
        r.set_code(v1::CATEGORY_MISSING);
        r.set_detail(p.category().empty()
                         ? "the page (" + p.source() + ") is filed under no category"
                         : "the page's category '" + p.category() + "' is not in the profile");
        r.set_page(p.page_index());
        reasons.push_back(std::move(r));
      }
      continue;
    }
    // A page counts for its category and every category above it.
    for (std::string name = p.category(); !name.empty(); name = by_name_.at(name).parent)
      ++counts[name];
  }
  for (const std::string& name : order_) {
    const v1::ArchiveCategory& c = by_name_.at(name).category;
    const unsigned n = counts[name];
    const bool too_few = n < c.min_pages();
    const bool too_many = c.max_pages() > 0 && n > c.max_pages();
    if (!too_few && !too_many) continue;
    v1::Reason r;
    r.set_code(v1::CATEGORY_COUNT);
    r.set_zone(name);
    r.set_detail("category " + name + (c.label().empty() ? "" : " (" + c.label() + ")") + ": " +
                 std::to_string(n) + " pages, " + std::to_string(c.min_pages()) +
                 (c.max_pages() ? "-" + std::to_string(c.max_pages()) : "+") + " expected");
    reasons.push_back(std::move(r));
  }
  return reasons;
}

}  // namespace scangate
