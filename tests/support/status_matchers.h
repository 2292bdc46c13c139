#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"

namespace ldgs::testing {

inline const absl::Status& StatusOf(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

// Fails the test with the status message unless `expr` is OK.
#define ASSERT_OK(expr)                                       \
  do {                                                        \
    const auto& ldgs_result_ = (expr);                        \
    ASSERT_TRUE(::ldgs::testing::StatusOf(ldgs_result_).ok()) \
        << ::ldgs::testing::StatusOf(ldgs_result_).message(); \
  } while (0)

}  // namespace ldgs::testing
