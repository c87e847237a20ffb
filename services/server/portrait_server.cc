#include "services/server/portrait_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "services/consent/consent_ledger.h"
#include "services/consent/disk_eraser.h"
#include "services/consent/policy.h"
#include "services/consent/shipped_policy.h"
#include "services/grpc/consent_service.h"
#include "services/grpc/ingest_service.h"
#include "services/grpc/profile_service.h"
#include "services/grpc/recommend_service.h"
#include "services/portrait/portrait_index.h"
#include "config/ranking_config.h"
#include "services/recommend/recommender.h"
#include "services/ingest/catalog_writer.h"
#include "services/ingest/event_ingestor.h"
#include "services/model/model_trainer.h"
#include "services/server/background_worker.h"
#include "services/locking/user_locks.h"
#include "services/storage/rocksdb_store.h"
#include "services/storage/schema.h"
#include "services/consent/erasure_components.h"

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
  const Clock* clock =
      options.clock != nullptr ? options.clock : RealClock::Get();
  PORTRAIT_ASSIGN_OR_RETURN(ConsentPolicy policy,
                            LoadPolicy(options.policy_path));
  server->policy_ = std::make_unique<ConsentPolicy>(std::move(policy));
  PORTRAIT_ASSIGN_OR_RETURN(RankingConfig ranking,
                            LoadRanking(options.ranking_path));
  server->ranking_ = std::make_unique<RankingConfig>(std::move(ranking));
  PORTRAIT_ASSIGN_OR_RETURN(
      server->store_,
      RocksDbStore::Open({.path = options.data_dir,
                          .block_cache_bytes = options.block_cache_bytes}));
  Store* store = server->store_.get();
  PORTRAIT_RETURN_IF_ERROR(CheckOrStampSchema(store));
  server->locks_ = std::make_unique<UserLocks>();
  PortraitServer* self = server.get();
  server->index_ = std::make_unique<PortraitIndex>(
      store, clock, server->policy_.get(), server->ranking_.get());
  PORTRAIT_RETURN_IF_ERROR(server->index_->Load());
  PortraitIndex* index = server->index_.get();
  server->trainer_ = std::make_unique<ModelTrainer>(
      store, clock, server->locks_.get(), index, server->ranking_.get(),
      server->ranking_->model_options(), options.training_threads);
  PORTRAIT_RETURN_IF_ERROR(server->trainer_->Load());
  server->auto_train_ = options.auto_train;
  server->retrain_after_ = options.retrain_after;
  server->retrain_debounce_ = options.retrain_debounce;
  server->recommender_ =
      std::make_unique<Recommender>(index, server->trainer_.get(), clock);
  server->ingestor_ = std::make_unique<EventIngestor>(
      store, clock, server->locks_.get(), server->policy_.get(),
      [index](const std::vector<const v1::Event*>& events) {
        return index->OnEventsStored(events);
      });
  CatalogWriter::Hooks catalog_hooks;
  catalog_hooks.upserted = [index](const auto& items) { index->OnItemsUpserted(items); };
  catalog_hooks.deleted = [index](const auto& refs) { index->OnItemsDeleted(refs); };
  server->catalog_ =
      std::make_unique<CatalogWriter>(store, clock, std::move(catalog_hooks));
  ConsentLedger::Options ledger_options;
  ledger_options.on_committed = [index](const std::string& user,
                                        const storage::ConsentRecord& record,
                                        const v1::ErasureReceipt& receipt) {
    return index->OnConsentCommitted(user, record, receipt);
  };
  ledger_options.derived_components = {
      erasure::kPortrait, erasure::kCoEngagement, erasure::kPopularity,
      erasure::kFollowers};
  ledger_options.deferred_components = {erasure::kTrainedModel};
  ledger_options.on_background_work = [self] {
    if (BackgroundWorker* worker = self->maintenance_notify_.load()) {
      worker->Notify();
    }
  };
  server->ledger_ = std::make_unique<ConsentLedger>(
      store, clock, server->locks_.get(), server->policy_.get(),
      std::move(ledger_options));
  server->eraser_ =
      std::make_unique<DiskEraser>(store, clock, server->locks_.get());
  server->ingest_service_ = std::make_unique<IngestServiceImpl>(
      server->ingestor_.get(), server->catalog_.get());
  server->profile_service_ =
      std::make_unique<ProfileServiceImpl>(store, index, clock);
  server->recommend_service_ =
      std::make_unique<RecommendServiceImpl>(server->recommender_.get());
  server->consent_service_ =
      std::make_unique<ConsentServiceImpl>(server->ledger_.get());

  // Work left pending before a restart (or a crash) is picked up at once.
  server->maintenance_ = std::make_unique<BackgroundWorker>(
      [self]() -> absl::Duration {
        absl::StatusOr<absl::Duration> next = self->RunMaintenance();
        if (next.ok()) return *next;
        std::fprintf(stderr, "portraitd: maintenance: %s (will retry)\n",
                     next.status().ToString().c_str());
        return absl::Seconds(1);
      },
      options.maintenance_interval);
  server->maintenance_notify_.store(server->maintenance_.get());
  server->maintenance_->Notify();

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
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS, 8);
  builder.AddListeningPort(options.listen_address,
                           grpc::InsecureServerCredentials(), &server->port_);
  builder.RegisterService(server->ingest_service_.get());
  builder.RegisterService(server->profile_service_.get());
  builder.RegisterService(server->consent_service_.get());
  builder.RegisterService(server->recommend_service_.get());
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on ", options.listen_address,
        " (is the port taken by another process, or the address invalid?)"));
  }
  server->server_->GetHealthCheckService()->SetServingStatus(true);
  return server;
}

