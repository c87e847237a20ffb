#include "services/server/portrait_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/json_log.h"
#include "base/metrics.h"
#include "base/status_macros.h"
#include "base/text_proto.h"
#include "config/ranking_config.h"
#include "services/cluster/peer_erasure.h"
#include "services/cluster/shard_layout.h"
#include "services/consent/consent_ledger.h"
#include "services/consent/disk_eraser.h"
#include "services/consent/policy.h"
#include "services/consent/shipped_policy.h"
#include "services/grpc/access_control.h"
#include "services/grpc/access_log.h"
#include "services/grpc/admin_service.h"
#include "services/grpc/call_limiter.h"
#include "services/grpc/consent_service.h"
#include "services/grpc/ingest_service.h"
#include "services/grpc/profile_service.h"
#include "services/grpc/push_service.h"
#include "services/grpc/recommend_service.h"
#include "services/grpc/service_metrics.h"
#include "services/grpc/shard_guard.h"
#include "services/grpc/shard_service.h"
#include "services/ingest/catalog_writer.h"
#include "services/ingest/contacts.h"
#include "services/ingest/event_ingestor.h"
#include "services/ingest/validation.h"
#include "services/locking/user_locks.h"
#include "services/model/model_trainer.h"
#include "services/portrait/portrait_index.h"
#include "services/push/check_in.h"
#include "services/recommend/recommender.h"
#include "services/rights/user_export.h"
#include "services/server/background_worker.h"
#include "services/server/cluster_trainer.h"
#include "services/server/metrics_http.h"
#include "services/server/peer_circles.h"
#include "services/server/peer_sync.h"
#include "services/storage/ids.h"
#include "services/storage/keys.h"
#include "services/storage/rocksdb_store.h"
#include "services/storage/schema.h"

namespace portrait {

namespace {

absl::StatusOr<ConsentPolicy> LoadPolicy(const std::string& path) {
  if (path.empty()) return ConsentPolicy::FromText(kShippedConsentPolicy);
  return ConsentPolicy::Load(path);
}

absl::StatusOr<RankingConfig> LoadRanking(const std::string& path) {
  if (path.empty()) return RankingConfig::Shipped();
  return RankingConfig::Load(path);
}

}  // namespace

PortraitServer::PortraitServer() = default;

absl::StatusOr<std::unique_ptr<PortraitServer>> PortraitServer::Start(
    const Options& options) {
  std::unique_ptr<PortraitServer> server(new PortraitServer());
  PORTRAIT_RETURN_IF_ERROR(server->LoadConfiguration(options));
  PORTRAIT_RETURN_IF_ERROR(server->OpenStorage(options));
  PORTRAIT_RETURN_IF_ERROR(server->BuildCore(options));
  server->StartMaintenance(options);
  PORTRAIT_RETURN_IF_ERROR(server->Serve(options));
  return server;
}

namespace {

// Whether `listen_address` ("host:port") names a loopback host.
bool IsLoopback(absl::string_view listen_address) {
  absl::string_view host = listen_address;
  const size_t colon = host.rfind(':');
  if (colon != absl::string_view::npos) host = host.substr(0, colon);
  if (absl::ConsumePrefix(&host, "[")) absl::ConsumeSuffix(&host, "]");
  return host == "localhost" || host == "::1" || absl::StartsWith(host, "127.");
}

// The listening port's credentials: mutual TLS with the access control, or
// plaintext on loopback when asked for.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFor(
    const PortraitServer::Options& options) {
  const PortraitServer::Options::Tls& tls = options.tls;
  const bool any_tls = !tls.cert_file.empty() || !tls.key_file.empty() ||
                       !tls.client_ca_file.empty() ||
                       !tls.access_config_file.empty();
  if (options.plaintext) {
    if (any_tls) {
      return absl::InvalidArgumentError(
          "plaintext and TLS files were both given; choose one");
    }
    if (!IsLoopback(options.listen_address)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "plaintext serving is only allowed on a loopback address, not ",
          options.listen_address, "; configure TLS (docs/SECURITY.md)"));
    }
    return grpc::InsecureServerCredentials();
  }
  if (tls.cert_file.empty() || tls.key_file.empty() ||
      tls.client_ca_file.empty() || tls.access_config_file.empty()) {
    return absl::InvalidArgumentError(
        "no TLS configured: give --tls_cert_file, --tls_key_file, "
        "--tls_client_ca_file and --access_config (docs/SECURITY.md), or "
        "--plaintext_loopback on a loopback address");
  }
  PORTRAIT_ASSIGN_OR_RETURN(const std::string cert,
                            ReadTextFile(tls.cert_file));
  PORTRAIT_ASSIGN_OR_RETURN(const std::string key, ReadTextFile(tls.key_file));
  PORTRAIT_ASSIGN_OR_RETURN(const std::string ca,
                            ReadTextFile(tls.client_ca_file));
  PORTRAIT_ASSIGN_OR_RETURN(
      std::shared_ptr<AccessControl> access,
      LoadConfigFile(tls.access_config_file, "access configuration",
                     &AccessControl::FromText));
  grpc::SslServerCredentialsOptions ssl(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  ssl.pem_root_certs = ca;
  ssl.pem_key_cert_pairs.push_back({key, cert});
  std::shared_ptr<grpc::ServerCredentials> credentials =
      grpc::SslServerCredentials(ssl);
  credentials->SetAuthMetadataProcessor(std::move(access));
  return credentials;
}

