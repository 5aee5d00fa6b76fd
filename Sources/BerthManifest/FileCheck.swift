import Foundation

/// What a path names, read with `stat` so that FIFOs, sockets, devices and symbolic-link loops are told apart
/// before anything opens them (opening a FIFO for reading blocks until a writer comes).
public enum FileCheck {
  public enum Kind: Sendable, Equatable {
    case regular(size: Int64)
    case directory
    /// A FIFO, socket or device: never read by Berth.
    case special(String)
  }

  public enum Problem: Error, Sendable, Equatable, CustomStringConvertible {
    case missing
    case symlinkLoop
    case unreadable(String)
    case notRegular(String)

    public var description: String {
      switch self {
      case .missing: "it does not exist"
      case .symlinkLoop: "it is a loop of symbolic links"
      case .unreadable(let reason): reason
      case .notRegular(let kind): "it is a \(kind), not a regular file"
      }
    }
  }

  public struct Regular: Sendable {
    public var size: Int64
  }

  /// What `path` is, following symbolic links.
  public static func kind(of path: String) -> Result<Kind, Problem> {
    var info = stat()
    guard stat(path, &info) == 0 else {
      switch errno {
      case ELOOP: return .failure(.symlinkLoop)
      case ENOENT, ENOTDIR:
        var own = stat()
        // A dangling symbolic link exists but names nothing.
        if lstat(path, &own) == 0 { return .failure(.unreadable("it is a symbolic link to something that does not exist")) }
        return .failure(.missing)
      default: return .failure(.unreadable(String(cString: strerror(errno))))
      }
    }
    return .success(kind(from: info))
  }

  /// What a `stat` result describes (of something that is not a symbolic link).
  static func kind(from info: stat) -> Kind {
    switch info.st_mode & S_IFMT {
    case S_IFREG: return .regular(size: Int64(info.st_size))
    case S_IFDIR: return .directory
    case S_IFIFO: return .special("FIFO (named pipe)")
    case S_IFSOCK: return .special("socket")
    default: return .special("device")
    }
  }

  /// A regular file that can be opened for reading.
  public static func regularFile(_ path: String) -> Result<Regular, Problem> {
    switch kind(of: path) {
    case .failure(let problem): return .failure(problem)
    case .success(.directory): return .failure(.notRegular("folder"))
    case .success(.special(let kind)): return .failure(.notRegular(kind))
    case .success(.regular(let size)):
      if let problem = unreadable(path) { return .failure(problem) }
      return .success(Regular(size: size))
    }
  }

  /// Why `path` cannot be opened for reading, or nil when it can.
  public static func unreadable(_ path: String) -> Problem? {
    let descriptor = open(path, O_RDONLY | O_NONBLOCK)
    guard descriptor >= 0 else { return .unreadable(String(cString: strerror(errno))) }
    close(descriptor)
    return nil
  }

  /// The first `bytes` of a regular file, or nil when it cannot be read.
  static func head(of path: String, bytes: Int) -> Data? {
    guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
    defer { try? handle.close() }
    return try? handle.read(upToCount: bytes)
  }
}
