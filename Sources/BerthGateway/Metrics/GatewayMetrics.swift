import NIOConcurrencyHelpers

/// Counters for `/metrics`: requests by deployment and status, a latency histogram per deployment.
///
/// In-flight and queued counts are read from the admission gates when rendering, so they cannot drift.
public final class GatewayMetrics: Sendable {
  /// Upper bounds of the latency buckets, in seconds (Prometheus' defaults, with finer steps below 10 ms).
  public static let bucketBounds: [Double] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
  ]

  struct Histogram: Sendable {
    var counts = [Int](repeating: 0, count: GatewayMetrics.bucketBounds.count)
    var sum = 0.0
    var count = 0
  }

  struct Counts: Sendable {
    var requests: [RequestKey: Int] = [:]
    var latency: [String: Histogram] = [:]
  }

  struct RequestKey: Hashable, Sendable {
    var deployment: String
    var status: Int
  }

  private let counts = NIOLockedValueBox(Counts())

  public init() {}

  /// Records one answered request; `deployment` is empty when none was chosen (401, 404, …).
  public func record(deployment: String, status: Int, seconds: Double) {
    counts.withLockedValue { counts in
      counts.requests[RequestKey(deployment: deployment, status: status), default: 0] += 1
      var histogram = counts.latency[deployment] ?? Histogram()
      if let bucket = Self.bucketBounds.firstIndex(where: { seconds <= $0 }) { histogram.counts[bucket] += 1 }
      histogram.sum += seconds
      histogram.count += 1
      counts.latency[deployment] = histogram
    }
  }

  /// The number of requests answered with `status` for `deployment` so far.
  public func requests(deployment: String, status: Int) -> Int {
    counts.withLockedValue { $0.requests[RequestKey(deployment: deployment, status: status)] ?? 0 }
  }

  /// The Prometheus text exposition, with the gates' in-flight and queued counts.
  public func render(gauges: [(deployment: String, inFlight: Int, queued: Int)], upstreams: [String: Int] = [:])
    -> String
  {
    let snapshot = counts.withLockedValue { $0 }
    var lines: [String] = []
    lines.append("# HELP berth_gateway_requests_total Requests answered, by deployment and HTTP status.")
    lines.append("# TYPE berth_gateway_requests_total counter")
    let keys = snapshot.requests.keys.sorted { ($0.deployment, $0.status) < ($1.deployment, $1.status) }
    for key in keys {
      lines.append(
        "berth_gateway_requests_total{deployment=\"\(Self.label(key.deployment))\",status=\"\(key.status)\"} \(snapshot.requests[key]!)"
      )
    }
    lines.append("# HELP berth_gateway_request_duration_seconds Time from request to answer, by deployment.")
    lines.append("# TYPE berth_gateway_request_duration_seconds histogram")
    for deployment in snapshot.latency.keys.sorted() {
      let histogram = snapshot.latency[deployment]!
      let label = "deployment=\"\(Self.label(deployment))\""
      var running = 0
      for (bound, count) in zip(Self.bucketBounds, histogram.counts) {
        running += count
        lines.append("berth_gateway_request_duration_seconds_bucket{\(label),le=\"\(bound)\"} \(running)")
      }
      lines.append("berth_gateway_request_duration_seconds_bucket{\(label),le=\"+Inf\"} \(histogram.count)")
      lines.append("berth_gateway_request_duration_seconds_sum{\(label)} \(histogram.sum)")
      lines.append("berth_gateway_request_duration_seconds_count{\(label)} \(histogram.count)")
    }
    lines.append("# HELP berth_gateway_in_flight Requests being scored now, by deployment.")
    lines.append("# TYPE berth_gateway_in_flight gauge")
    for gauge in gauges {
      lines.append("berth_gateway_in_flight{deployment=\"\(Self.label(gauge.deployment))\"} \(gauge.inFlight)")
    }
    lines.append("# HELP berth_gateway_queued Requests waiting for a free slot, by deployment.")
    lines.append("# TYPE berth_gateway_queued gauge")
    for gauge in gauges { lines.append("berth_gateway_queued{deployment=\"\(Self.label(gauge.deployment))\"} \(gauge.queued)") }
    lines.append("# HELP berth_gateway_upstream_in_flight Requests in flight to each scoring server.")
    lines.append("# TYPE berth_gateway_upstream_in_flight gauge")
    for (upstream, count) in upstreams.sorted(by: { $0.key < $1.key }) {
      lines.append("berth_gateway_upstream_in_flight{upstream=\"\(Self.label(upstream))\"} \(count)")
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// Escapes a label value as the exposition format requires.
  static func label(_ value: String) -> String {
    value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
      .replacingOccurrences(of: "\n", with: "\\n")
  }
}