// How a shard calls its peers: plaintext like itself, or with its own
// certificate and key, trusting the CA that signs its callers.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> PeerCredentialsFor(
    const PortraitServer::Options& options) {
  if (options.plaintext) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions ssl;
  PORTRAIT_ASSIGN_OR_RETURN(ssl.pem_root_certs,
                            ReadTextFile(options.tls.client_ca_file));
  PORTRAIT_ASSIGN_OR_RETURN(ssl.pem_private_key,
                            ReadTextFile(options.tls.key_file));
  PORTRAIT_ASSIGN_OR_RETURN(ssl.pem_cert_chain,
                            ReadTextFile(options.tls.cert_file));
  return grpc::SslCredentials(ssl);
}

// The other shards' names, as the layout check and the peer_shards
// component take them.
std::vector<std::string> PeerNames(const PortraitServer::Options& options) {
  std::vector<std::string> names;
  for (const PortraitServer::Options::Peer& peer : options.peers) {
    names.push_back(peer.name);
  }
  return names;
}

}  // namespace

absl::Status PortraitServer::LoadConfiguration(const Options& options) {
  clock_ = options.clock != nullptr ? options.clock : RealClock::Get();
  if (!options.shard_name.empty()) {
    PORTRAIT_RETURN_IF_ERROR(ValidateId(options.shard_name, "shard_name"));
  }
  if (!options.peers.empty() && options.shard_name.empty()) {
    return absl::InvalidArgumentError(
        "peers: given, but shard_name is empty; only a shard has peers");
  }
  for (size_t i = 0; i < options.peers.size(); ++i) {
    const std::string field = absl::StrCat("peers[", i, "]");
    PORTRAIT_RETURN_IF_ERROR(
        ValidateId(options.peers[i].name, absl::StrCat(field, ".name")));
    if (options.peers[i].name == options.shard_name) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ".name: is ", options.shard_name, ", this shard's own"));
    }
    for (size_t j = 0; j < i; ++j) {
      if (options.peers[j].name == options.peers[i].name) {
        return absl::InvalidArgumentError(absl::StrCat(
            field, ".name: ", options.peers[i].name, " is named twice"));
      }
    }
    if (options.peers[i].address.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".address: is empty"));
    }
  }
  PORTRAIT_ASSIGN_OR_RETURN(credentials_, ServerCredentialsFor(options));
  if (!options.peers.empty()) {
    PORTRAIT_ASSIGN_OR_RETURN(peer_credentials_, PeerCredentialsFor(options));
  }
  PORTRAIT_ASSIGN_OR_RETURN(ConsentPolicy policy,
                            LoadPolicy(options.policy_path));
  policy_ = std::make_unique<ConsentPolicy>(std::move(policy));
  PORTRAIT_ASSIGN_OR_RETURN(RankingConfig ranking,
                            LoadRanking(options.ranking_path));
  ranking_ = std::make_unique<RankingConfig>(std::move(ranking));
  if (!options.contact_key.empty()) {
    PORTRAIT_ASSIGN_OR_RETURN(
        ContactHasher contacts,
        ContactHasher::Create(options.contact_key,
                              options.contact_country_code));
    contacts_ = std::make_unique<ContactHasher>(std::move(contacts));
  }
  for (const auto& [value, name] :
       {std::pair{options.max_concurrent_reads, "max_concurrent_reads"},
        std::pair{options.max_concurrent_writes, "max_concurrent_writes"},
        std::pair{options.max_streams_per_caller, "max_streams_per_caller"},
        std::pair{options.max_message_bytes, "max_message_bytes"}}) {
    if (value < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ": is ", value, "; must be at least 1"));
    }
  }
  auto_train_ = options.auto_train;
  retrain_after_ = options.retrain_after;
  retrain_debounce_ = options.retrain_debounce;
  disk_erasure_interval_ = options.disk_erasure_interval;
  retention_sweep_interval_ = options.retention_sweep_interval;
  return absl::OkStatus();
}

