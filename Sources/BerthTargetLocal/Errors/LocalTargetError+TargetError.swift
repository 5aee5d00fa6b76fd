import BerthProcess
import BerthTargetAPI

extension LocalTargetError {
  /// The same failure as the provider contract reports it: message, retryability and output tail.
  public var targetError: TargetError {
    TargetError(message, isRetryable: isRetryable, logTail: outputTail)
  }
}

/// Runs `body`, reporting the local target's own errors as `TargetError`s.
func reportingTargetErrors<T>(_ body: () async throws -> T) async throws -> T {
  do {
    return try await body()
  } catch let error as LocalTargetError {
    throw error.targetError
  } catch let error as CommandError {
    throw TargetError(error.message, isRetryable: error.isRetryable)
  }
}
