#pragma once

#include <cstdio>
#include <cstdlib>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Returns the status from the enclosing function when `expr` is not OK.
#define LDGS_RETURN_IF_ERROR(expr)               \
  do {                                           \
    ::absl::Status ldgs_status_ = (expr);        \
    if (!ldgs_status_.ok()) return ldgs_status_; \
  } while (0)

#define LDGS_CONCAT_INNER(a, b) a##b
#define LDGS_CONCAT(a, b) LDGS_CONCAT_INNER(a, b)

// `LDGS_ASSIGN_OR_RETURN(auto x, F());` assigns the value or returns the error.
#define LDGS_ASSIGN_OR_RETURN(lhs, expr) \
  LDGS_ASSIGN_OR_RETURN_IMPL(LDGS_CONCAT(ldgs_statusor_, __LINE__), lhs, expr)
#define LDGS_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.status();              \
  lhs = std::move(*tmp)

// A broken invariant is a bug: abort with a message rather than limp on.
#define LDGS_CHECK(cond)                                                            \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)