absl::Status PortraitServer::OpenStorage(const Options& options) {
  store_ = options.store;
  if (store_ == nullptr) {
    PORTRAIT_ASSIGN_OR_RETURN(
        owned_store_,
        RocksDbStore::Open({.path = options.data_dir,
                            .block_cache_bytes = options.block_cache_bytes}));
    store_ = owned_store_.get();
  }
  PORTRAIT_RETURN_IF_ERROR(CheckOrStampSchema(store_));
  return CheckOrStampLayout(store_, options.shard_name, PeerNames(options));
}

// The core components, each given only what it uses, and the in-memory state
// (portraits, shared models, the serving model) loaded from storage.
absl::Status PortraitServer::BuildCore(const Options& options) {
  locks_ = std::make_unique<UserLocks>();
  index_ = std::make_unique<PortraitIndex>(store_, clock_, policy_.get(),
                                           ranking_.get());
  PORTRAIT_RETURN_IF_ERROR(index_->Load());
  // Peers fetch deltas of this shard's counts.
  if (!options.peers.empty()) index_->KeepChangeLog();
  PortraitIndex* index = index_.get();
  trainer_ = std::make_unique<ModelTrainer>(
      store_, clock_, locks_.get(), index, ranking_.get(),
      ranking_->model_options(), options.training_threads);
  PORTRAIT_RETURN_IF_ERROR(trainer_->Load());
  // In a cluster the lowest-named shard trains over every shard's users.
  if (!options.peers.empty()) {
    peers_ = static_cast<int>(options.peers.size());
    coordinator_ = options.shard_name;
    for (const Options::Peer& peer : options.peers) {
      coordinator_ = std::min(coordinator_, peer.name);
    }
    if (coordinator_ == options.shard_name) {
      cluster_trainer_ = std::make_unique<ClusterTrainer>(
          options.shard_name, trainer_.get(), options.peers, peer_credentials_,
          clock_, ranking_->model_options(), options.training_threads);
    }
    peer_circles_ = std::make_unique<PeerCircleFetcher>(
        options.shard_name, options.peers, peer_credentials_,
        options.peer_circles_timeout);
  }
  recommender_ = std::make_unique<Recommender>(index, trainer_.get(), clock_,
                                               peer_circles_.get());
  push_history_ = std::make_unique<PushHistory>(store_, clock_);
  push_planner_ = std::make_unique<PushPlanner>(
      index, trainer_.get(), push_history_.get(), clock_,
      PushPlanner::Options{options.push_threads}, peer_circles_.get());
  ingestor_ = std::make_unique<EventIngestor>(
      store_, clock_, locks_.get(), policy_.get(), contacts_.get(),
      [index](const std::vector<const v1::Event*>& events) {
        return index->OnEventsStored(events);
      });
  check_in_ = std::make_unique<CheckInDesk>(index, ingestor_.get(), clock_);
  CatalogWriter::Hooks catalog_hooks;
  catalog_hooks.upserted = [index](const auto& items) {
    index->OnItemsUpserted(items);
  };
  catalog_hooks.deleted = [index](const auto& refs) {
    index->OnItemsDeleted(refs);
  };
  if (!options.peers.empty()) {
    catalog_hooks.deleted_elsewhere = [index](absl::string_view account) {
      return index->PeerAccountDeleted(account);
    };
  }
  catalog_ = std::make_unique<CatalogWriter>(
      store_, clock_, locks_.get(), contacts_.get(), std::move(catalog_hooks));
  eraser_ = std::make_unique<DiskEraser>(store_, clock_, locks_.get());

  // Everything that must forget a revoked signal, registered once: the
  // portraits and shared models (at once), the trained model and the
  // database files (later, by the maintenance thread).
  ConsentLedger::Options ledger_options;
  ledger_options.observers = {index, trainer_.get(), eraser_.get()};
  if (!options.shard_name.empty()) {
    // After the index: it notes the counts the index leaves.
    peer_erasure_ = std::make_unique<PeerErasure>(store_, clock_, locks_.get(),
                                                  index, PeerNames(options));
    PORTRAIT_RETURN_IF_ERROR(peer_erasure_->Load());
    ledger_options.observers.push_back(peer_erasure_.get());
  }
  PortraitServer* self = this;
  ledger_options.on_background_work = [self] {
    if (BackgroundWorker* worker = self->maintenance_notify_.load()) {
      worker->Notify();
    }
  };
  ledger_ = std::make_unique<ConsentLedger>(
      store_, clock_, locks_.get(), policy_.get(), std::move(ledger_options));
  return absl::OkStatus();
}

