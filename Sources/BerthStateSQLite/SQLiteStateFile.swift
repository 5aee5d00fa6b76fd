import BerthState
import Foundation

/// What is at a state path before SQLite opens it, so that a broken state is an error naming the file instead of a
/// fresh database quietly replacing it, or a raw `SQLite error 26`.
public enum SQLiteStateFile {
  public enum Status: Sendable, Equatable {
    case missing
    case database
  }

  /// Every SQLite 3 database file starts with these 16 bytes.
  static let header = Array("SQLite format 3\u{0}".utf8)

  /// Whether `path` holds a database, or nothing; anything else is a `StateFileError`.
  public static func inspect(_ path: String) throws -> Status {
    var info = stat()
    guard stat(path, &info) == 0 else {
      if errno == ENOENT {
        var own = stat()
        if lstat(path, &own) == 0 { throw StateFileError(path: path, problem: .unreadable("it is a broken symbolic link")) }
        return .missing
      }
      throw StateFileError(path: path, problem: .unreadable(String(cString: strerror(errno))))
    }
    guard info.st_mode & S_IFMT == S_IFREG else {
      throw StateFileError(path: path, problem: .notAFile(info.st_mode & S_IFMT == S_IFDIR ? "a folder" : "not a regular file"))
    }
    if info.st_size == 0 { throw StateFileError(path: path, problem: .empty) }
    guard let handle = FileHandle(forReadingAtPath: path) else {
      throw StateFileError(path: path, problem: .unreadable(String(cString: strerror(errno))))
    }
    defer { try? handle.close() }
    let start = (try? handle.read(upToCount: header.count)).map([UInt8].init) ?? []
    guard start == header else { throw StateFileError(path: path, problem: .notADatabase) }
    return .database
  }
}
