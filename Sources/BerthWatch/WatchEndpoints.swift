import Foundation

/// The routes of the watch loop's HTTP endpoint, as a pure function of the metrics and the time.
public enum WatchEndpoints {
  /// The Prometheus text format's content type.
  public static let metricsContentType = "text/plain; version=0.0.4; charset=utf-8"

  /// `GET /healthz` (200 `ok`, or 503 with the reason), `GET /metrics`, `GET /` (what is here, or with `controller` the
  /// status page), `POST /hooks/git` with `controller`; 404 otherwise.
  public static func respond(
    to request: MetricsServer.Request, metrics: WatchMetrics, now: Date, controller: ControllerEndpoints? = nil
  ) -> MetricsServer.Response {
    if let controller, let response = controller.respond(to: request, metrics: metrics, now: now) { return response }
    if request.method == "POST" {
      return request.path == "/hooks/git" ? .init(status: 404, body: "not found\n") : methodNotAllowed("GET, HEAD")
    }
    switch request.path {
    case "/healthz":
      if metrics.isHealthy(at: now) { return .init(status: 200, body: "ok\n") }
      guard metrics.alive else { return .init(status: 503, body: "stopped\n") }
      let last = metrics.lastCycleEnd.map { "last cycle ended \(Int(now.timeIntervalSince($0)))s ago" } ?? "no cycle ended yet"
      return .init(status: 503, body: "stale: \(last) (interval \(WatchDuration.format(metrics.interval)))\n")
    case "/metrics":
      return .init(status: 200, contentType: metricsContentType, body: metrics.render())
    case "/":
      return .init(status: 200, body: "berth watch: /healthz /metrics\n")
    default:
      return .init(status: 404, body: "not found\n")
    }
  }

  static func methodNotAllowed(_ allowed: String) -> MetricsServer.Response {
    .init(status: 405, body: "method not allowed\n", headers: ["Allow": allowed])
  }
}

/// An IPv4 address and port to listen on, written `ADDR:PORT` (`127.0.0.1:9464`, `0.0.0.0:9464`).
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
  public var host: String
  public var port: Int

  public init(host: String, port: Int) {
    self.host = host
    self.port = port
  }

  /// Nil unless `text` is `IPv4:PORT` with PORT in 0…65535 (0: any free port); `localhost` means 127.0.0.1.
  /// The address is never implied: `:9464` is refused rather than guessed to mean every interface.
  public init?(parsing text: String) {
    guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port)
    else { return nil }
    var host = String(text[..<colon])
    if host == "localhost" { host = "127.0.0.1" }
    var address = in_addr()
    guard inet_pton(AF_INET, host, &address) == 1 else { return nil }
    self.init(host: host, port: port)
  }

  public var description: String { "\(host):\(port)" }
}
