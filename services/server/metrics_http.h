// MetricsHttp: serves GET /metrics (Prometheus text exposition) on its own
// HTTP port, with Debian's civetweb; every other path is 404. The page is
// rendered per request by the given function.
#ifndef PORTRAIT_SERVICES_SERVER_METRICS_HTTP_H_
#define PORTRAIT_SERVICES_SERVER_METRICS_HTTP_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

struct mg_connection;
struct mg_context;

namespace portrait {

class MetricsHttp {
 public:
  // Listens on `address` ("127.0.0.1:9464"; port 0 picks a free one).
  // UNAVAILABLE naming the address if it cannot listen there.
  static absl::StatusOr<std::unique_ptr<MetricsHttp>> Start(
      const std::string& address, std::function<std::string()> render);
  // Stops listening; waits for requests in progress.
  ~MetricsHttp();

  int port() const { return port_; }

 private:
  explicit MetricsHttp(std::function<std::string()> render)
      : render_(std::move(render)) {}
  static int Handle(::mg_connection* connection, void* self);

  const std::function<std::string()> render_;
  ::mg_context* context_ = nullptr;
  int port_ = 0;
};

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_SERVER_METRICS_HTTP_H_
