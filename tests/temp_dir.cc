#include "tests/temp_dir.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/base/internal/raw_logging.h"

namespace portrait {

TempDir::TempDir() {
  const char* root = std::getenv("TEST_TMPDIR");
  std::string pattern =
      std::string(root != nullptr ? root : "/tmp") + "/portrait.XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    ABSL_RAW_LOG(FATAL, "mkdtemp(%s) failed", pattern.c_str());
  }
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

bool WriteFile(const std::string& path, absl::string_view contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  return static_cast<bool>(out);
}

}  // namespace portrait
