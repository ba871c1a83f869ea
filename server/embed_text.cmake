# Build step: writes OUT, a C++ header holding the text of IN as the
# std::string_view NAME (a raw string literal), so the server carries its
# dashboard page with it and needs no files at run time.
file(READ "${IN}" text)
get_filename_component(source "${IN}" NAME)
file(WRITE "${OUT}.tmp"
  "// Generated at build time from ${source}; edit that file instead.\n"
  "#pragma once\n#include <string_view>\nnamespace scangate {\n"
  "inline constexpr std::string_view ${NAME} = R\"scangate_embed(${text})scangate_embed\";\n"
  "}  // namespace scangate\n")
file(RENAME "${OUT}.tmp" "${OUT}")
