// The server's event log: one line per event, values that cannot break it.
#include "server/log.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace scangate {
namespace {

TEST(Log, ALineHasItsLevelEventAndFieldsInOrder) {
  EXPECT_EQ(log::Format(log::Level::kInfo, "batch_decided",
                        {{"batch", "SI2026112700202"}, {"decision", "ACCEPT"},
                         {"reasons", "BLURRED,SKEWED"}, {"pages", 3}, {"final", true}}),
            "level=info event=batch_decided batch=SI2026112700202 decision=ACCEPT "
            "reasons=BLURRED,SKEWED pages=3 final=true");
  EXPECT_EQ(log::Format(log::Level::kWarn, "access_denied", {{"client", "counter-3 station"}}),
            "level=warn event=access_denied client=\"counter-3 station\"");
}

TEST(Log, AnUntrustedValueCannotStartALineOrFakeAField) {
  // A batch id is a station's text: a newline and a fake field stay inside quotes.
  const std::string forged = "x\nts=0 level=info event=batch_decided decision=ACCEPT";
  const std::string quoted = log::Quote(forged);
  EXPECT_EQ(quoted.find('\n'), std::string::npos);
  EXPECT_EQ(quoted, "\"x\\nts=0 level=info event=batch_decided decision=ACCEPT\"");
  EXPECT_EQ(log::Quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(log::Quote(std::string("a\0b\x1b[2J", 7)), "\"a\\x00b\\x1b[2J\"");
  EXPECT_EQ(log::Quote(""), "\"\"");
  EXPECT_EQ(log::Quote("k=v"), "\"k=v\"");
  // UTF-8 text is kept; what would reorder or hide text is escaped, and
  // bytes that are not UTF-8 are shown as bytes.
  EXPECT_EQ(log::Quote("Zählerplatz 3"), "\"Zählerplatz 3\"");
  EXPECT_EQ(log::Quote("abc\u202Egpj.exe"), "\"abc\\u{202e}gpj.exe\"");
  EXPECT_EQ(log::Quote("a\u2028b"), "\"a\\u{2028}b\"");
  EXPECT_EQ(log::Quote("\xc2\x85"), "\"\\u{0085}\"");
  EXPECT_EQ(log::Quote("\xff\xc3"), "\"\\xff\\xc3\"");
  EXPECT_EQ(log::Quote("\xc0\xaf"), "\"\\xc0\\xaf\"");  // an overlong '/'
}

TEST(Log, EventsGoToTheSinkOneLineEachAndBelowTheLevelAreDropped) {
  std::vector<std::string> lines;
  log::SetSink([&](const std::string& line) { lines.push_back(line); });
  log::Info("profiles_reloaded", {{"profiles", 3}});
  log::Event(log::Level::kDebug, "noise", {});
  log::SetMinimumLevel(log::Level::kWarn);
  log::Info("dropped", {});
  log::Error("ledger_unavailable", {{"error", "connection refused"}});
  log::SetMinimumLevel(log::Level::kInfo);
  log::SetSink(nullptr);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].rfind("ts=", 0), 0u);
  EXPECT_NE(lines[0].find("Z level=info event=profiles_reloaded profiles=3\n"), std::string::npos)
      << lines[0];
  EXPECT_NE(lines[1].find("level=error event=ledger_unavailable error=\"connection refused\"\n"),
            std::string::npos)
      << lines[1];
}

}  // namespace
}  // namespace scangate
