import BerthModel
import Foundation

/// Remembers file digests by path, size, modification time and inode, so unchanged large models are not re-read.
public final class HashCache: @unchecked Sendable {
  struct Key: Hashable {
    var path: String
    var size: Int64
    var mtimeNanoseconds: Int64
    var inode: UInt64
  }

  struct Entry {
    var key: Key
    var sha256: String
  }

  private let file: String?
  private let lock = NSLock()
  private var entries: [String: Entry] = [:]
  private var dirty = false

  /// `file` is where the cache persists between runs; nil keeps it in memory only. A file that is not a whole cache
  /// (damaged, or an older format) is ignored: the files it named are hashed again and it is rewritten.
  public init(file: String?) {
    self.file = file
    if let file, let data = FileManager.default.contents(atPath: file), let read = Self.entries(in: [UInt8](data)) {
      entries = read
    }
  }

  private static let magic = Array("BERTHHC1".utf8)

  /// The entries of a cache file as `save` writes it (a plan of 100,000 registered models reads 100,000 of them), or
  /// nil when the bytes are not one.
  static func entries(in bytes: [UInt8]) -> [String: Entry]? {
    guard bytes.starts(with: magic) else { return nil }
    var reader = ByteReader(bytes, from: magic.count)
    guard let count = reader.count() else { return nil }
    var entries: [String: Entry] = [:]
    entries.reserveCapacity(count)
    for _ in 0..<count {
      guard let path = reader.string(), let size = reader.signed(), let mtime = reader.signed(),
        let inode = reader.unsigned(), let sha256 = reader.string()
      else { return nil }
      entries[path] = Entry(key: Key(path: path, size: size, mtimeNanoseconds: mtime, inode: inode), sha256: sha256)
    }
    return reader.isAtEnd ? entries : nil
  }

  /// The identity of a file as the cache sees it, or nil if it cannot be read.
  static func key(for path: String) -> Key? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    return key(for: path, info: info)
  }

  /// The identity of a file from a `stat` already made.
  static func key(for path: String, info: stat) -> Key {
    let mtime = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
    return Key(path: path, size: Int64(info.st_size), mtimeNanoseconds: mtime, inode: UInt64(info.st_ino))
  }

  func lookup(_ key: Key) -> String? {
    lock.lock()
    defer { lock.unlock() }
    guard let entry = entries[key.path], entry.key == key else { return nil }
    return entry.sha256
  }

  func store(_ key: Key, _ sha256: String) {
    lock.lock()
    defer { lock.unlock() }
    entries[key.path] = Entry(key: key, sha256: sha256)
    dirty = true
  }

  /// Writes the cache back if anything was added; failures only cost speed next time. Without `createFolder` it is
  /// written only into a folder that exists (reading commands never create `.berth/`).
  public func save(createFolder: Bool = true) {
    lock.lock()
    defer { lock.unlock() }
    guard dirty, let file else { return }
    let directory = (file as NSString).deletingLastPathComponent
    if createFolder {
      try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    } else {
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else { return }
    }
    var writer = ByteWriter()
    writer.raw(Self.magic)
    writer.unsigned(UInt64(entries.count))
    for entry in entries.values.sorted(by: { $0.key.path < $1.key.path }) {
      writer.string(entry.key.path)
      writer.signed(entry.key.size)
      writer.signed(entry.key.mtimeNanoseconds)
      writer.unsigned(entry.key.inode)
      writer.string(entry.sha256)
    }
    if (try? Data(writer.bytes).write(to: URL(fileURLWithPath: file), options: .atomic)) != nil { dirty = false }
  }
}
