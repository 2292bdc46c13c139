// Import files as written by the tools chapters use: a spreadsheet saves CSV with CRLF line
// ends, and a quoted field may span lines.
#include "client/import_file.h"

#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace ldgs::client {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<std::vector<ImportRow>> ReadCsv(const std::string& text) {
  std::istringstream in(text);
  return ReadImportFile(in, "stories.csv", ImportFormat::kCsv);
}

TEST(ImportFileTest, AQuotedLineBreakReadsTheSameFromCrlfAndLfFiles) {
  const std::string lf =
      "kind,id,visibility,title,body\n"
      "story,s1,hub,\"Tenants, together\",\"first line\nsecond \"\"quoted\"\" line\"\n"
      "story,s2,hub,Plain,no breaks\n";
  std::string crlf;
  for (char c : lf) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);

  for (const std::string& text : {lf, crlf}) {
    absl::StatusOr<std::vector<ImportRow>> rows = ReadCsv(text);
    ASSERT_OK(rows);
    ASSERT_EQ(rows->size(), 2u);
    const v1::Story& first = (*rows)[0].request.body().story();
    EXPECT_EQ(first.title(), "Tenants, together");
    EXPECT_EQ(first.body(), "first line\nsecond \"quoted\" line");
    EXPECT_EQ((*rows)[1].request.body().story().body(), "no breaks");
    // Lines are physical lines: the second record starts on line 4.
    EXPECT_EQ((*rows)[0].line, 2);
    EXPECT_EQ((*rows)[1].line, 4);
  }
}

TEST(ImportFileTest, AnUnterminatedQuoteRefusesTheFileNamingWhere) {
  absl::StatusOr<std::vector<ImportRow>> rows =
      ReadCsv("kind,id,visibility,title\r\nstory,s1,hub,\"never closed\r\n");
  EXPECT_EQ(rows.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(rows.status().message(), HasSubstr("stories.csv:2"));
  EXPECT_THAT(rows.status().message(), HasSubstr("unterminated quote"));
}

}  // namespace
}  // namespace ldgs::client