absl::StatusOr<absl::Duration> PortraitServer::RunMaintenance() {
  absl::MutexLock lock(&maintenance_mu_);
  PORTRAIT_RETURN_IF_ERROR(ledger_->ExpireFrozen().status());
  PORTRAIT_RETURN_IF_ERROR(eraser_->RunPending().status());
  if (!auto_train_) return absl::InfiniteDuration();
  const int64_t retrain_after_ms = absl::ToInt64Milliseconds(retrain_after_);
  const int64_t debounce_ms = absl::ToInt64Milliseconds(retrain_debounce_);
  int64_t due_ms = trainer_->DueInMs(retrain_after_ms, debounce_ms);
  if (due_ms == 0) {
    PORTRAIT_ASSIGN_OR_RETURN(storage::ModelRecord lineage, trainer_->Train());
    std::printf(
        "portraitd: model version %lld trained in %lld ms (%lld users, %lld "
        "interactions, %d receipts completed)\n",
        static_cast<long long>(lineage.version()),
        static_cast<long long>(lineage.training_ms()),
        static_cast<long long>(lineage.users()),
        static_cast<long long>(lineage.interactions()),
        lineage.receipts_covered_size());
    std::fflush(stdout);
    due_ms = trainer_->DueInMs(retrain_after_ms, debounce_ms);
  }
  if (due_ms != 0) {
    const absl::Time start = absl::Now();
    const int64_t warmed = trainer_->Warm();
    if (warmed > 0) {
      std::printf("portraitd: EMBEDDING candidates of %lld users computed in %lld ms\n",
                  static_cast<long long>(warmed),
                  static_cast<long long>(absl::ToInt64Milliseconds(absl::Now() - start)));
      std::fflush(stdout);
    }
    due_ms = trainer_->DueInMs(retrain_after_ms, debounce_ms);
  }
  // Nothing due now: look again once data that changes meanwhile would be
  // due (ingest does not wake this thread), at the latest at the interval.
  return due_ms < 0 ? retrain_after_ : absl::Milliseconds(due_ms);
}

absl::StatusOr<storage::ModelRecord> PortraitServer::TrainModel() {
  absl::MutexLock lock(&maintenance_mu_);
  return trainer_->Train();
}

PortraitServer::~PortraitServer() { Shutdown(); }

void PortraitServer::Shutdown(absl::Duration grace) {
  absl::MutexLock lock(&shutdown_mu_);
  if (shut_down_) return;
  shut_down_ = true;
  if (server_ != nullptr) {
    server_->GetHealthCheckService()->SetServingStatus(false);
    server_->Shutdown(std::chrono::system_clock::now() +
                      absl::ToChronoMilliseconds(grace));
    server_->Wait();
  }
  maintenance_.reset();
  // Destroying the store flushes and closes RocksDB.
  store_.reset();
}

}  // namespace portrait
