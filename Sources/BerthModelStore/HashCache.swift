import BerthModel
import Foundation

/// Remembers file digests by path, size, modification time and inode, so unchanged large models are not re-read.
public final class HashCache: @unchecked Sendable {
  struct Key: Hashable, Codable {
    var path: String
    var size: Int64
    var mtimeNanoseconds: Int64
    var inode: UInt64
  }

  struct Entry: Codable {
    var key: Key
    var sha256: String
  }

  private let file: String?
  private let lock = NSLock()
  private var entries: [String: Entry] = [:]
  private var dirty = false

  /// `file` is where the cache persists between runs; nil keeps it in memory only.
  public init(file: String?) {
    self.file = file
    if let file, let data = FileManager.default.contents(atPath: file),
      let decoded = Self.fastEntries(data) ?? (try? JSONDecoder().decode([Entry].self, from: data))
    {
      entries.reserveCapacity(decoded.count)
      for entry in decoded { entries[entry.key.path] = entry }
    }
  }

  /// The entries through Berth's JSON reader: a plan of 100,000 registered models reads 100,000 of them, which
  /// `JSONDecoder` takes seconds over. Nil when the file is not exactly the shape `save` writes.
  static func fastEntries(_ data: Data) -> [Entry]? {
    guard case .array(let items)? = try? JSONValue.parse(data) else { return nil }
    var entries: [Entry] = []
    entries.reserveCapacity(items.count)
    for item in items {
      guard let key = item["key"], let path = key["path"]?.stringValue, case .int(let size)? = key["size"],
        case .int(let mtime)? = key["mtimeNanoseconds"], case .int(let inode)? = key["inode"], inode >= 0,
        let sha256 = item["sha256"]?.stringValue
      else { return nil }
      entries.append(
        Entry(
          key: Key(path: path, size: Int64(size), mtimeNanoseconds: Int64(mtime), inode: UInt64(inode)), sha256: sha256))
    }
    return entries
  }

  /// The identity of a file as the cache sees it, or nil if it cannot be read.
  static func key(for path: String) -> Key? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
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

  /// Writes the cache back if anything was added; failures only cost speed next time.
  public func save() {
    lock.lock()
    defer { lock.unlock() }
    guard dirty, let file else { return }
    let directory = (file as NSString).deletingLastPathComponent
    try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    if let data = try? JSONEncoder().encode(entries.values.sorted { $0.key.path < $1.key.path }) {
      try? data.write(to: URL(fileURLWithPath: file), options: .atomic)
      dirty = false
    }
  }
}
