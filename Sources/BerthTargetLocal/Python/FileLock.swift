import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive `flock` on a file, shared correctly between threads and processes.
///
/// Each acquisition opens its own descriptor, so two threads of one process
/// exclude each other just like two processes do. The lock file itself is
/// never deleted (deleting lock files reintroduces races).
enum FileLock {
  /// Runs `body` while holding an exclusive lock on `path`.
  ///
  /// Polls every 100 ms; `onWait` is called once if another holder makes us
  /// wait. Throws a retryable error when `timeout` passes first.
  static func withExclusiveLock<T>(
    path: String, timeout: Duration? = nil, onWait: () -> Void = {}, _ body: () throws -> T
  ) throws -> T {
    let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
      throw LocalTargetError(
        .fileSystem, "Cannot open lock file '\(path)': \(String(cString: strerror(errno))).")
    }
    defer { close(fd) }
    let clock = ContinuousClock()
    let deadline = timeout.map { clock.now + $0 }
    var announced = false
    while flock(fd, LOCK_EX | LOCK_NB) != 0 {
      guard errno == EWOULDBLOCK || errno == EINTR else {
        throw LocalTargetError(.fileSystem, "Cannot lock '\(path)': \(String(cString: strerror(errno))).")
      }
      if !announced {
        announced = true
        onWait()
      }
      if let deadline, clock.now > deadline {
        throw LocalTargetError(
          .lockUnavailable,
          "Another Berth process has held '\(path)' for longer than \(timeout!); it is probably still building. Retry when it has finished.",
          isRetryable: true)
      }
      usleep(100_000)
    }
    defer { flock(fd, LOCK_UN) }
    return try body()
  }
}
