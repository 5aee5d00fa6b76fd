import BerthState
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The machine and process that hold a lock, and whether a process on this machine still runs.
struct ProcessIdentity: Hashable, Sendable {
  var host: String
  var pid: Int32

  /// This process, named as `gethostname(2)` and `getpid(2)` name it (other tools see the same).
  static var current: ProcessIdentity {
    var buffer = [CChar](repeating: 0, count: 256)
    var host = "localhost"
    if gethostname(&buffer, buffer.count) == 0 {
      let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
      host = String(decoding: bytes, as: UTF8.self)
    }
    return ProcessIdentity(host: host, pid: getpid())
  }

  /// False only when the kernel says no such process exists; a process we may not signal is alive.
  static func isAlive(pid: Int32) -> Bool {
    guard pid > 0 else { return false }
    return kill(pid, 0) == 0 || errno != ESRCH
  }

  /// A short random lock id, easy to type into `berth state unlock`.
  static func newLockID() -> String {
    String(UUID().uuidString.lowercased().prefix(8))
  }
}

extension LockInfo {
  /// True when the holder ran on this machine and its process no longer exists; a holder elsewhere cannot be known gone.
  public var holderIsGone: Bool {
    host == ProcessIdentity.current.host && !ProcessIdentity.isAlive(pid: pid)
  }
}
