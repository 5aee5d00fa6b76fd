#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Late-bound libc functions that Swift's Glibc module hides behind `_GNU_SOURCE`.
///
/// Each is looked up once with `dlsym`; a missing symbol (an old libc) yields
/// `nil` and the caller falls back or reports the gap.
package enum GNUExtensions {
  package typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, UnsafePointer<CChar>?) -> Int32
  package typealias AddClosefrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32
  package typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>?, Int32) -> Int32

  /// `posix_spawn_file_actions_addchdir_np` (glibc 2.29, macOS 10.15).
  package static let addChdir: AddChdir? = symbol("posix_spawn_file_actions_addchdir_np")
  /// `posix_spawn_file_actions_addclosefrom_np` (glibc 2.34).
  package static let addClosefrom: AddClosefrom? = symbol("posix_spawn_file_actions_addclosefrom_np")
  /// `pipe2`.
  package static let pipe2: Pipe2? = symbol("pipe2")

  /// The `POSIX_SPAWN_SETSID` flag: start the child in a new session.
  package static var spawnSetSID: Int32 {
    #if os(Linux)
    0x80
    #else
    0x400
    #endif
  }

  /// Creates a pipe whose ends close on exec; returns `(read, write)`.
  package static func closeOnExecPipe() -> (Int32, Int32)? {
    var fds: [Int32] = [0, 0]
    if let pipe2 {
      guard pipe2(&fds, O_CLOEXEC) == 0 else { return nil }
      return (fds[0], fds[1])
    }
    guard pipe(&fds) == 0 else { return nil }
    _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
    _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
    return (fds[0], fds[1])
  }

  private static func symbol<T>(_ name: String) -> T? {
    guard let handle = dlopen(nil, RTLD_NOW), let address = dlsym(handle, name) else { return nil }
    return unsafeBitCast(address, to: T.self)
  }
}
