import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads the last lines of a (possibly large) log file without reading all of it.
public enum LogTail {
  /// The last `count` lines of `file`, oldest first; empty when the file is missing or empty.
  ///
  /// Reads backwards in 64 KiB blocks until enough line breaks are seen, so
  /// the cost depends on the lines returned, not on the file size.
  public static func lastLines(file: String, count: Int) -> [String] {
    guard count > 0 else { return [] }
    let fd = open(file, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return [] }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { return [] }
    var offset = Int(info.st_size)
    var collected: [UInt8] = []
    let block = 65536
    var newlines = 0
    while offset > 0 && newlines <= count {
      let size = min(block, offset)
      offset -= size
      var chunk = [UInt8](repeating: 0, count: size)
      let got = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress, size, off_t(offset)) }
      guard got == size else { break }
      newlines += chunk.lazy.filter { $0 == UInt8(ascii: "\n") }.count
      collected.insert(contentsOf: chunk, at: 0)
    }
    var text = String(decoding: collected, as: UTF8.self)
    if text.hasSuffix("\n") { text.removeLast() }
    if text.isEmpty { return [] }
    return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(count).map {
      $0.hasSuffix("\r") ? String($0.dropLast()) : String($0)
    }
  }
}
