// portraitd: the Portrait server. Parses flags, starts the server, waits for
// SIGINT or SIGTERM, shuts down cleanly (in-flight calls finish, storage is
// flushed and closed). Exits non-zero, with a message, if it cannot start.
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/json_log.h"
#include "services/ingest/contacts.h"
#include "services/server/portrait_server.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "host:port to serve gRPC on; port 0 picks a free port");
ABSL_FLAG(std::string, tls_cert_file, "",
          "PEM certificate chain of the server (mutual TLS, docs/SECURITY.md)");
ABSL_FLAG(std::string, tls_key_file, "", "PEM private key of the server");
ABSL_FLAG(std::string, tls_client_ca_file, "",
          "PEM certificate of the CA that signs callers' certificates");
ABSL_FLAG(std::string, access_config, "",
          "callers' certificate identities and their roles "
          "(portrait.v1.AccessConfig text)");
ABSL_FLAG(bool, plaintext_loopback, false,
          "serve without TLS and access control; only on a loopback --listen "
          "address (development)");
ABSL_FLAG(bool, access_log, true,
          "one JSON line per finished call on stdout (docs/OPERATIONS.md)");
ABSL_FLAG(std::string, shard_name, "",
          "this server's name among the shards of a cluster behind HAProxy "
          "(docs/SCALING.md): it accepts only calls routed to it, each about "
          "one user; empty: not sharded");
ABSL_FLAG(std::vector<std::string>, peers, {},
          "the cluster's other shards, NAME=HOST:PORT,... (their "
          "--shard_name and listening address): their popularity, "
          "co-engagement and follower counts are served summed with this "
          "shard's");
ABSL_FLAG(int, peer_sync_ms, 1000,
          "how often the other shards' counts are fetched, and at most how "
          "often this shard builds its own for them (100 to 60000)");
ABSL_FLAG(int, peer_circles_timeout_ms, 250,
          "how long an answer waits for the other shards' circles of the "
          "user's friends; an answer from a shard that is later is served "
          "without its friends (10 to 10000)");
ABSL_FLAG(std::string, metrics_listen, "",
          "host:port for GET /metrics (Prometheus text exposition); empty: "
          "no metrics port (docs/OPERATIONS.md#metrics)");
ABSL_FLAG(std::string, data_dir, "var/portrait",
          "RocksDB data directory, created if missing");
ABSL_FLAG(int, block_cache_mb, 64, "RocksDB block cache size, MiB");
ABSL_FLAG(std::string, policy, "",
          "consent policy file (portrait.v1.ConsentPolicy text format); "
          "empty uses the shipped config/consent_policy.textproto");
ABSL_FLAG(std::string, ranking, "",
          "ranking configuration file (portrait.v1.RankingConfig text "
          "format); empty uses the shipped config/ranking.textproto");
ABSL_FLAG(int, maintenance_interval_s, 60,
          "seconds between retention / on-disk erasure runs when idle");
ABSL_FLAG(int, disk_erasure_interval_s, 60,
          "on-disk erasure (compacting stripped ranges) runs at most this "
          "often, 0 to 3600; receipts promise it within 24 h");
ABSL_FLAG(int, retention_sweep_interval_s, 3600,
          "the sweep erasing raw events older than their signal's retention "
          "runs at most this often, 0 to 86400 (0: every maintenance run)");
ABSL_FLAG(int, training_threads, 2,
          "threads that train the model (1 to 64); its hyper-parameters are "
          "in the ranking configuration");
ABSL_FLAG(int, retrain_after_s, 600,
          "retrain the model when data changed and this many seconds passed "
          "(revocations retrain at once)");
ABSL_FLAG(std::string, contact_key_file, "",
          "file holding the key contacts are hashed under, as at least 64 "
          "hex digits (`openssl rand -hex 32`), readable by the owner only; "
          "empty: uploads of contacts are refused");
ABSL_FLAG(std::string, contact_country_code, "86",
          "calling code assumed for phone numbers written without one");
