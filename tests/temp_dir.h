// Test helpers for files: a temporary directory removed at scope exit.
#ifndef PORTRAIT_TESTS_TEMP_DIR_H_
#define PORTRAIT_TESTS_TEMP_DIR_H_

#include <string>

#include "absl/strings/string_view.h"

namespace portrait {

// Creates a fresh directory under $TEST_TMPDIR (or /tmp); removes it and all
// it holds on destruction. Aborts the test binary if it cannot be created.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Writes `contents` to `path`, replacing it; false on any error.
bool WriteFile(const std::string& path, absl::string_view contents);

}  // namespace portrait

#endif  // PORTRAIT_TESTS_TEMP_DIR_H_
