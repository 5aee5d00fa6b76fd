import Foundation

/// Values a command keeps until the process exits instead of freeing them when it returns: a plan of 100,000
/// resources spends tens of milliseconds taking its graph and state apart just before the process ends, which the
/// operating system does for free.
enum KeptUntilExit {
  nonisolated(unsafe) private static var values: [Any] = []
  private static let lock = NSLock()

  static func keep(_ value: Any) { lock.withLock { values.append(value) } }
}
