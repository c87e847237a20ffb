#include "services/server/portrait_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "services/grpc/ingest_service.h"
#include "services/grpc/profile_service.h"
#include "services/ingest/catalog_writer.h"
#include "services/locking/user_locks.h"
#include "services/storage/rocksdb_store.h"

namespace portrait {

PortraitServer::PortraitServer() = default;

absl::StatusOr<std::unique_ptr<PortraitServer>> PortraitServer::Start(
    const Options& options) {
  std::unique_ptr<PortraitServer> server(new PortraitServer());
  const Clock* clock =
      options.clock != nullptr ? options.clock : RealClock::Get();
  PORTRAIT_ASSIGN_OR_RETURN(
      server->store_,
      RocksDbStore::Open({.path = options.data_dir,
                          .block_cache_bytes = options.block_cache_bytes}));
  server->locks_ = std::make_unique<UserLocks>();
  server->ingestor_ = std::make_unique<EventIngestor>(
      server->store_.get(), clock, server->locks_.get(), options.ingest);
  server->catalog_ =
      std::make_unique<CatalogWriter>(server->store_.get(), clock);
  server->ingest_service_ = std::make_unique<IngestServiceImpl>(
      server->ingestor_.get(), server->catalog_.get());
  server->profile_service_ =
      std::make_unique<ProfileServiceImpl>(server->store_.get());

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  // Without this, Linux lets a second server bind the same port silently.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddListeningPort(options.listen_address,
                           grpc::InsecureServerCredentials(), &server->port_);
  builder.RegisterService(server->ingest_service_.get());
  builder.RegisterService(server->profile_service_.get());
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on ", options.listen_address,
        " (is the port taken by another process, or the address invalid?)"));
  }
  server->server_->GetHealthCheckService()->SetServingStatus(true);
  return server;
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
  // Destroying the store flushes and closes RocksDB.
  store_.reset();
}

}  // namespace portrait
