// PortraitServer: the whole service in one handle. Opens storage, builds the
// core components, and serves them over gRPC (with the standard health
// service and server reflection). Used by portraitd and by tests, which bind
// port 0 and read port().
#ifndef PORTRAIT_SERVICES_SERVER_PORTRAIT_SERVER_H_
#define PORTRAIT_SERVICES_SERVER_PORTRAIT_SERVER_H_

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/cancellation.h"
#include "base/clock.h"
#include "portrait/storage/records.pb.h"
#include "services/server/peer_shard.h"

namespace grpc {
class Server;
class ServerCredentials;
class Service;
}  // namespace grpc

namespace portrait {

class BackgroundWorker;
struct CallLimits;
class CatalogWriter;
class ConsentLedger;
class ConsentPolicy;
class ConsentServiceImpl;
class ContactHasher;
class DiskEraser;
class EventIngestor;
class IngestServiceImpl;
class ModelTrainer;
class PortraitIndex;
class ProfileServiceImpl;
class AdminServiceImpl;
class CheckInDesk;
class PushHistory;
class PushPlanner;
class PushServiceImpl;
class RankingConfig;
class RecommendServiceImpl;
class Recommender;
class Metrics;
class MetricsHttp;
class RocksDbStore;
class ServiceMetrics;
class ShardGuard;
class ShardServiceImpl;
class ClusterTrainer;
struct ServingModel;
class PeerCircleFetcher;
class PeerSync;
class PeerErasure;
class Store;
class UserDataExporter;
class UserLocks;

class PortraitServer {
 public:
  struct Options {
    // host:port to listen on; port 0 picks a free one (see port()).
    std::string listen_address = "127.0.0.1:50051";
    // Mutual TLS (docs/SECURITY.md): PEM files of the server's certificate
    // chain and key, and of the CA that signs callers' certificates; the
    // access configuration (portrait.v1.AccessConfig text) maps each
    // caller's certificate identity to roles. All four, or `plaintext`.
    struct Tls {
      std::string cert_file;
      std::string key_file;
      std::string client_ca_file;
      std::string access_config_file;
    } tls;
    // Serve without TLS and without access control: only allowed on a
    // loopback address (127.0.0.0/8, ::1, localhost), for development,
    // tests and benchmarks.
    bool plaintext = false;
    // One JSON line per finished call on stdout (services/grpc/access_log.h).
    bool access_log = false;
    // This server's name among the shards of a cluster behind a proxy
    // (docs/SCALING.md): it then accepts only calls the proxy routed to it,
    // each about the one user it was routed by (services/grpc/shard_guard.h).
    // Empty: not sharded.
    std::string shard_name;
    // The cluster's other shards, by name, with the address each listens
    // on (reached directly, not through the proxy, with this server's own
    // credentials: plaintext, or its TLS certificate as the client's, the
    // client CA as the peers' CA). Their popularity, co-engagement and follower
    // counts are fetched every `peer_sync_interval` and served summed with
    // this shard's (services/server/peer_sync.h). Requires shard_name.
    using Peer = PeerShard;
    std::vector<Peer> peers;
    absl::Duration peer_sync_interval = absl::Seconds(1);
    // How long an answer waits for the peers' circles of the user's friends
    // (services/server/peer_circles.h).
    absl::Duration peer_circles_timeout = absl::Milliseconds(250);
    // Serves GET /metrics (Prometheus text) on this "host:port" when not
    // empty (services/server/metrics_http.h; docs/OPERATIONS.md#metrics).
    std::string metrics_listen;
    // RocksDB directory; created if missing.
    std::string data_dir = "var/portrait";
    size_t block_cache_bytes = 64 << 20;
    // Storage to use instead of a RocksDB at data_dir (a MemoryStore, or a
    // FaultInjectingStore over RocksDB); must outlive the server, which does
    // not close it. nullptr: RocksDB at data_dir.
    Store* store = nullptr;
    // Time source; nullptr means the system clock. Must outlive the server.
    const Clock* clock = nullptr;
    // Consent policy file (portrait.v1.ConsentPolicy text); empty means the
    // shipped config/consent_policy.textproto compiled into the binary.
    std::string policy_path;
    // Ranking configuration file (portrait.v1.RankingConfig text); empty
    // means the shipped config/ranking.textproto compiled into the binary.
    std::string ranking_path;
    // The key under which contacts are hashed (ReadContactKeyFile reads it
    // from portraitd's --contact_key_file), at least 32 bytes. Empty: no
    // key, and requests that carry contacts are FAILED_PRECONDITION.
    // Changing it makes earlier uploads match nothing (docs/CONTACTS.md).
    std::string contact_key;
    // Calls in progress at once, per class (services/grpc/call_limiter.h);
    // beyond, calls are refused with RESOURCE_EXHAUSTED. Consent calls and
    // health checks are never limited.
    int max_concurrent_reads = 64;
    int max_concurrent_writes = 64;
    // Streams one authenticated caller may hold open at once (beyond, its
    // next is RESOURCE_EXHAUSTED); callers of a plaintext server are not
    // counted.
    int max_streams_per_caller = 8;
    // The largest request message accepted; a larger one is refused with
    // RESOURCE_EXHAUSTED.
    int max_message_bytes = 4 << 20;
    // Calling code assumed for phone numbers without one.
    std::string contact_country_code = "86";
    // How often retention, on-disk erasure and model training run when
    // nothing wakes them.
    absl::Duration maintenance_interval = absl::Seconds(60);
    // On-disk erasure (compacting the key ranges that revocations deleted)
    // runs at most this often, not right after each revocation: a burst of
    // revocations shares the work, and revocations do not compete with
    // compactions (docs/BENCHMARKS.md, "Revocation latency"). Its promised
    // deadline is 24 h. Zero: whenever maintenance runs.
    absl::Duration disk_erasure_interval = absl::Seconds(60);
    // The retention sweep (erasing raw events older than their signal's
    // retention, ConsentLedger::ExpireEvents) reads every event key; it runs
    // at most this often. Zero: whenever maintenance runs.
    absl::Duration retention_sweep_interval = absl::Hours(1);
    // Threads that train the model (its hyper-parameters are in the
    // ranking configuration). The trained factors do not depend on it.
    int training_threads = 2;
    // Threads that plan the users of a push stream.
    int push_threads = 2;
    // Train in the background: when receipts wait for a model, when there is
    // data and no model, and when data changed and `retrain_after` passed.
    // Tests turn it off and call TrainModel().
    bool auto_train = true;
    absl::Duration retrain_after = absl::Minutes(10);
    // After a revocation, retrain no sooner than this after the previous
    // training (revocations in the meantime share one training).
    absl::Duration retrain_debounce = absl::Seconds(5);
    // More gRPC services to serve on the same port (a benchmark's baseline);
    // each must outlive the server.
    std::vector<grpc::Service*> extra_services;
  };

