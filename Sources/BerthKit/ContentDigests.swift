import BerthGraph
import BerthManifest
import BerthModel
import BerthModelStore
import Crypto
import Foundation

/// A file that validated but could not be read when its bytes were measured, said at the manifest line naming it.
public struct ContentReadError: Error, CustomStringConvertible {
  public var description: String
}

/// Measures the bytes behind a graph: model files, conda files and source folders.
enum ContentDigests {
  static func measure(_ graph: DesiredGraph, hasher: ContentHasher) throws -> [ResourceAddress: String] {
    // What each resource names; inference configs often share a source folder, environments a conda file.
    var named: [(address: ResourceAddress, resource: Resource, path: String, full: String)] = []
    var paths: [String] = []
    var seen: Set<String> = []
    for (address, resource) in graph.resources {
      let path: String
      switch resource.spec {
      case .model(let spec): path = spec.path
      case .environment(let spec): path = spec.condaFile
      case .inferenceConfig(let spec): path = spec.sourceDirectory
      case .service(let spec):
        // A batch job's inputs are part of what it is: new or changed files make a new run.
        guard graph.computeTarget(of: spec)?.type == .batch, case .string(let input)? = spec.deployment["input_path"] else {
          continue
        }
        path = input
      case .workspace, .computeTarget, .endpoint: continue
      }
      let full = resource.baseDirectory + "/" + path
      named.append((address, resource, path, full))
      if seen.insert(full).inserted { paths.append(full) }
    }
    // Each path once, on every core: 100,000 model files are 100,000 `stat`s even when the hash cache knows them all.
    let measured = ParallelMap.map(paths) { full in Result { try hasher.digest(of: full).sha256 } }
    let byPath = Dictionary(uniqueKeysWithValues: zip(paths, measured))
    var digests: [ResourceAddress: String] = [:]
    digests.reserveCapacity(named.count)
    for (address, resource, path, full) in named {
      let digest: String
      switch byPath[full]! {
      case .success(let value): digest = value
      case .failure(let error): throw Self.readError(full, shown: path, resource: resource, underlying: error)
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

  /// Names the manifest line and what is wrong with the path now, instead of a Foundation error dump.
  static func readError(_ full: String, shown: String, resource: Resource, underlying: Error) -> ContentReadError {
    let field: String
    switch resource.spec {
    case .model: field = "path"
    case .environment: field = "conda_file"
    case .service: field = "deployment.input_path"
    default: field = "source_directory"
    }
    let reason: String
    switch FileCheck.kind(of: full) {
    case .failure(let problem): reason = problem.description
    case .success(.special(let kind)): reason = "it is a \(kind)"
    case .success:
      reason = FileCheck.unreadable(full)?.description ?? "a file in it cannot be read (\(type(of: underlying)))"
    }
    let location = "\(resource.location(of: field)): "
    return ContentReadError(
      description: "\(location)cannot read '\(shown)' of \(resource.address): \(reason)\n"
        + "  hint: it was readable when the manifests were checked; fix its permissions or restore it, then plan again")
  }
}
