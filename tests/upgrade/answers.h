// What the upgrade test compares: everything a client can read about the
// fixture world, read the same way from the server that wrote the fixture
// and from today's server over a copy of its data.
#ifndef PORTRAIT_TESTS_UPGRADE_ANSWERS_H_
#define PORTRAIT_TESTS_UPGRADE_ANSWERS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "tests/random_world.h"
#include "tests/test_server.h"

namespace portrait {

// The fixture's clock, when it was written and when it is read back.
inline constexpr int64_t kUpgradeFixtureNowMs =
    RandomWorld::kStartMs + 3'600'000;

// One line per answer, "<method> <key>: <response>", for every user of the
// world: GetConsent, every page of GetConsentHistory, GetErasureStatus of
// every receipt the history names, GetProfile, GetEventSummary and the first
// page of Recommend on each surface. Floating-point fields are rounded to
// 1e-4 (scores are recomputed on read, possibly by other instructions). A
// failed call is an answer too: its status code and message.
std::vector<std::string> ReadEverything(TestServer& portrait);

}  // namespace portrait

#endif  // PORTRAIT_TESTS_UPGRADE_ANSWERS_H_