  // Loads the policy and ranking configuration, opens storage, builds the
  // in-memory portraits and shared models from it, and starts serving.
  // Errors: the policy's and the ranking configuration's (NOT_FOUND
  // unreadable, INVALID_ARGUMENT invalid); those of RocksDbStore::Open
  // (FAILED_PRECONDITION when another process holds the data directory) and
  // CheckOrStampSchema (FAILED_PRECONDITION for a database of another layout
  // version); UNAVAILABLE when the address cannot be bound (port taken, bad
  // address).
  static absl::StatusOr<std::unique_ptr<PortraitServer>> Start(
      const Options& options);

  // Shuts down (see Shutdown) if still running.
  ~PortraitServer();

  // The port actually bound.
  int port() const { return port_; }
  // The metrics port bound; 0 without Options.metrics_listen.
  int metrics_port() const;
  // The metrics page as GET /metrics serves it.
  std::string RenderMetrics() const;

  // Runs retention (frozen signals past their deadline; raw events past
  // their signal's retention when `retention_sweep_interval` passed since
  // the last sweep), on-disk erasure (when `disk_erasure_interval` passed
  // since it last ran) and (with auto_train, when due) model training now,
  // on the caller's thread (tests drive time with a FakeClock and call
  // this). Returns how soon to run it again: when training or on-disk
  // erasure will be due, or, when nothing is due yet, `retrain_after` (data
  // may change meanwhile).
  absl::StatusOr<absl::Duration> RunMaintenance();

  // Trains a model version now and returns its lineage. On the
  // coordinating shard of a cluster, a round over every shard
  // (ClusterTrainer); FAILED_PRECONDITION on the other shards.
  absl::StatusOr<storage::ModelRecord> TrainModel();
  // The trained model version this server serves; nullptr before the
  // first.
  std::shared_ptr<const ServingModel> serving_model() const;

  // Computes every user's EMBEDDING candidates under the serving version
  // ahead, as maintenance does after training (answers do not change, only
  // their cost). Returns how many users it computed.
  int64_t WarmModel();

  // Marks the health service NOT_SERVING, stops accepting calls, waits up to
  // `grace` for in-flight calls (cancelling the rest), then flushes and
  // closes storage. Idempotent and thread-safe.
  void Shutdown(absl::Duration grace = absl::Seconds(10));

 private:
  PortraitServer();

