// Status propagation macros. Debian's Abseil (20220623) has none of its own.
#ifndef PORTRAIT_BASE_STATUS_MACROS_H_
#define PORTRAIT_BASE_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Evaluates `expr` (an absl::Status); returns it from the enclosing function
// if it is not OK.
#define PORTRAIT_RETURN_IF_ERROR(expr)                   \
  do {                                                   \
    ::absl::Status portrait_status_ = (expr);            \
    if (!portrait_status_.ok()) return portrait_status_; \
  } while (0)

#define PORTRAIT_STATUS_CONCAT_INNER_(a, b) a##b
#define PORTRAIT_STATUS_CONCAT_(a, b) PORTRAIT_STATUS_CONCAT_INNER_(a, b)

// Evaluates `rexpr` (an absl::StatusOr<T>); returns its status from the
// enclosing function if it is not OK, else moves the value into `lhs`, which
// may be a declaration: PORTRAIT_ASSIGN_OR_RETURN(auto x, MakeX());
#define PORTRAIT_ASSIGN_OR_RETURN(lhs, rexpr) \
  PORTRAIT_ASSIGN_OR_RETURN_IMPL_(            \
      PORTRAIT_STATUS_CONCAT_(portrait_statusor_, __LINE__), lhs, rexpr)

#define PORTRAIT_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                    \
  if (!statusor.ok()) return std::move(statusor).status();    \
  lhs = std::move(statusor).value()

#endif  // PORTRAIT_BASE_STATUS_MACROS_H_
