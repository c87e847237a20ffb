// Fuzzes the parsing and checking of the two configuration files an
// operator edits: arbitrary text as a ranking configuration and as a consent
// policy. Either is accepted or refused with a status; nothing crashes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "config/ranking_config.h"
#include "services/consent/policy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  portrait::RankingConfig::FromText(text).status().IgnoreError();
  portrait::ConsentPolicy::FromText(text).status().IgnoreError();
  return 0;
}
