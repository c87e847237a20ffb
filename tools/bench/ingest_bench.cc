// ingest_bench: event ingest throughput through gRPC (batched unary
// RecordEvents and client-streaming StreamEvents) against raw RocksDB
// WriteBatch throughput for the same keys and values, in one run on one
// machine. Each mode gets a fresh database. Prints events/s and the ratio of
// each gRPC mode to raw RocksDB. docs/BENCHMARKS.md has figures.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "portrait/v1/ingest.grpc.pb.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "services/storage/keys.h"
#include "tools/bench/local_server.h"

ABSL_FLAG(int, events, 200000, "events per mode");
ABSL_FLAG(int, batch, 500,
          "events per RecordEvents call / stream message / "
          "WriteBatch (1 to 1000)");
ABSL_FLAG(int, users, 10000, "distinct users");
ABSL_FLAG(int, threads, 2, "client threads (and raw writer threads)");
ABSL_FLAG(std::string, dir, "",
          "scratch directory (default: a new one in /tmp)");

namespace portrait {
namespace {

struct Workload {
  // batches[t] holds thread t's batches.
  std::vector<std::vector<v1::RecordEventsRequest>> batches;
  int64_t events = 0;
};

Workload MakeWorkload(int events, int batch_size, int users, int threads,
                      int64_t now_ms) {
  Workload w;
  w.batches.resize(threads);
  int per_thread = events / threads;
  for (int t = 0; t < threads; ++t) {
    for (int i = 0; i < per_thread; ++i) {
      if (i % batch_size == 0) w.batches[t].emplace_back();
      v1::Event* e = w.batches[t].back().add_events();
      int n = t * per_thread + i;
      e->set_event_id(absl::StrCat("bench-", n));
      e->set_user_id(absl::StrCat("user-", (n * 7919) % users));
      e->set_signal(n % 2 == 0 ? v1::LIKE : v1::BROWSE);
      e->mutable_target()->set_kind(v1::ITEM_POST);
      e->mutable_target()->set_id(absl::StrCat("post-", (n * 31) % 20000));
      e->set_occurred_at_ms(now_ms - 1'000'000 + n % 1'000'000);
      ++w.events;
    }
  }
  return w;
}

// Runs body(t) on `threads` threads; returns the wall time.
absl::Duration RunThreads(int threads, const std::function<void(int)>& body) {
  absl::Time start = absl::Now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(body, t);
  for (std::thread& th : pool) th.join();
  return absl::Now() - start;
}

absl::Duration RawRocksDb(const Workload& w, const std::string& dir) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, {}},
      {"events", {}},
      {"event_ids", {}}};
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, dir, families, &handles, &db);
  if (!s.ok()) {
    std::fprintf(stderr, "raw open: %s\n", s.ToString().c_str());
    std::exit(EXIT_FAILURE);
  }
  rocksdb::WriteOptions sync;
  sync.sync = true;
  absl::Duration elapsed = RunThreads(w.batches.size(), [&](int t) {
    for (const v1::RecordEventsRequest& request : w.batches[t]) {
      rocksdb::WriteBatch batch;
      for (const v1::Event& e : request.events()) {
        std::string key =
            EventKey(e.user_id(), e.signal(), e.occurred_at_ms(), e.event_id());
        batch.Put(handles[1], key, e.SerializeAsString());
        batch.Put(handles[2], EventIdKey(e.user_id(), e.signal(), e.event_id()),
                  "");
      }
      rocksdb::Status ws = db->Write(sync, &batch);
      if (!ws.ok())
        std::fprintf(stderr, "raw write: %s\n", ws.ToString().c_str());
    }
  });
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  delete db;
  return elapsed;
}

std::unique_ptr<LocalServer> StartServer(const std::string& dir) {
  auto server = LocalServer::Start(dir);
  if (!server.ok()) {
    std::fprintf(stderr, "server: %s\n", server.status().ToString().c_str());
    std::exit(EXIT_FAILURE);
  }
  return std::move(*server);
}

