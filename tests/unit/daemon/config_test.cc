#include "daemon/config.h"

#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_records.h"

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
  EXPECT_THAT(ErrorOf("role = \"boss\""), HasSubstr("role must be"));
  EXPECT_THAT(ErrorOf("[limits]\nmax_tags = -1"), HasSubstr("must be positive"));
  EXPECT_TRUE(absl::IsNotFound(LoadConfig(dir_.Sub("missing.toml")).status()));
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
}

}  // namespace
}  // namespace ldgs::daemon
