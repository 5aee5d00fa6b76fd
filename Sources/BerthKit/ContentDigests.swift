import BerthGraph
import BerthModel
import BerthModelStore
import Crypto
import Foundation

/// Measures the bytes behind a graph: model files, conda files and source folders.
enum ContentDigests {
  static func measure(_ graph: DesiredGraph, hasher: ContentHasher) throws -> [ResourceAddress: String] {
    var digests: [ResourceAddress: String] = [:]
    var byPath: [String: String] = [:]  // inference configs often share a source folder, environments a conda file
    for (address, resource) in graph.resources {
      let path: String
      switch resource.spec {
      case .model(let spec): path = spec.path
      case .environment(let spec): path = spec.condaFile
      case .inferenceConfig(let spec): path = spec.sourceDirectory
      case .workspace, .computeTarget, .endpoint, .service: continue
      }
      let full = resource.baseDirectory + "/" + path
      let digest: String
      if let known = byPath[full] {
        digest = known
      } else {
        digest = try hasher.digest(of: full).sha256
        byPath[full] = digest
      }
      // Resolution settings change what is installed, so services using the environment must roll out again.
      if case .environment(let spec) = resource.spec, !spec.resolution.isDefault {
        digests[address] = Hex.encode(
          SHA256.hash(data: Data(([digest] + spec.resolution.canonicalLines).joined(separator: "\n").utf8)))
      } else {
        digests[address] = digest
      }
    }
    return digests
  }
}
