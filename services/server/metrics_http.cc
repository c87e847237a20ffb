#include "services/server/metrics_http.h"

#include <civetweb.h>

#include <cstring>

#include "absl/strings/str_cat.h"

namespace portrait {

absl::StatusOr<std::unique_ptr<MetricsHttp>> MetricsHttp::Start(
    const std::string& address, std::function<std::string()> render) {
  static const unsigned initialised = mg_init_library(0);
  (void)initialised;
  std::unique_ptr<MetricsHttp> http(new MetricsHttp(std::move(render)));
  const char* options[] = {"listening_ports", address.c_str(), "num_threads",
                           "2", nullptr};
  mg_callbacks callbacks;
  std::memset(&callbacks, 0, sizeof(callbacks));
  http->context_ = mg_start(&callbacks, nullptr, options);
  mg_server_port ports[1];
  if (http->context_ == nullptr ||
      mg_get_server_ports(http->context_, 1, ports) < 1 || ports[0].port == 0) {
    return absl::UnavailableError(
        absl::StrCat("--metrics_listen: cannot listen on ", address,
                     " (is the port taken, or the address not host:port?)"));
  }
  http->port_ = ports[0].port;
  mg_set_request_handler(http->context_, "/metrics$", &MetricsHttp::Handle,
                         http.get());
  return http;
}

MetricsHttp::~MetricsHttp() {
  if (context_ != nullptr) mg_stop(context_);
}

int MetricsHttp::Handle(::mg_connection* connection, void* self) {
  const mg_request_info* request = mg_get_request_info(connection);
  if (std::strcmp(request->request_method, "GET") != 0) {
    mg_send_http_error(connection, 405, "GET only");
    return 405;
  }
  const std::string page = static_cast<MetricsHttp*>(self)->render_();
  mg_send_http_ok(connection, "text/plain; version=0.0.4; charset=utf-8",
                  static_cast<long long>(page.size()));
  mg_write(connection, page.data(), page.size());
  return 200;
}

}  // namespace portrait
