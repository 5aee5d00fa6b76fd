import Foundation

/// A base image resolved to one platform: its manifest digest, layers and config, read without pulling layers.
struct BaseImage {
  var reference: ImageReference
  /// Digest of the platform manifest.
  var digest: String
  var manifest: ImageManifest
  var config: ImageConfig

  /// GETs the manifest (choosing `platform` from an index) and the config blob.
  static func resolve(_ reference: ImageReference, client: RegistryClient, platform: Platform = .linuxAMD64) async throws
    -> BaseImage
  {
    var (data, mediaType, digest) = try await client.manifest(reference.repository, reference: reference.manifestReference)
    if MediaType.isIndex(mediaType) {
      let index = try JSONDecoder().decode(ImageIndex.self, from: data)
      guard
        let entry = index.manifests.first(where: {
          $0.platform?.os == platform.os && $0.platform?.architecture == platform.architecture
        })
      else {
        let available = index.manifests.compactMap { $0.platform.map { "\($0.os)/\($0.architecture)" } }
        throw ImageBuildError(
          "base image \(reference) has no \(platform.os)/\(platform.architecture) variant (it has \(available.joined(separator: ", ")))"
        )
      }
      (data, mediaType, digest) = try await client.manifest(reference.repository, reference: entry.digest)
    }
    let manifest: ImageManifest
    do {
      manifest = try JSONDecoder().decode(ImageManifest.self, from: data)
    } catch {
      throw ImageBuildError("base image \(reference) has a manifest Berth cannot read (\(mediaType)): \(error)")
    }
    let configData = try await client.blob(reference.repository, digest: manifest.config.digest, limit: 8 << 20)
    let config: ImageConfig
    do {
      config = try JSONDecoder().decode(ImageConfig.self, from: configData)
    } catch {
      throw ImageBuildError("base image \(reference) has a config Berth cannot read: \(error)")
    }
    guard config.rootfs.diffIDs.count == manifest.layers.count else {
      throw ImageBuildError(
        "base image \(reference): its config lists \(config.rootfs.diffIDs.count) layers, its manifest \(manifest.layers.count)")
    }
    return BaseImage(reference: reference, digest: digest, manifest: manifest, config: config)
  }

  var platform: Platform { Platform(architecture: config.architecture, os: config.os, variant: config.variant) }

  /// The image's Python `major.minor` from its `PYTHON_VERSION` (official python images and the test base set it).
  var pythonVersion: String? {
    config.environment("PYTHON_VERSION").map { $0.split(separator: ".").prefix(2).joined(separator: ".") }
  }

  /// Base layers as an OCI manifest lists them (Docker layer media types have OCI twins with the same bytes).
  var ociLayers: [Descriptor] {
    manifest.layers.map { layer in
      var copy = layer
      if layer.mediaType == MediaType.dockerLayerGzip { copy.mediaType = MediaType.ociLayerGzip }
      return copy
    }
  }
}
