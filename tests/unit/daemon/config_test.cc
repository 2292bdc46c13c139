#include "daemon/config.h"

#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_records.h"
#include "toml++/toml.h"

namespace ldgs::daemon {
namespace {

using ::testing::HasSubstr;

class ConfigTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& text) {
    std::ofstream(dir_.Sub("ldgsd.toml")) << text;
    return dir_.Sub("ldgsd.toml");
  }
  std::string ErrorOf(const std::string& text) {
    auto config = LoadConfig(Write(text));
    EXPECT_TRUE(absl::IsInvalidArgument(config.status())) << text;
    return std::string(config.status().message());
  }
  ldgs::testing::TempDir dir_;
};

TEST_F(ConfigTest, ReadsEveryKey) {
  auto config = LoadConfig(Write(R"(
data_dir = "/srv/ldgs"
role = "hub"
admin_listen = "127.0.0.1:9000"
listen = "0.0.0.0:9001"
log_level = "debug"
[limits]
max_record_bytes = 1000
max_tags = 5
)"));
  ASSERT_OK(config);
  EXPECT_EQ(config->data_dir, "/srv/ldgs");
  EXPECT_EQ(config->role, v1::ROLE_HUB);
  EXPECT_EQ(config->admin_listen, "127.0.0.1:9000");
  EXPECT_EQ(config->listen, "0.0.0.0:9001");
  EXPECT_EQ(config->limits.max_record_bytes, 1000u);
  EXPECT_EQ(config->limits.max_tags, 5u);
}

TEST_F(ConfigTest, FormattedConfigReadsBack) {
  NodeConfig config;
  config.data_dir = "/var/lib/ldgs";
  config.role = v1::ROLE_HUB;
  auto read = LoadConfig(Write(FormatConfig(config)));
  ASSERT_OK(read);
  EXPECT_EQ(read->data_dir, config.data_dir);
  EXPECT_EQ(read->role, v1::ROLE_HUB);
  EXPECT_EQ(read->admin_listen, config.admin_listen);
}

TEST_F(ConfigTest, StorageMemoryAndTheBurstAreReadAndBounded) {
  auto config =
      LoadConfig(Write("[storage]\nmemory_mb = 256\n[replication]\nburst_records = 5000\n"));
  ASSERT_OK(config);
  EXPECT_EQ(config->store.memory_mb, 256u);
  EXPECT_EQ(config->batch_limits.burst_records, 5000u);
  EXPECT_TRUE(LoadConfig(Write("[storage]\nmemory_mb = 16\n")).ok());
  EXPECT_THAT(ErrorOf("[storage]\nmemory_mb = 15"), HasSubstr("'memory_mb' must be 16 to 1048576"));
  EXPECT_THAT(ErrorOf("[storage]\nmemory_mb = 1048577"), HasSubstr("must be 16 to 1048576"));
  EXPECT_THAT(ErrorOf("[replication]\nburst_records = -5"), HasSubstr("burst_records"));
}

TEST_F(ConfigTest, ErrorsNameTheProblem) {
  EXPECT_THAT(ErrorOf("data_dir = \"x\"\nrole = \n"), HasSubstr(":2:"));
  EXPECT_THAT(ErrorOf("colour = \"blue\""), HasSubstr("unknown key 'colour'"));
  EXPECT_THAT(ErrorOf("listen = 7700"), HasSubstr("'listen' has the wrong type"));
  EXPECT_THAT(ErrorOf("role = \"boss\""),
              HasSubstr("'role' must be 'chapter' or 'hub', not 'boss'"));
  EXPECT_THAT(ErrorOf("[limits]\nmax_tags = -1"), HasSubstr("must be positive"));
  EXPECT_TRUE(absl::IsNotFound(LoadConfig(dir_.Sub("missing.toml")).status()));
}

// A typo anywhere (a section, a [[peers]] table) is refused with the file and line, never
// ignored: `min_reportng` would leave the privacy threshold at its default.
TEST_F(ConfigTest, AnUnknownKeyInAnySectionIsRefusedWithItsLine) {
  const std::string file = dir_.Sub("ldgsd.toml");
  struct Case {
    std::string text;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"role = \"hub\"\nlsten = \"x\"\n",
       file + ":2: unknown key 'lsten' (did you mean 'listen'?)"},
      {"[hub]\nmin_reporting = 5\nmin_reportng = 50\n",
       file + ":3: [hub] unknown key 'min_reportng' (did you mean 'min_reporting'?)"},
      {"[limits]\n\nmax_tagz = 3\n", file + ":3: [limits] unknown key 'max_tagz' (did you mean"},
      {"[replication]\nburst = 5\n", file + ":2: [replication] unknown key 'burst'"},
      {"[storage]\nmemory = 64\n", file + ":2: [storage] unknown key 'memory'"},
      {"[tls]\nca = \"a\"\ncrt = \"b\"\n", file + ":3: [tls] unknown key 'crt'"},
      {"[[peers]]\nnode_id = \"A\"\naddress = \"h:1\"\n[[peers]]\nnode_id = \"B\"\n"
       "address = \"h:2\"\nrelaton = \"hub\"\n",
       file + ":7: [[peers]] 2 unknown key 'relaton' (did you mean 'relation'?)"},
      {"colour = \"blue\"\n", file + ":1: unknown key 'colour'"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(ErrorOf(c.text), HasSubstr(c.expected)) << c.text;
  }
  // A section's own name mistyped is an unknown top-level key.
  EXPECT_THAT(ErrorOf("[replicaton]\nburst_records = 5\n"),
              HasSubstr(file + ":1: unknown key 'replicaton' (did you mean 'replication'?)"));
  // No hint when nothing known is close.
  EXPECT_THAT(ErrorOf("[hub]\nzzzzzz = 1\n"), ::testing::Not(HasSubstr("did you mean")));
}

TEST_F(ConfigTest, HubSettingsAreRead) {
  auto config = LoadConfig(
      Write("[hub]\nmin_reporting = 50\nsuppress_below = 20\npublish_delay_hours = 5\n"));
  ASSERT_OK(config);
  EXPECT_EQ(config->rollups.min_reporting, 50u);
  EXPECT_EQ(config->rollups.suppress_below, 20.0);
  EXPECT_EQ(config->rollups.publish_delay_us, 5LL * 3600 * 1000000);
}

TEST_F(ConfigTest, AWrongTypeOrBoundNamesItsLineAndSection) {
  const std::string file = dir_.Sub("ldgsd.toml");
  EXPECT_THAT(ErrorOf("[hub]\n\nmin_reporting = \"five\"\n"),
              HasSubstr(file + ":3: [hub] 'min_reporting' has the wrong type"));
  EXPECT_THAT(ErrorOf("[hub]\nmin_reporting = 2\n"),
              HasSubstr(file + ":2: [hub] 'min_reporting' must be at least 3"));
  EXPECT_THAT(ErrorOf("hub = 5\n"), HasSubstr(file + ":1: 'hub' must be a [hub] table"));
  // Values that would wrap when narrowed: 2^32 + 1 reporting chapters would become 1.
  EXPECT_THAT(ErrorOf("[hub]\nmin_reporting = 4294967297\n"),
              HasSubstr(file + ":2: [hub] 'min_reporting' must be at most 1000000"));
  EXPECT_THAT(ErrorOf("[replication]\nmax_message_bytes = 2147483648\n"),
              HasSubstr(":2: [replication] 'max_message_bytes' must be at most"));
  EXPECT_THAT(ErrorOf("[replication]\nstream_lifetime_s = 99999999999\n"),
              HasSubstr("'stream_lifetime_s' must be at most"));
  EXPECT_THAT(ErrorOf("[[peers]]\nnode_id = \"A\"\n"),
              HasSubstr(file + ":1: [[peers]] 1 needs node_id and address"));
}

// The example holds every setting the loader reads, and nothing else: each key of the file
// (listed here by walking the TOML, not by the loader) is one the loader asked for, and
// every key it asked for is in the file. The file loads and passes the checks of `run`.
TEST_F(ConfigTest, TheExampleConfigHoldsEverySettingAndIsValid) {
  const std::string example = std::string(LDGS_SOURCE_DIR) + "/deploy/ldgsd.example.toml";
  std::vector<std::string> asked;
  absl::StatusOr<NodeConfig> config = LoadConfig(example, &asked);
  ASSERT_OK(config);
  absl::Status valid = ValidateConfig(*config);
  EXPECT_TRUE(valid.ok()) << valid.message();
  std::set<std::string> in_file;
  const toml::table table = toml::parse_file(example);
  for (const auto& [key, node] : table) {
    const std::string name(key.str());
    in_file.insert(name);
    if (const toml::table* section = node.as_table()) {
      for (const auto& [sub, value] : *section)
        in_file.insert("[" + name + "]." + std::string(sub.str()));
    } else if (const toml::array* list = node.as_array()) {
      for (size_t i = 0; i < list->size(); ++i) {
        for (const auto& [sub, value] : *list->get(i)->as_table()) {
          in_file.insert("[[" + name + "]] " + std::to_string(i + 1) + "." +
                         std::string(sub.str()));
        }
      }
    }
  }
  EXPECT_EQ(in_file, std::set<std::string>(asked.begin(), asked.end()));
  // Its values are the defaults it says they are.
  const NodeConfig defaults;
  EXPECT_EQ(config->role, defaults.role);
  EXPECT_EQ(config->admin_listen, defaults.admin_listen);
  EXPECT_EQ(config->listen, defaults.listen);
  EXPECT_EQ(config->http_listen, kDefaultHttpListen);
  EXPECT_EQ(config->log_level, defaults.log_level);
  EXPECT_EQ(config->insecure, defaults.insecure);
  EXPECT_EQ(config->limits.max_record_bytes, defaults.limits.max_record_bytes);
  EXPECT_EQ(config->limits.max_id_bytes, defaults.limits.max_id_bytes);
  EXPECT_EQ(config->limits.max_short_text_bytes, defaults.limits.max_short_text_bytes);
  EXPECT_EQ(config->limits.max_long_text_bytes, defaults.limits.max_long_text_bytes);
  EXPECT_EQ(config->limits.max_tags, defaults.limits.max_tags);
  EXPECT_EQ(config->limits.max_tag_bytes, defaults.limits.max_tag_bytes);
  EXPECT_EQ(config->limits.min_free_disk_bytes, defaults.limits.min_free_disk_bytes);
  const replication::BatchLimits& b = config->batch_limits;
  EXPECT_EQ(b.max_records, defaults.batch_limits.max_records);
  EXPECT_EQ(b.max_bytes, defaults.batch_limits.max_bytes);
  EXPECT_EQ(b.max_message_bytes, defaults.batch_limits.max_message_bytes);
  EXPECT_EQ(b.max_streams_per_peer, defaults.batch_limits.max_streams_per_peer);
  EXPECT_EQ(b.max_records_per_minute, defaults.batch_limits.max_records_per_minute);
  EXPECT_EQ(b.burst_records, defaults.batch_limits.burst_records);
  EXPECT_EQ(config->reconnect.initial, defaults.reconnect.initial);
  EXPECT_EQ(config->reconnect.max, defaults.reconnect.max);
  EXPECT_EQ(config->reconnect.stream_lifetime, defaults.reconnect.stream_lifetime);
  EXPECT_EQ(config->store.memory_mb, defaults.store.memory_mb);
  EXPECT_EQ(config->store.compress, defaults.store.compress);
  EXPECT_EQ(config->purge_interval, defaults.purge_interval);
  EXPECT_EQ(config->rollups.min_reporting, defaults.rollups.min_reporting);
  EXPECT_EQ(config->rollups.suppress_below, defaults.rollups.suppress_below);
  EXPECT_EQ(config->rollups.publish_delay_us, defaults.rollups.publish_delay_us);
  EXPECT_GT(in_file.size(), 35u);
}

TEST_F(ConfigTest, AdminApiMustStayOnLoopback) {
  NodeConfig config;
  config.data_dir = "/d";
  config.insecure = true;
  EXPECT_TRUE(ValidateConfig(config).ok());
  config.admin_listen = "0.0.0.0:7710";
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateConfig(config)));
  config.admin_listen = "unix:/run/ldgs/admin.sock";
  EXPECT_TRUE(ValidateConfig(config).ok());
  config.insecure = false;  // neither certificates nor an explicit --insecure
  EXPECT_THAT(std::string(ValidateConfig(config).message()), HasSubstr("needs [tls]"));
  config.tls_ca = "/ca.crt";
  config.tls_cert = "/node.crt";
  config.tls_key = "/node.key";
  EXPECT_TRUE(ValidateConfig(config).ok());
  config.log_level = "loud";
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateConfig(config)));
  config.log_level = "info";
  replication::DialPeer hub;
  hub.node_id = std::string(52, 'A');
  hub.address = "h:1";
  config.peers = {hub};
  EXPECT_TRUE(ValidateConfig(config).ok()) << ValidateConfig(config).message();
  config.peers = {hub, hub};
  EXPECT_THAT(std::string(ValidateConfig(config).message()), HasSubstr("listed twice"));
}

}  // namespace
}  // namespace ldgs::daemon