// Work left pending before a restart (or a crash) is picked up at once.
void PortraitServer::StartMaintenance(const Options& options) {
  PortraitServer* self = this;
  maintenance_ = std::make_unique<BackgroundWorker>(
      [self]() -> absl::Duration {
        absl::StatusOr<absl::Duration> next = self->RunMaintenance();
        if (next.ok()) return *next;
        if (!self->stopping_.Check().ok()) return absl::ZeroDuration();
        JsonLog("maintenance_failed")
            .Add("code", static_cast<int>(next.status().code()))
            .Add("error", next.status().message())
            .Write();
        return absl::Seconds(1);
      },
      options.maintenance_interval);
  maintenance_notify_.store(maintenance_.get());
  maintenance_->Notify();
}

absl::Status PortraitServer::Serve(const Options& options) {
  limits_ = std::make_unique<CallLimits>(options.max_concurrent_reads,
                                         options.max_concurrent_writes,
                                         options.max_streams_per_caller);
  metrics_ = std::make_unique<Metrics>();
  service_metrics_ = std::make_unique<ServiceMetrics>(metrics_.get());
  RegisterGauges();
  shard_guard_ = std::make_unique<ShardGuard>(options.shard_name);
  const ShardGuard* shard = shard_guard_.get();
  ingest_service_ = std::make_unique<IngestServiceImpl>(
      ingestor_.get(), catalog_.get(), limits_.get(), service_metrics_.get(),
      shard);
  exporter_ = std::make_unique<UserDataExporter>(
      store_, locks_.get(), ledger_.get(), index_.get(), clock_);
  profile_service_ = std::make_unique<ProfileServiceImpl>(
      store_, index_.get(), clock_, ledger_.get(), exporter_.get(),
      limits_.get(), service_metrics_.get(), shard);
  recommend_service_ = std::make_unique<RecommendServiceImpl>(
      recommender_.get(), limits_.get(), shard);
  consent_service_ = std::make_unique<ConsentServiceImpl>(
      ledger_.get(), service_metrics_.get(), shard);
  push_service_ = std::make_unique<PushServiceImpl>(
      push_planner_.get(), push_history_.get(), check_in_.get(),
      ingestor_.get(), limits_.get(), service_metrics_.get(), shard);
  admin_service_ =
      std::make_unique<AdminServiceImpl>(owned_store_.get(), clock_, shard);
  // One build of this shard's contribution per peer interval, whatever
  // the number of peers asking.
  shard_service_ = std::make_unique<ShardServiceImpl>(
      index_.get(), shard, peer_erasure_.get(), trainer_.get(),
      absl::ToInt64Milliseconds(options.peer_sync_interval));

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  // Without this, Linux lets a second server bind the same port silently.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // The sync server ends a worker thread that finishes a call while this many
  // threads already poll, and starts another when none is left: with the
  // default of 2, concurrent callers made it create and destroy threads
  // continually (Recommend throughput with 2 callers: 4,300/s; with 8:
  // 4,900/s, docs/BENCHMARKS.md).
  builder.SetSyncServerOption(
      grpc::ServerBuilder::SyncServerOption::MAX_POLLERS, 8);
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(
      std::make_unique<CallMetricsFactory>(service_metrics_.get()));
  if (options.access_log) {
    interceptors.push_back(std::make_unique<AccessLogFactory>());
  }
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  builder.AddListeningPort(options.listen_address, credentials_, &port_);
  builder.RegisterService(ingest_service_.get());
  builder.RegisterService(profile_service_.get());
  builder.RegisterService(consent_service_.get());
  builder.RegisterService(recommend_service_.get());
  builder.RegisterService(push_service_.get());
  builder.RegisterService(admin_service_.get());
  builder.RegisterService(shard_service_.get());
  for (grpc::Service* service : options.extra_services) {
    builder.RegisterService(service);
  }
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on ", options.listen_address,
        " (is the port taken by another process, or the address invalid?)"));
  }
  server_->GetHealthCheckService()->SetServingStatus(true);
  if (!options.peers.empty()) {
    // An account deleted on its own shard: its person and posts are erased
    // here too before this shard says it serves that shard's contribution
    // (the deletion receipt's peer_shards component).
    PortraitIndex* index = index_.get();
    CatalogWriter* catalog = catalog_.get();
    peer_sync_ = std::make_unique<PeerSync>(
        options.shard_name, options.peers, peer_credentials_, index,
        options.peer_sync_interval, [index, catalog]() -> absl::Status {
          return catalog->DeleteListed(
              [index] { return index->CatalogOfDeletedPeers(); });
        });
  }
  // Last: its gauges read everything above, peer_sync_ included.
  if (!options.metrics_listen.empty()) {
    PORTRAIT_ASSIGN_OR_RETURN(
        metrics_http_, MetricsHttp::Start(options.metrics_listen,
                                          [this] { return RenderMetrics(); }));
  }
  return absl::OkStatus();
}

