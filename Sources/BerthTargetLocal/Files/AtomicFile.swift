import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Replaces small files so that readers see the old content or the new, never a mix.
enum AtomicFile {
  /// Writes `data` to a temporary file beside `path`, then renames it over `path`.
  static func write(_ data: Data, to path: String) throws {
    let temporary = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    do {
      try data.write(to: URL(fileURLWithPath: temporary))
    } catch {
      throw AtomicFileError(path: path, reason: "\(error.localizedDescription)")
    }
    guard rename(temporary, path) == 0 else {
      let reason = String(cString: strerror(errno))
      unlink(temporary)
      throw AtomicFileError(path: path, reason: reason)
    }
  }

  /// Writes `value` as sorted, pretty JSON with ISO 8601 dates.
  static func writeJSON<Value: Encodable>(_ value: Value, to path: String) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    encoder.dateEncodingStrategy = .iso8601
    try write(encoder.encode(value), to: path)
  }

  /// Reads JSON written by `writeJSON`; `nil` when the file is missing or does not decode.
  static func readJSON<Value: Decodable>(_ type: Value.Type, from path: String) -> Value? {
    guard let data = FileManager.default.contents(atPath: path) else { return nil }
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .iso8601
    return try? decoder.decode(type, from: data)
  }
}

/// A file that could not be replaced.
struct AtomicFileError: Error, CustomStringConvertible {
  /// The file that was being written.
  var path: String
  /// The system's reason.
  var reason: String

  var description: String { "cannot write '\(path)': \(reason)" }
}
