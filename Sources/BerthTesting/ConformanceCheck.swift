import BerthState
import Foundation

/// Makes a fresh, empty store, its own on every call.
public typealias StoreFactory = @Sendable () async throws -> any StateStoring & Locking

/// A broken promise of a store contract, with where the conformance suite checked it.
///
/// The suites do not import `Testing` (this module also serves non-test code), so a failed check
/// throws; a test that runs a case fails with this description.
public struct ConformanceFailure: Error, CustomStringConvertible {
  public var message: String
  public var file: String
  public var line: Int

  public init(message: String, file: String = #fileID, line: Int = #line) {
    self.message = message
    self.file = file
    self.line = line
  }

  public var description: String { "\(file):\(line): \(message)" }
}

/// The checks the conformance suites are written with; each throws `ConformanceFailure` when it fails.
enum Check {
  static func that(
    _ condition: Bool, _ message: @autoclosure () -> String, file: String = #fileID, line: Int = #line
  ) throws {
    guard condition else { throw ConformanceFailure(message: message(), file: file, line: line) }
  }

  static func equal<T: Equatable>(
    _ actual: T, _ expected: T, _ what: @autoclosure () -> String, file: String = #fileID, line: Int = #line
  ) throws {
    guard actual == expected else {
      throw ConformanceFailure(
        message: "\(what()): expected \(String(describing: expected)), got \(String(describing: actual))", file: file,
        line: line)
    }
  }

  /// Runs `body`, which must throw an `E`, and returns that error.
  @discardableResult
  static func throwsError<E: Error, T>(
    _ type: E.Type, _ what: @autoclosure () -> String, file: String = #fileID, line: Int = #line,
    _ body: () async throws -> T
  ) async throws -> E {
    let value: T
    do {
      value = try await body()
    } catch let error as E {
      return error
    } catch {
      throw ConformanceFailure(message: "\(what()): expected \(E.self), threw \(error)", file: file, line: line)
    }
    throw ConformanceFailure(message: "\(what()): expected \(E.self), returned \(value)", file: file, line: line)
  }
}