absl::StatusOr<absl::Duration> PortraitServer::RunMaintenance() {
  absl::MutexLock lock(&maintenance_mu_);
  PORTRAIT_RETURN_IF_ERROR(ledger_->ExpireFrozen().status());
  const int64_t now_ms = clock_->NowMillis();
  if (now_ms >= next_retention_sweep_ms_) {
    PORTRAIT_RETURN_IF_ERROR(ledger_->ExpireEvents().status());
    next_retention_sweep_ms_ =
        now_ms + absl::ToInt64Milliseconds(retention_sweep_interval_);
  }
  if (now_ms >= next_disk_erasure_ms_) {
    PORTRAIT_RETURN_IF_ERROR(eraser_->RunPending().status());
    next_disk_erasure_ms_ =
        now_ms + absl::ToInt64Milliseconds(disk_erasure_interval_);
  }
  const absl::Duration erasure_due =
      disk_erasure_interval_ == absl::ZeroDuration()
          ? absl::InfiniteDuration()
          : absl::Milliseconds(
                std::max<int64_t>(0, next_disk_erasure_ms_ - now_ms));
  if (!auto_train_) return erasure_due;
  const int64_t retrain_after_ms = absl::ToInt64Milliseconds(retrain_after_);
  const int64_t debounce_ms = absl::ToInt64Milliseconds(retrain_debounce_);
  // A shard other than the coordinator never trains (-1).
  auto due_in_ms = [&]() -> absl::StatusOr<int64_t> {
    if (cluster_trainer_ != nullptr) {
      return cluster_trainer_->DueInMs(retrain_after_ms, debounce_ms);
    }
    if (!coordinator_.empty()) return -1;
    return trainer_->DueInMs(retrain_after_ms, debounce_ms);
  };
  absl::StatusOr<int64_t> due_ms = due_in_ms();
  if (due_ms.ok() && *due_ms == 0) {
    absl::StatusOr<storage::ModelRecord> lineage = TrainLocked();
    if (lineage.ok()) {
      JsonLog("model_trained")
          .Add("version", lineage->version())
          .Add("training_ms", lineage->training_ms())
          .Add("users", lineage->users())
          .Add("interactions", lineage->interactions())
          .Add("receipts_completed", lineage->receipts_covered_size())
          .Add("shards", cluster_trainer_ == nullptr ? 1 : peers_ + 1)
          .Write();
      due_ms = due_in_ms();
    } else {
      due_ms = lineage.status();
    }
  }
  if (!due_ms.ok()) {
    // A shard's failure: the cluster's training waits for it, the rest of
    // maintenance does not. Logged once per distinct error.
    if (cluster_trainer_ == nullptr || !stopping_.Check().ok()) {
      return due_ms.status();
    }
    if (due_ms.status().message() != cluster_training_error_) {
      cluster_training_error_ = std::string(due_ms.status().message());
      JsonLog("cluster_training_failed")
          .Add("code", static_cast<int>(due_ms.status().code()))
          .Add("error", cluster_training_error_)
          .Write();
    }
    due_ms = std::max<int64_t>(1000, debounce_ms);
  } else if (!cluster_training_error_.empty()) {
    JsonLog("cluster_training_recovered").Write();
    cluster_training_error_.clear();
  }
  if (*due_ms != 0) {
    const absl::Time start = absl::Now();
    const int64_t warmed = trainer_->Warm(stopping_);
    if (warmed > 0) {
      JsonLog("model_warmed")
          .Add("users", warmed)
          .Add("ms", absl::ToInt64Milliseconds(absl::Now() - start))
          .Write();
    }
    // Warming stops early when a revocation waits: look again.
    if (absl::StatusOr<int64_t> again = due_in_ms(); again.ok()) {
      due_ms = again;
    }
  }
  // Nothing due now: look again once data that changes meanwhile would be
  // due (ingest does not wake this thread), at the latest at the interval.
  return std::min(erasure_due,
                  *due_ms < 0 ? retrain_after_ : absl::Milliseconds(*due_ms));
}

