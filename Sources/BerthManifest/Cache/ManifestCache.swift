import BerthModel
import Foundation

/// Manifest files parsed by an earlier run, kept in `.berth/cache/manifests.bin` under the manifest root: a file whose
/// identity is unchanged is neither read nor parsed again, only validated from its stored nodes.
///
/// A file's identity is its size, modification and change times (nanoseconds), inode and device, taken with `stat`
/// before it is read. Any write changes the change time, which no tool can set back, so an edited file always misses.
/// A file changed less than `settleSeconds` before it was read is not stored ("racily clean" in git's words): a second
/// write within the file system's timestamp granularity could leave the identity unchanged. The cache is tied to the
/// `berth` executable that wrote it (its size, modification time and inode): another build starts afresh. Only files
/// that parsed without any diagnostic are stored, so every problem is reported again on every run. A damaged or
/// foreign cache file is ignored and rewritten; the cache only ever costs or saves time.
public final class ManifestCache: @unchecked Sendable {
  /// When the cache is read and written.
  public enum Use: Sendable, Equatable {
    /// Neither read nor written.
    case off
    /// Read, and written back only when its folder already exists: read-only commands never create `.berth/`.
    case ifPresent
    /// Read and written, creating its folder (apply).
    case create
  }

  /// The identity of a file, as `stat` reports it.
  struct FileKey: Equatable {
    var size: Int64
    var modified: Int64
    var changed: Int64
    var inode: UInt64
    var device: UInt64

