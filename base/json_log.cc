#include "base/json_log.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace portrait {

std::string JsonQuote(absl::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", c);
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

JsonLog::JsonLog(absl::string_view event) {
  absl::StrAppend(&line_, "{\"ts\":",
                  JsonQuote(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ",
                                             absl::Now(), absl::UTCTimeZone())),
                  ",\"event\":", JsonQuote(event));
}

JsonLog& JsonLog::Add(absl::string_view key, absl::string_view value) {
  absl::StrAppend(&line_, ",", JsonQuote(key), ":", JsonQuote(value));
  return *this;
}

JsonLog& JsonLog::Add(absl::string_view key, int64_t value) {
  absl::StrAppend(&line_, ",", JsonQuote(key), ":", value);
  return *this;
}

JsonLog& JsonLog::Add(absl::string_view key, double value) {
  absl::StrAppendFormat(&line_, ",%s:%.3f", JsonQuote(key), value);
  return *this;
}

void JsonLog::Write(FILE* out) {
  line_ += "}\n";
  std::fwrite(line_.data(), 1, line_.size(), out);
  std::fflush(out);
}

}  // namespace portrait
