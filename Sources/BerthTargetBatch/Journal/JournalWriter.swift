import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Appends journal lines and makes each durable (fsync) before returning: a finished mini-batch survives a kill -9.
final class JournalWriter: @unchecked Sendable {
  private let fd: Int32
  private let lock = NSLock()

  /// Opens `path` for appending; when it holds no valid journal for `header` it is started afresh with that header.
  init(path: String, header: JournalHeader, keep: [JournalEntry]) throws {
    // Rewrite the kept entries into a new file and rename it over: a torn tail or another run's journal goes away.
    let temporary = path + ".tmp"
    var text = JournalReplay.line(header)
    for entry in keep.sorted(by: { $0.index < $1.index }) { text += JournalReplay.line(entry) }
    try Self.writeDurably(text, to: temporary)
    guard rename(temporary, path) == 0 else { throw BatchRunError("cannot replace the journal \(path): \(Self.lastError())") }
    fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
    guard fd >= 0 else { throw BatchRunError("cannot open the journal \(path): \(Self.lastError())") }
    Self.syncFolder(of: path)
  }

  deinit { close(fd) }

  /// Appends one finished mini-batch and fsyncs.
  func append(_ entry: JournalEntry) throws {
    let bytes = Array(JournalReplay.line(entry).utf8)
    try lock.withLock {
      var written = 0
      while written < bytes.count {
        let result = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if result < 0 {
          if errno == EINTR { continue }
          throw BatchRunError("cannot write the journal: \(Self.lastError())")
        }
        written += result
      }
      guard fsync(fd) == 0 else { throw BatchRunError("cannot fsync the journal: \(Self.lastError())") }
    }
  }

  static func writeDurably(_ text: String, to path: String) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw BatchRunError("cannot write \(path): \(lastError())") }
    defer { close(fd) }
    let bytes = Array(text.utf8)
    var written = 0
    while written < bytes.count {
      let result = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
      if result < 0 {
        if errno == EINTR { continue }
        throw BatchRunError("cannot write \(path): \(lastError())")
      }
      written += result
    }
    guard fsync(fd) == 0 else { throw BatchRunError("cannot fsync \(path): \(lastError())") }
  }

  /// Writes `text` to a temporary file, fsyncs it, renames it over `path` and fsyncs the folder.
  static func replaceDurably(_ text: String, at path: String) throws {
    let temporary = path + ".tmp"
    try writeDurably(text, to: temporary)
    guard rename(temporary, path) == 0 else { throw BatchRunError("cannot replace \(path): \(lastError())") }
    syncFolder(of: path)
  }

  static func syncFolder(of path: String) {
    let folder = open((path as NSString).deletingLastPathComponent, O_RDONLY | O_CLOEXEC)
    if folder >= 0 {
      fsync(folder)
      close(folder)
    }
  }

  static func lastError() -> String { String(cString: strerror(errno)) }
}

/// A batch run that could not go on (input, journal or worker trouble), with what to tell the user.
public struct BatchRunError: Error, CustomStringConvertible, Sendable {
  public var message: String
  public var logTail: [String]

  public init(_ message: String, logTail: [String] = []) {
    self.message = message
    self.logTail = logTail
  }

  public var description: String { message }
}
