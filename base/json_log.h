// Structured logs: one JSON object a line on stdout, for machines first.
//
//   JsonLog("model_trained").Add("version", 7).Add("ms", 1200).Write();
//   {"ts":"2026-12-02T20:40:01.123Z","event":"model_trained","version":7,...}
//
// Only ids, counts, codes and times belong in a log line: never an event's
// content, a contact, a location or a search text (docs/OPERATIONS.md, "Logs").
#ifndef PORTRAIT_BASE_JSON_LOG_H_
#define PORTRAIT_BASE_JSON_LOG_H_

#include <cstdint>
#include <cstdio>
#include <string>

#include "absl/strings/string_view.h"

namespace portrait {

class JsonLog {
 public:
  // `event` names what happened (a lower_snake_case word).
  explicit JsonLog(absl::string_view event);

  JsonLog& Add(absl::string_view key, absl::string_view value);
  JsonLog& Add(absl::string_view key, const char* value) {
    return Add(key, absl::string_view(value));
  }
  JsonLog& Add(absl::string_view key, const std::string& value) {
    return Add(key, absl::string_view(value));
  }
  JsonLog& Add(absl::string_view key, int64_t value);
  JsonLog& Add(absl::string_view key, int value) {
    return Add(key, static_cast<int64_t>(value));
  }
  JsonLog& Add(absl::string_view key, double value);

  // Writes the line with one call and flushes; lines of several threads
  // never interleave.
  void Write(FILE* out = stdout);

 private:
  std::string line_;
};

// `text` as a JSON string literal, quotes included.
std::string JsonQuote(absl::string_view text);

}  // namespace portrait

#endif  // PORTRAIT_BASE_JSON_LOG_H_
