import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Tells whether processes and process groups are really running (zombies count as dead).
public enum ProcessLiveness {
  /// True when `pid` exists and is not a zombie; works for processes that are not our children.
  public static func isAlive(pid: Int32) -> Bool {
    guard pid > 0 else { return false }
    guard kill(pid, 0) == 0 || errno == EPERM else { return false }
    #if os(Linux)
    guard let stat = ProcStat(pid: pid) else { return false }
    return stat.state != "Z" && stat.state != "X"
    #else
    return true
    #endif
  }

  /// The kernel's start time of `pid` (clock ticks since boot), to tell a recycled pid from the original.
  public static func startTime(pid: Int32) -> UInt64? {
    #if os(Linux)
    ProcStat(pid: pid)?.startTime
    #else
    nil
    #endif
  }

  /// True when `pid` is alive and, if `startTime` is given, is the same process that started then.
  public static func isAlive(pid: Int32, startTime: UInt64?) -> Bool {
    guard isAlive(pid: pid) else { return false }
    guard let startTime, let current = self.startTime(pid: pid) else { return true }
    return current == startTime
  }

  /// Pids of live (non-zombie) members of process group `group`.
  public static func liveMembers(ofProcessGroup group: Int32) -> [Int32] {
    guard group > 1 else { return [] }
    #if os(Linux)
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { Int32($0) }.filter { pid in
      guard let stat = ProcStat(pid: pid) else { return false }
      return stat.processGroup == group && stat.state != "Z" && stat.state != "X"
    }
    #else
    return kill(-group, 0) == 0 || errno == EPERM ? [group] : []
    #endif
  }
}

/// The fields of `/proc/<pid>/stat` that liveness checks need.
struct ProcStat {
  /// One-letter state: R, S, D, Z (zombie), T, X (dead), …
  var state: Character
  /// The process group id.
  var processGroup: Int32
  /// Start time in clock ticks after boot.
  var startTime: UInt64

  /// Reads `/proc/<pid>/stat`; `nil` when the process is gone.
  init?(pid: Int32) {
    guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { return nil }
    let text = String(decoding: data, as: UTF8.self)
    // The command name is parenthesised and may itself contain spaces or parentheses.
    guard let close = text.lastIndex(of: ")") else { return nil }
    let fields = text[text.index(after: close)...].split(separator: " ")
    // fields[0] is field 3 (state); pgrp is field 5; starttime is field 22.
    guard fields.count > 19, let state = fields[0].first, let group = Int32(fields[2]),
      let start = UInt64(fields[19])
    else { return nil }
    self.state = state
    self.processGroup = group
    self.startTime = start
  }
}