    /// The identity of the regular file at `path`, or nil when it is not one (or cannot be read).
    static func of(_ path: String) -> FileKey? {
      var info = stat()
      guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
      return FileKey(
        size: Int64(info.st_size),
        modified: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec),
        changed: Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec),
        inode: UInt64(info.st_ino), device: UInt64(info.st_dev))
    }
  }

  /// What a file held when it was parsed: whether it is a manifest, its Berth documents and the SHA-256 of its bytes.
  struct Parsed {
    var isManifest: Bool
    var digest: [UInt8]
    var documents: [ManifestNode]
  }

  /// How many files came from the cache, and how many were parsed and stored for next time.
  public struct Statistics: Sendable, Equatable {
    public var hits = 0
    public var stored = 0
  }
  private static let magic = Array("BERTHMC1".utf8)

  /// One entry as written: its identity, digest and flag, and its encoded documents.
  private struct Entry {
    var key: FileKey
    var digest: [UInt8]
    var isManifest: Bool
    var documents: ArraySlice<UInt8>
  }

  private let file: String?
  private let use: Use
  private let identity: String
  /// How long a file must have been left alone before it was read for its parse to be stored.
  private let settleNanoseconds: Int64
  private let lock = NSLock()
  /// Entries read from the file, by absolute path.
  private var stored: [String: Entry] = [:]
  /// Entries of the files this run saw, hit or parsed: the ones written back.
  private var current: [String: Entry] = [:]
  private var counts = Statistics()

  /// A cache persisted at `file`; with `.off` (or no file) it remembers nothing. `settleSeconds` is how long a file
  /// must have been left alone before it was read for its parse to be stored (tests shorten it).
  public init(file: String?, use: Use, settleSeconds: Double = 2) {
    self.file = use == .off ? nil : file
    self.use = use
    self.settleNanoseconds = Int64(settleSeconds * 1e9)
    self.identity = Self.executableIdentity()
    guard let file = self.file, !identity.isEmpty, let data = FileManager.default.contents(atPath: file) else { return }
    stored = Self.entries(in: [UInt8](data), identity: identity) ?? [:]
  }

  /// The cache of the manifests under `root` (their folder, absolute).
  public static func file(root: String) -> String { root + "/.berth/cache/manifests.bin" }

  /// The stored parse of `path` when its identity is still `key`; documents carry `display` as their file.
  func lookup(_ path: String, key: FileKey, display: String) -> Parsed? {
    guard file != nil else { return nil }
    lock.lock()
    let entry = stored[path]
    lock.unlock()
    guard let entry, entry.key == key else { return nil }
    var reader = ByteReader(Array(entry.documents))
    guard let count = reader.count() else { return nil }
    var documents: [ManifestNode] = []
    documents.reserveCapacity(count)
    for _ in 0..<count {
      guard let node = NodeCodec.decode(from: &reader, file: display) else { return nil }
      documents.append(node)
    }
    guard reader.isAtEnd else { return nil }
    lock.lock()
    current[path] = entry
    counts.hits += 1
    lock.unlock()
    return Parsed(isManifest: entry.isManifest, digest: entry.digest, documents: documents)
  }

  /// Remembers a file parsed without diagnostics; `readAt` is when its identity was taken (nanoseconds since 1970).
  func store(_ path: String, key: FileKey, readAt: Int64, parsed: Parsed) {
    guard file != nil, max(key.modified, key.changed) < readAt - settleNanoseconds else { return }
    var writer = ByteWriter()
    writer.unsigned(UInt64(parsed.documents.count))
    for document in parsed.documents { NodeCodec.encode(document, into: &writer) }
    let entry = Entry(key: key, digest: parsed.digest, isManifest: parsed.isManifest, documents: writer.bytes[...])
    lock.lock()
    current[path] = entry
    counts.stored += 1
    lock.unlock()
  }

  /// What this run took from the cache and added to it.
  public var statistics: Statistics {
    lock.lock()
    defer { lock.unlock() }
    return counts
  }

  /// Writes the entries of this run back when they differ from what was read; failures only cost time next run.
  public func save() {
    lock.lock()
    defer { lock.unlock() }
    guard let file, !identity.isEmpty, counts.stored > 0 || current.count != stored.count else { return }
    let folder = (file as NSString).deletingLastPathComponent
    switch use {
    case .off: return
    case .ifPresent:
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else { return }
    case .create:
      try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }
    var writer = ByteWriter()
    writer.raw(Self.magic)
    writer.string(identity)
    writer.unsigned(UInt64(current.count))
    for (path, entry) in current.sorted(by: { $0.key < $1.key }) {
      writer.string(path)
      writer.signed(entry.key.size)
      writer.signed(entry.key.modified)
      writer.signed(entry.key.changed)
      writer.unsigned(entry.key.inode)
      writer.unsigned(entry.key.device)
      writer.byte(entry.isManifest ? 1 : 0)
      writer.unsigned(UInt64(entry.digest.count))
      writer.raw(entry.digest)
      writer.unsigned(UInt64(entry.documents.count))
      writer.raw(entry.documents)
    }
    // Written beside and renamed over: a reader never sees half a cache, and concurrent writers each leave a whole one.
    let temporary = folder + "/.manifests-\(getpid())-\(UInt64.random(in: 0...UInt64.max)).tmp"
    // Readable by its owner only: it holds what the manifest files hold, whatever their own permissions.
    guard
      FileManager.default.createFile(
        atPath: temporary, contents: Data(writer.bytes), attributes: [.posixPermissions: 0o600])
    else { return }
    if rename(temporary, file) != 0 { unlink(temporary) }
  }

  /// The entries of a cache file, or nil when it is not one this executable wrote in full.
  private static func entries(in bytes: [UInt8], identity: String) -> [String: Entry]? {
    guard bytes.count >= magic.count, Array(bytes[0..<magic.count]) == magic else { return nil }
    var reader = ByteReader(bytes, from: magic.count)
    guard reader.string() == identity, let count = reader.count() else { return nil }
    var entries: [String: Entry] = [:]
    entries.reserveCapacity(count)
    for _ in 0..<count {
      guard let path = reader.string(), let size = reader.signed(), let modified = reader.signed(),
        let changed = reader.signed(), let inode = reader.unsigned(), let device = reader.unsigned(),
        let flag = reader.byte(), let digestLength = reader.count(), let digest = reader.raw(digestLength),
        let documentsLength = reader.count(), let documents = reader.raw(documentsLength)
      else { return nil }
      entries[path] = Entry(
        key: FileKey(size: size, modified: modified, changed: changed, inode: inode, device: device),
        digest: Array(digest), isManifest: flag == 1, documents: documents)
    }
    return reader.isAtEnd ? entries : nil
  }

  /// Which build of Berth is running: a cache written by another is not trusted (its parser may differ).
  private static func executableIdentity() -> String {
    var info = stat()
    guard stat("/proc/self/exe", &info) == 0 else { return "" }
    let modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
    return "\(info.st_size)-\(modified)-\(info.st_ino)"
  }

  /// Now, in nanoseconds since 1970, as file times are written.
  static func now() -> Int64 {
    var time = timespec()
    clock_gettime(CLOCK_REALTIME, &time)
    return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
  }
}