ABSL_FLAG(int, max_concurrent_reads, 64,
          "Recommend, push candidate, profile, export and history calls in "
          "progress at once; more are refused with RESOURCE_EXHAUSTED");
ABSL_FLAG(int, max_streams_per_caller, 8,
          "streams (StreamEvents, StreamPushCandidates, ExportUserData) one "
          "authenticated caller may hold open at once");
ABSL_FLAG(int, max_concurrent_writes, 64,
          "event, catalog, push and check-in writes in progress at once; "
          "more are refused with RESOURCE_EXHAUSTED (consent calls and "
          "health checks are never limited)");
ABSL_FLAG(int, max_message_kb, 4096,
          "largest request message accepted, KiB; larger is refused with "
          "RESOURCE_EXHAUSTED");
ABSL_FLAG(int, shutdown_grace_s, 10,
          "seconds in-flight calls get to finish on SIGINT/SIGTERM");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Portrait consent-aware profiling service.\n"
      "Usage: portraitd [--listen=127.0.0.1:50051] [--data_dir=var/portrait]");
  absl::ParseCommandLine(argc, argv);
  // Abseil's lock-order checking updates a graph on every lock; tests keep
  // it on, serving turns it off.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  // Block the stop signals before any thread starts, so every thread inherits
  // the mask and only sigwait below sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  if (absl::GetFlag(FLAGS_block_cache_mb) < 1) {
    std::fprintf(stderr, "portraitd: --block_cache_mb must be >= 1\n");
    return EXIT_FAILURE;
  }
  const int training_threads = absl::GetFlag(FLAGS_training_threads);
  if (training_threads < 1 || training_threads > 64) {
    std::fprintf(stderr,
                 "portraitd: --training_threads is %d; must be 1 to 64\n",
                 training_threads);
    return EXIT_FAILURE;
  }
  if (absl::GetFlag(FLAGS_retrain_after_s) < 1) {
    std::fprintf(stderr, "portraitd: --retrain_after_s must be >= 1\n");
    return EXIT_FAILURE;
  }
  const int disk_erasure_interval_s =
      absl::GetFlag(FLAGS_disk_erasure_interval_s);
  if (disk_erasure_interval_s < 0 || disk_erasure_interval_s > 3600) {
    std::fprintf(
        stderr,
        "portraitd: --disk_erasure_interval_s is %d; must be 0 to 3600\n",
        disk_erasure_interval_s);
    return EXIT_FAILURE;
  }
  const int retention_sweep_interval_s =
      absl::GetFlag(FLAGS_retention_sweep_interval_s);
  if (retention_sweep_interval_s < 0 || retention_sweep_interval_s > 86400) {
    std::fprintf(
        stderr,
        "portraitd: --retention_sweep_interval_s is %d; must be 0 to 86400\n",
        retention_sweep_interval_s);
    return EXIT_FAILURE;
  }
  if (absl::GetFlag(FLAGS_maintenance_interval_s) < 1) {
    std::fprintf(stderr, "portraitd: --maintenance_interval_s must be >= 1\n");
    return EXIT_FAILURE;
  }
  portrait::PortraitServer::Options options;
  options.listen_address = absl::GetFlag(FLAGS_listen);
  options.tls.cert_file = absl::GetFlag(FLAGS_tls_cert_file);
  options.tls.key_file = absl::GetFlag(FLAGS_tls_key_file);
  options.tls.client_ca_file = absl::GetFlag(FLAGS_tls_client_ca_file);
  options.tls.access_config_file = absl::GetFlag(FLAGS_access_config);
  options.plaintext = absl::GetFlag(FLAGS_plaintext_loopback);
  options.access_log = absl::GetFlag(FLAGS_access_log);
  options.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  options.shard_name = absl::GetFlag(FLAGS_shard_name);
  for (const std::string& peer : absl::GetFlag(FLAGS_peers)) {
    const size_t equals = peer.find('=');
    if (equals == std::string::npos || equals == 0 ||
        equals + 1 == peer.size()) {
      std::fprintf(stderr, "portraitd: --peers: \"%s\" is not NAME=HOST:PORT\n",
                   peer.c_str());
      return EXIT_FAILURE;
    }
    options.peers.push_back({peer.substr(0, equals), peer.substr(equals + 1)});
  }
  const int peer_sync_ms = absl::GetFlag(FLAGS_peer_sync_ms);
  if (peer_sync_ms < 100 || peer_sync_ms > 60000) {
    std::fprintf(stderr,
                 "portraitd: --peer_sync_ms is %d; must be 100 to 60000\n",
                 peer_sync_ms);
    return EXIT_FAILURE;
  }
  options.peer_sync_interval = absl::Milliseconds(peer_sync_ms);
  const int peer_circles_timeout_ms =
      absl::GetFlag(FLAGS_peer_circles_timeout_ms);
  if (peer_circles_timeout_ms < 10 || peer_circles_timeout_ms > 10000) {
    std::fprintf(stderr,
                 "portraitd: --peer_circles_timeout_ms is %d; must be 10 to "
                 "10000\n",
                 peer_circles_timeout_ms);
    return EXIT_FAILURE;
  }
  options.peer_circles_timeout = absl::Milliseconds(peer_circles_timeout_ms);
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  options.block_cache_bytes =
      static_cast<size_t>(absl::GetFlag(FLAGS_block_cache_mb)) << 20;
  options.policy_path = absl::GetFlag(FLAGS_policy);
  options.ranking_path = absl::GetFlag(FLAGS_ranking);
  options.training_threads = training_threads;
  options.retrain_after = absl::Seconds(absl::GetFlag(FLAGS_retrain_after_s));
  options.maintenance_interval =
      absl::Seconds(absl::GetFlag(FLAGS_maintenance_interval_s));
  options.disk_erasure_interval = absl::Seconds(disk_erasure_interval_s);
  options.retention_sweep_interval = absl::Seconds(retention_sweep_interval_s);
  options.contact_country_code = absl::GetFlag(FLAGS_contact_country_code);
  options.max_concurrent_reads = absl::GetFlag(FLAGS_max_concurrent_reads);
  options.max_concurrent_writes = absl::GetFlag(FLAGS_max_concurrent_writes);
  options.max_streams_per_caller = absl::GetFlag(FLAGS_max_streams_per_caller);
  const int max_message_kb = absl::GetFlag(FLAGS_max_message_kb);
  if (max_message_kb < 1 || max_message_kb > 1024 * 1024) {
    std::fprintf(stderr,
                 "portraitd: --max_message_kb is %d; must be 1 to 1048576\n",
                 max_message_kb);
    return EXIT_FAILURE;
  }
  options.max_message_bytes = max_message_kb * 1024;
  if (const std::string path = absl::GetFlag(FLAGS_contact_key_file);
      !path.empty()) {
    absl::StatusOr<std::string> key = portrait::ReadContactKeyFile(path);
    if (!key.ok()) {
      std::fprintf(stderr, "portraitd: --contact_key_file: %s\n",
                   key.status().ToString().c_str());
      return EXIT_FAILURE;
    }
    options.contact_key = *std::move(key);
  } else {
    portrait::JsonLog("no_contact_key")
        .Add("detail", "no --contact_key_file: contacts are refused")
        .Write();
  }
  auto server = portrait::PortraitServer::Start(options);
  if (!server.ok()) {
    portrait::JsonLog("cannot_start")
        .Add("code", static_cast<int>(server.status().code()))
        .Add("error", server.status().message())
        .Write(stderr);
    return EXIT_FAILURE;
  }
  portrait::JsonLog("serving")
      .Add("port", (*server)->port())
      .Add("data_dir", options.data_dir)
      .Add("tls", options.plaintext ? "off" : "on")
      .Add("metrics_port", (*server)->metrics_port())
      .Add("shard", options.shard_name)
      .Write();

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  portrait::JsonLog("shutting_down").Add("signal", signal_number).Write();
  (*server)->Shutdown(absl::Seconds(absl::GetFlag(FLAGS_shutdown_grace_s)));
  portrait::JsonLog("stopped").Write();
  return EXIT_SUCCESS;
}