absl::StatusOr<storage::ModelRecord> PortraitServer::TrainModel() {
  absl::MutexLock lock(&maintenance_mu_);
  return TrainLocked();
}

absl::StatusOr<storage::ModelRecord> PortraitServer::TrainLocked() {
  if (cluster_trainer_ != nullptr) return cluster_trainer_->Train(stopping_);
  if (!coordinator_.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("this shard does not train: shard ", coordinator_,
                     " trains the cluster's model"));
  }
  return trainer_->Train(stopping_);
}

std::shared_ptr<const ServingModel> PortraitServer::serving_model() const {
  return trainer_->current();
}

int64_t PortraitServer::WarmModel() {
  absl::MutexLock lock(&maintenance_mu_);
  return trainer_->Warm(stopping_);
}

PortraitServer::~PortraitServer() { Shutdown(); }

void PortraitServer::Shutdown(absl::Duration grace) {
  absl::MutexLock lock(&shutdown_mu_);
  if (shut_down_) return;
  shut_down_ = true;
  stopping_.Cancel();
  metrics_http_.reset();
  if (server_ != nullptr) {
    server_->GetHealthCheckService()->SetServingStatus(false);
    server_->Shutdown(std::chrono::system_clock::now() +
                      absl::ToChronoMilliseconds(grace));
    server_->Wait();
  }
  peer_sync_.reset();
  maintenance_.reset();
  // Destroying the store flushes and closes RocksDB.
  owned_store_.reset();
}

int PortraitServer::metrics_port() const {
  return metrics_http_ != nullptr ? metrics_http_->port() : 0;
}

std::string PortraitServer::RenderMetrics() const { return metrics_->Render(); }