// Returns the elapsed time; counts stored events into *stored.
absl::Duration GrpcMode(const Workload& w, const std::string& dir, bool stream,
                        std::atomic<int64_t>* stored) {
  std::unique_ptr<LocalServer> server = StartServer(dir);
  const std::string address = server->address();
  std::vector<std::unique_ptr<v1::IngestService::Stub>> stubs;
  for (size_t t = 0; t < w.batches.size(); ++t) {
    // One channel per thread, as separate pipeline workers would have.
    grpc::ChannelArguments args;
    args.SetInt("bench.channel", static_cast<int>(t));
    stubs.push_back(v1::IngestService::NewStub(grpc::CreateCustomChannel(
        address, grpc::InsecureChannelCredentials(), args)));
  }
  return RunThreads(w.batches.size(), [&](int t) {
    if (!stream) {
      for (const v1::RecordEventsRequest& request : w.batches[t]) {
        v1::RecordEventsResponse response;
        grpc::ClientContext context;
        grpc::Status s = stubs[t]->RecordEvents(&context, request, &response);
        if (!s.ok()) std::fprintf(stderr, "%s\n", s.error_message().c_str());
        *stored += response.stored();
      }
      return;
    }
    v1::StreamEventsResponse summary;
    grpc::ClientContext context;
    auto writer = stubs[t]->StreamEvents(&context, &summary);
    v1::StreamEventsRequest message;
    for (const v1::RecordEventsRequest& request : w.batches[t]) {
      *message.mutable_events() = request.events();
      if (!writer->Write(message)) break;
    }
    writer->WritesDone();
    grpc::Status s = writer->Finish();
    if (!s.ok()) std::fprintf(stderr, "%s\n", s.error_message().c_str());
    *stored += summary.stored();
  });
}

int Run() {
  const int threads = std::max(1, absl::GetFlag(FLAGS_threads));
  const int batch = std::clamp(absl::GetFlag(FLAGS_batch), 1, 1000);
  std::string dir = absl::GetFlag(FLAGS_dir);
  if (dir.empty()) {
    char pattern[] = "/tmp/ingest_bench.XXXXXX";
    dir = mkdtemp(pattern);
  }
  Workload w = MakeWorkload(absl::GetFlag(FLAGS_events), batch,
                            absl::GetFlag(FLAGS_users), threads,
                            absl::ToUnixMillis(absl::Now()));
  std::printf(
      "ingest_bench: %lld events, batch %d, %d users, %d threads, "
      "%u cores, synced writes\n",
      static_cast<long long>(w.events), batch, absl::GetFlag(FLAGS_users),
      threads, std::thread::hardware_concurrency());

  double raw = w.events / absl::ToDoubleSeconds(RawRocksDb(w, dir + "/raw"));
  std::printf("%-28s %12.0f events/s\n", "raw RocksDB WriteBatch", raw);
  int exit_code = EXIT_SUCCESS;
  for (bool stream : {false, true}) {
    std::atomic<int64_t> stored{0};
    absl::Duration d = GrpcMode(
        w, absl::StrCat(dir, stream ? "/stream" : "/unary"), stream, &stored);
    double rate = w.events / absl::ToDoubleSeconds(d);
    std::printf("%-28s %12.0f events/s  ratio %.2f\n",
                stream ? "gRPC StreamEvents" : "gRPC RecordEvents (unary)",
                rate, rate / raw);
    if (stored.load() != w.events) {
      std::fprintf(stderr, "ingest_bench: stored %lld of %lld events\n",
                   static_cast<long long>(stored.load()),
                   static_cast<long long>(w.events));
      exit_code = EXIT_FAILURE;
    }
  }
  std::error_code ignored;
  if (absl::GetFlag(FLAGS_dir).empty())
    std::filesystem::remove_all(dir, ignored);
  return exit_code;
}

}  // namespace
}  // namespace portrait

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  portrait::DisableLockOrderChecking();
  return portrait::Run();
}