  // The steps of Start, in order.
  absl::Status LoadConfiguration(const Options& options);
  absl::Status OpenStorage(const Options& options);
  absl::Status BuildCore(const Options& options);
  void StartMaintenance(const Options& options);
  absl::Status Serve(const Options& options);
  // The gauges of RenderMetrics: the model, pending erasures, storage.
  void RegisterGauges();
  // TrainModel, with maintenance_mu_ held.
  absl::StatusOr<storage::ModelRecord> TrainLocked()
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(maintenance_mu_);

  // Constant after Start.
  int port_ = 0;
  const Clock* clock_ = nullptr;
  std::unique_ptr<ConsentPolicy> policy_;
  std::unique_ptr<RankingConfig> ranking_;
  std::unique_ptr<ContactHasher> contacts_;  // nullptr: no key.
  std::unique_ptr<CallLimits> limits_;
  // The RocksDB the server opened (none when Options.store was given).
  std::unique_ptr<RocksDbStore> owned_store_;
  Store* store_ = nullptr;
  std::unique_ptr<UserLocks> locks_;
  std::unique_ptr<PortraitIndex> index_;
  std::unique_ptr<ModelTrainer> trainer_;
  // In a cluster: the coordinating shard's name (the lowest), the number of
  // peers, and on the coordinator, the cluster's training.
  std::string coordinator_;
  int peers_ = 0;
  std::unique_ptr<ClusterTrainer> cluster_trainer_;
  // On a shard with peers: reads the circles of friends they hold.
  std::unique_ptr<PeerCircleFetcher> peer_circles_;
  // The last error of the cluster's training, logged once; empty while
  // rounds succeed.
  std::string cluster_training_error_ ABSL_GUARDED_BY(maintenance_mu_);
  bool auto_train_ = true;
  absl::Duration retrain_after_;
  absl::Duration retrain_debounce_;
  absl::Duration disk_erasure_interval_;
  absl::Duration retention_sweep_interval_;
  // When the retention sweep may run next (clock ms).
  int64_t next_retention_sweep_ms_ ABSL_GUARDED_BY(maintenance_mu_) = 0;
  // When on-disk erasure may run next (clock ms).
  int64_t next_disk_erasure_ms_ ABSL_GUARDED_BY(maintenance_mu_) = 0;
  std::unique_ptr<Recommender> recommender_;
  std::unique_ptr<PushHistory> push_history_;
  std::unique_ptr<PushPlanner> push_planner_;
  std::unique_ptr<CheckInDesk> check_in_;
  std::unique_ptr<EventIngestor> ingestor_;
  std::unique_ptr<CatalogWriter> catalog_;
  std::unique_ptr<ConsentLedger> ledger_;
  std::unique_ptr<DiskEraser> eraser_;
  std::unique_ptr<UserDataExporter> exporter_;
  std::unique_ptr<ShardGuard> shard_guard_;
  std::unique_ptr<IngestServiceImpl> ingest_service_;
  std::unique_ptr<ProfileServiceImpl> profile_service_;
  std::unique_ptr<ConsentServiceImpl> consent_service_;
  std::unique_ptr<RecommendServiceImpl> recommend_service_;
  std::unique_ptr<PushServiceImpl> push_service_;
  std::unique_ptr<AdminServiceImpl> admin_service_;
  std::unique_ptr<ShardServiceImpl> shard_service_;
  std::unique_ptr<PeerSync> peer_sync_;
  std::unique_ptr<PeerErasure> peer_erasure_;  // Shards only.
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<ServiceMetrics> service_metrics_;
  std::unique_ptr<grpc::Server> server_;
  // Stopped before anything its gauges read goes away.
  std::unique_ptr<MetricsHttp> metrics_http_;
  // The listening port's credentials (TLS with access control, or
  // plaintext on loopback), from LoadConfiguration.
  std::shared_ptr<grpc::ServerCredentials> credentials_;
  // How this shard calls its peers (null without peers).
  std::shared_ptr<grpc::ChannelCredentials> peer_credentials_;
  // Stopped before the store closes. Serialises RunMaintenance with itself.
  std::unique_ptr<BackgroundWorker> maintenance_;
  // maintenance_, published for the ledger's callback once constructed (the
  // worker's first run may call back before maintenance_ is assigned).
  std::atomic<BackgroundWorker*> maintenance_notify_{nullptr};
  absl::Mutex maintenance_mu_;
  // Fired by Shutdown: training and warming under way stop early.
  CancellationFlag stopping_{"the server is shutting down"};

  absl::Mutex shutdown_mu_;
  bool shut_down_ ABSL_GUARDED_BY(shutdown_mu_) = false;
};

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_SERVER_PORTRAIT_SERVER_H_
