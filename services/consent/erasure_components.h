// The names of the things that must forget a revoked signal, as erasure
// receipts list them (ErasureComponent.component). Defined once, here; every
// producer and reader of a receipt uses these.
#ifndef PORTRAIT_SERVICES_CONSENT_ERASURE_COMPONENTS_H_
#define PORTRAIT_SERVICES_CONSENT_ERASURE_COMPONENTS_H_

namespace portrait {
namespace erasure {

// The signal's raw events, deleted in the revocation's write batch.
inline constexpr char kRawEvents[] = "raw_events";
// The bytes of those events, gone from the database files after compaction
// (DiskEraser).
inline constexpr char kRawEventsOnDisk[] = "raw_events_on_disk";
// The user's portrait block and the shared models decremented exactly
// inside SetConsent (PortraitIndex).
inline constexpr char kPortrait[] = "portrait";
inline constexpr char kCoEngagement[] = "co_engagement";
inline constexpr char kPopularity[] = "popularity";
inline constexpr char kFollowers[] = "followers";
// The trained model: DONE once a version trained without the data serves
// (ModelTrainer).
inline constexpr char kTrainedModel[] = "trained_model";
// In a cluster, the other shards' copies of this shard's popularity and
// co-engagement counts: DONE once every peer serves counts taken after the
// revocation (PeerErasure).
inline constexpr char kPeerShards[] = "peer_shards";

}  // namespace erasure
}  // namespace portrait

#endif  // PORTRAIT_SERVICES_CONSENT_ERASURE_COMPONENTS_H_