void PortraitServer::RegisterGauges() {
  using Samples = std::vector<std::pair<LabelValues, double>>;
  const auto model_field = [this](auto read) {
    return [this, read]() -> Samples {
      const std::shared_ptr<const ServingModel> model = trainer_->current();
      if (model == nullptr) return {};
      return {{{}, read(model->lineage)}};
    };
  };
  metrics_->AddGauge("portrait_model_version",
                     "Version of the trained model serving.", {},
                     model_field([](const storage::ModelRecord& r) {
                       return static_cast<double>(r.version());
                     }));
  metrics_->AddGauge(
      "portrait_model_age_seconds", "Time since the serving model was trained.",
      {}, model_field([this](const storage::ModelRecord& r) {
        return (clock_->NowMillis() - r.trained_at_ms()) / 1000.0;
      }));
  metrics_->AddGauge(
      "portrait_model_current",
      "1 if the serving model was trained on the data this server holds now.",
      {}, [this]() -> Samples {
        return {{{}, trainer_->Current() ? 1.0 : 0.0}};
      });
  metrics_->AddGauge("portrait_model_training_seconds",
                     "How long training the serving model took.", {},
                     model_field([](const storage::ModelRecord& r) {
                       return r.training_ms() / 1000.0;
                     }));
  // Receipts with work left: a model that still holds the revoked data, a
  // compaction of its files still to run, or other shards still serving
  // counts with it. Read from storage at each scrape.
  const auto pending = [this]() -> absl::StatusOr<std::vector<std::string>> {
    std::set<std::string> ids;
    for (absl::string_view prefix :
         {kPendingModelPrefix, kPendingCompactionPrefix, kPendingPeersPrefix}) {
      const std::string begin(prefix);
      PORTRAIT_RETURN_IF_ERROR(
          store_->Scan(Column::kMeta, begin, PrefixEnd(begin),
                       [&](absl::string_view key, absl::string_view) {
                         ids.insert(std::string(key.substr(prefix.size())));
                         return true;
                       }));
    }
    return std::vector<std::string>(ids.begin(), ids.end());
  };
  metrics_->AddGauge(
      "portrait_erasure_receipts_pending",
      "Erasure receipts with a component not yet DONE (the trained model, "
      "on-disk compaction, or a cluster's other shards).",
      {}, [pending]() -> Samples {
        absl::StatusOr<std::vector<std::string>> ids = pending();
        if (!ids.ok()) return {};
        return {{{}, static_cast<double>(ids->size())}};
      });
  metrics_->AddGauge(
      "portrait_erasure_oldest_pending_age_seconds",
      "Age of the oldest erasure receipt still pending; 0 when none is.", {},
      [this, pending]() -> Samples {
        absl::StatusOr<std::vector<std::string>> ids = pending();
        if (!ids.ok()) return {};
        int64_t oldest_ms = clock_->NowMillis();
        for (const std::string& id : *ids) {
          absl::StatusOr<v1::GetErasureStatusResponse> status =
              ledger_->GetErasureStatus(id);
          if (status.ok()) {
            oldest_ms = std::min(oldest_ms, status->receipt().created_at_ms());
          }
        }
        return {{{}, (clock_->NowMillis() - oldest_ms) / 1000.0}};
      });
  metrics_->AddGauge(
      "portrait_peer_fetch_age_seconds",
      "On a shard: seconds since each other shard's counts were last "
      "fetched (since the start, if never).",
      {"peer"}, [this]() -> Samples {
        Samples samples;
        if (const PeerSync* sync = peer_sync_.get()) {
          for (const auto& [peer, age] : sync->SecondsSinceFetched()) {
            samples.push_back({{peer}, age});
          }
        }
        return samples;
      });
  metrics_->AddGauge(
      "portrait_change_log_entries",
      "On a shard: changes of its own counts kept for the deltas its peers "
      "fetch; those every peer serves are dropped.",
      {}, [this]() -> Samples {
        if (peer_sync_ == nullptr) return {};
        return {{{}, static_cast<double>(index_->OwnChangesLogged())}};
      });
  if (owned_store_ != nullptr) {
    for (const bool live : {false, true}) {
      metrics_->AddGauge(
          live ? "portrait_rocksdb_live_data_bytes"
               : "portrait_rocksdb_sst_bytes",
          live ? "RocksDB's estimate of the live data of a column family."
               : "Size of a column family's SST files.",
          {"column"}, [this, live]() -> Samples {
            Samples samples;
            for (int c = 0; c < kNumColumns; ++c) {
              const Column column = static_cast<Column>(c);
              const RocksDbStore::ColumnSizes sizes =
                  owned_store_->Sizes(column);
              samples.push_back(
                  {{std::string(ColumnName(column))},
                   static_cast<double>(live ? sizes.live_data_bytes
                                            : sizes.sst_bytes)});
            }
            return samples;
          });
    }
  }
}

}  // namespace portrait
