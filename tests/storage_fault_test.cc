// Storage failures on every write path: the caller gets UNAVAILABLE, nothing
// is half-written, and the same request succeeds once storage recovers.
#include <memory>

#include "base/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/consent/test_policy.h"
#include "services/storage/fault_injecting_store.h"
#include "services/storage/memory_store.h"
#include "tests/consent_harness.h"

namespace portrait {
namespace {

using ::testing::IsEmpty;
using ::testing::SizeIs;

class StorageFaultTest : public ::testing::Test {
 protected:
  StorageFaultTest() {
    auto faulty = std::make_unique<FaultInjectingStore>(&base_);
    faulty_ = faulty.get();
    h_ = std::make_unique<ConsentHarness>(std::move(faulty), &ShippedPolicy());
  }
  int64_t Now() { return h_->clock().NowMillis(); }

  MemoryStore base_;
  FaultInjectingStore* faulty_;
  std::unique_ptr<ConsentHarness> h_;
};

TEST_F(StorageFaultTest, FailedIngestStoresNothingAndRetrySucceeds) {
  v1::Event like = ConsentHarness::MakeEvent("e1", "alice", v1::LIKE, Now());
  faulty_->FailNextWrites(1);
  EXPECT_THAT(h_->Ingest({like}), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(h_->StoredEventIds("alice", v1::LIKE), IsEmpty());
  EXPECT_EQ(h_->IngestOne(like).outcome(), v1::STORED);
}

TEST_F(StorageFaultTest, FailedConsentReadRefusesIngest) {
  v1::Event like = ConsentHarness::MakeEvent("e1", "alice", v1::LIKE, Now());
  faulty_->FailNextReads(1);
  EXPECT_THAT(h_->Ingest({like}), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(h_->StoredEventIds("alice", v1::LIKE), IsEmpty());
}

TEST_F(StorageFaultTest, FailedRevocationChangesNothingAndRetryApplies) {
  ASSERT_EQ(
      h_->IngestOne(ConsentHarness::MakeEvent("e1", "alice", v1::LIKE, Now()))
          .outcome(),
      v1::STORED);
  v1::SetConsentRequest strip = h_->SignalRequest("alice", v1::LIKE, false);
  faulty_->FailNextWrites(1);
  EXPECT_THAT(h_->Set(strip), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(h_->StoredEventIds("alice", v1::LIKE), SizeIs(1));
  EXPECT_EQ(h_->SignalState("alice", v1::LIKE).state(), v1::GRANTED);
  EXPECT_THAT(h_->Ledger("alice"), IsEmpty());
  auto retried = h_->Set(strip);  // Same request id.
  ASSERT_THAT(retried, IsOk());
  EXPECT_FALSE(retried->replayed());
  EXPECT_THAT(h_->StoredEventIds("alice", v1::LIKE), IsEmpty());
  EXPECT_THAT(h_->Ledger("alice"), SizeIs(1));
}

TEST_F(StorageFaultTest, FailedCompactionLeavesTheReceiptPendingForLater) {
  ASSERT_EQ(
      h_->IngestOne(ConsentHarness::MakeEvent("e1", "alice", v1::LIKE, Now()))
          .outcome(),
      v1::STORED);
  auto strip = h_->SetSignal("alice", v1::LIKE, false);
  ASSERT_THAT(strip, IsOk());
  faulty_->FailNextWrites(1);
  EXPECT_THAT(h_->eraser().RunPending(),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_FALSE(h_->ledger().GetErasureStatus(strip->receipt_id())->complete());
  EXPECT_THAT(h_->eraser().RunPending(), IsOkAndHolds(1));
  EXPECT_TRUE(h_->ledger().GetErasureStatus(strip->receipt_id())->complete());
}

TEST_F(StorageFaultTest, FailedRetentionSweepRetriesLater) {
  ASSERT_THAT(h_->SetSignal("alice", v1::SEARCH, false, v1::FREEZE), IsOk());
  h_->clock().AdvanceMillis(int64_t{181} * 24 * 3600 * 1000);
  faulty_->FailNextWrites(1);
  EXPECT_THAT(h_->ledger().ExpireFrozen(),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(h_->SignalState("alice", v1::SEARCH).state(), v1::FROZEN);
  EXPECT_THAT(h_->ledger().ExpireFrozen(), IsOkAndHolds(1));
  EXPECT_EQ(h_->SignalState("alice", v1::SEARCH).state(), v1::STRIPPED);
}

}  // namespace
}  // namespace portrait
