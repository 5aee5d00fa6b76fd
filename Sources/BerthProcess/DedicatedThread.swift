import Foundation

/// Runs blocking work on a thread of its own so it never occupies Swift's cooperative pool.
package enum DedicatedThread {
  /// Runs `body` on a new thread named `name` and resumes with its result.
  package static func run<T: Sendable>(_ name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
      let thread = Thread {
        continuation.resume(with: Result { try body() })
      }
      thread.name = name
      thread.start()
    }
  }

  /// Runs non-throwing `body` on a new thread named `name`.
  package static func run<T: Sendable>(_ name: String, _ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
      let thread = Thread {
        continuation.resume(returning: body())
      }
      thread.name = name
      thread.start()
    }
  }
}
