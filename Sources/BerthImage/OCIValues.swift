import Foundation

/// The media types Berth reads and writes.
public enum MediaType {
  public static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
  public static let ociIndex = "application/vnd.oci.image.index.v1+json"
  public static let ociConfig = "application/vnd.oci.image.config.v1+json"
  public static let ociLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
  public static let ociLayerTar = "application/vnd.oci.image.layer.v1.tar"
  public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
  public static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
  public static let dockerConfig = "application/vnd.docker.container.image.v1+json"
  public static let dockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip"

  /// What a manifest GET accepts: single-platform manifests and indexes, OCI and Docker.
  public static let manifestAccept = [ociManifest, ociIndex, dockerManifest, dockerManifestList].joined(separator: ", ")

  static func isIndex(_ type: String?) -> Bool { type == ociIndex || type == dockerManifestList }
}

/// A content descriptor: what a manifest says about a blob.
public struct Descriptor: Codable, Hashable, Sendable {
  public var mediaType: String
  public var digest: String
  public var size: Int
  public var platform: Platform?
  public var annotations: [String: String]?

  public init(mediaType: String, digest: String, size: Int, platform: Platform? = nil, annotations: [String: String]? = nil) {
    self.mediaType = mediaType
    self.digest = digest
    self.size = size
    self.platform = platform
    self.annotations = annotations
  }
}

/// An OS and CPU pair, as in an index entry or an image config.
public struct Platform: Codable, Hashable, Sendable {
  public var architecture: String
  public var os: String
  public var variant: String?

  public init(architecture: String, os: String, variant: String? = nil) {
    self.architecture = architecture
    self.os = os
    self.variant = variant
  }

  public static let linuxAMD64 = Platform(architecture: "amd64", os: "linux")
}

/// A single-platform image manifest (OCI or Docker schema 2; the fields Berth needs are the same).
public struct ImageManifest: Codable, Hashable, Sendable {
  public var schemaVersion: Int
  public var mediaType: String?
  public var config: Descriptor
  public var layers: [Descriptor]
  public var annotations: [String: String]?

  public init(config: Descriptor, layers: [Descriptor], annotations: [String: String]? = nil) {
    self.schemaVersion = 2
    self.mediaType = MediaType.ociManifest
    self.config = config
    self.layers = layers
    self.annotations = annotations
  }
}

/// A multi-platform index (OCI index or Docker manifest list).
public struct ImageIndex: Codable, Hashable, Sendable {
  public var schemaVersion: Int
  public var mediaType: String?
  public var manifests: [Descriptor]
}

/// The image configuration: platform, how to run, and the layer diff IDs.
public struct ImageConfig: Codable, Hashable, Sendable {
  public struct RunConfig: Codable, Hashable, Sendable {
    public var user: String?
    public var exposedPorts: [String: EmptyObject]?
    public var env: [String]?
    public var entrypoint: [String]?
    public var cmd: [String]?
    public var volumes: [String: EmptyObject]?
    public var workingDir: String?
    public var labels: [String: String]?
    public var stopSignal: String?

    public init() {}

    enum CodingKeys: String, CodingKey {
      case user = "User"
      case exposedPorts = "ExposedPorts"
      case env = "Env"
      case entrypoint = "Entrypoint"
      case cmd = "Cmd"
      case volumes = "Volumes"
      case workingDir = "WorkingDir"
      case labels = "Labels"
      case stopSignal = "StopSignal"
    }
  }

  public struct RootFS: Codable, Hashable, Sendable {
    public var type: String
    public var diffIDs: [String]

    enum CodingKeys: String, CodingKey {
      case type
      case diffIDs = "diff_ids"
    }
  }

  public struct History: Codable, Hashable, Sendable {
    public var created: String?
    public var createdBy: String?
    public var comment: String?
    public var emptyLayer: Bool?

    enum CodingKeys: String, CodingKey {
      case created
      case createdBy = "created_by"
      case comment
      case emptyLayer = "empty_layer"
    }
  }

  public var created: String?
  public var architecture: String
  public var os: String
  public var variant: String?
  public var config: RunConfig?
  public var rootfs: RootFS
  public var history: [History]?

  /// The value of `NAME` in `config.Env`, if set.
  public func environment(_ name: String) -> String? {
    config?.env?.last { $0.hasPrefix(name + "=") }.map { String($0.dropFirst(name.count + 1)) }
  }
}

/// `{}` in JSON (the values of `ExposedPorts` and `Volumes`).
public struct EmptyObject: Codable, Hashable, Sendable {
  public init() {}
}

/// JSON the way Berth writes manifests and configs: sorted keys, no escaped slashes, so equal values give equal digests.
enum CanonicalJSON {
  static func encode<T: Encodable>(_ value: T) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return try encoder.encode(value)
  }
}
