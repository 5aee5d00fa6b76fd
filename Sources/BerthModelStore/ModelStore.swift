import BerthState
import Foundation

/// The workspace's content-addressed model store: `<root>/sha256/<digest>/<basename>`, read-only once written.
public struct ModelStore: Sendable {
  public var root: String
  public var hasher: ContentHasher

  public init(root: String, hasher: ContentHasher) {
    self.root = root
    self.hasher = hasher
  }

  /// Copies a model file or folder into the store (once per content) and describes the new version.
  public func register(
    name: String, version: Int, source: String, description: String?, tags: [String: String], at date: Date
  ) throws -> ModelVersionRecord {
    let digest = try hasher.digest(of: source)
    let basename = (source as NSString).lastPathComponent
    let folder = root + "/sha256/" + digest.sha256
    let fileManager = FileManager.default
    if !fileManager.fileExists(atPath: folder + "/" + basename) {
      // Copy beside the final place, then rename: a crash never leaves a half-copied version.
      let staging = root + "/.staging-\(UUID().uuidString)"
      try fileManager.createDirectory(atPath: staging, withIntermediateDirectories: true)
      defer { try? fileManager.removeItem(atPath: staging) }
      try fileManager.copyItem(atPath: source, toPath: staging + "/" + basename)
      let copied = try hasher.digest(of: staging + "/" + basename)
      guard copied.sha256 == digest.sha256 else {
        throw CocoaError(
          .fileWriteUnknown,
          userInfo: [NSLocalizedDescriptionKey: "model '\(name)' changed while it was being copied; apply again"])
      }
      try Self.makeReadOnly(staging + "/" + basename)
      try fileManager.createDirectory(atPath: root + "/sha256", withIntermediateDirectories: true)
      if rename(staging, folder) != 0 && errno != EEXIST && errno != ENOTEMPTY {
        throw CocoaError(
          .fileWriteUnknown,
          userInfo: [NSLocalizedDescriptionKey: "cannot move model into \(folder): \(String(cString: strerror(errno)))"])
      }
    }
    return ModelVersionRecord(
      name: name, version: version, sha256: digest.sha256, storePath: folder, basename: basename, sizeBytes: digest.sizeBytes,
      fileCount: digest.fileCount, description: description, tags: tags, registeredAt: date)
  }

  /// Files 0444 and folders 0555: a service can read a model version but never change it.
  static func makeReadOnly(_ path: String) throws {
    var isDirectory: ObjCBool = false
    FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
    if isDirectory.boolValue {
      for child in try FileManager.default.contentsOfDirectory(atPath: path) {
        try makeReadOnly(path + "/" + child)
      }
      chmod(path, 0o555)
    } else {
      chmod(path, 0o444)
    }
  }
}
