import Foundation

/// How long each step of a command took, in order; `BERTH_TIMINGS=1` makes `berth plan` print them on stderr.
public struct PhaseTimings: Sendable {
  public private(set) var phases: [(name: String, seconds: Double)] = []

  public init() {}

  /// Whether this run was asked to print its timings.
  public static var requested: Bool { ProcessInfo.processInfo.environment["BERTH_TIMINGS"] == "1" }

  public mutating func measure<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
    let start = DispatchTime.now().uptimeNanoseconds
    defer { record(name, since: start) }
    return try body()
  }

  public mutating func measure<T>(_ name: String, _ body: () async throws -> T) async rethrows -> T {
    let start = DispatchTime.now().uptimeNanoseconds
    defer { record(name, since: start) }
    return try await body()
  }

  private mutating func record(_ name: String, since start: UInt64) {
    phases.append((name, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9))
  }

  public static func + (lhs: PhaseTimings, rhs: PhaseTimings) -> PhaseTimings {
    var sum = lhs
    sum.phases += rhs.phases
    return sum
  }

  /// One line per step, for stderr: `timing: state snapshot 0.081 s`.
  public var report: String {
    phases.map { String(format: "timing: %@ %.3f s\n", $0.name, $0.seconds) }.joined()
  }
}
