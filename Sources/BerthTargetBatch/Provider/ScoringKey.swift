import BerthModel
import BerthTargetAPI
import Crypto
import Foundation

/// What scoring a file depends on besides the file: the code, the models, the environment and the settings that
/// change a row. Two runs with equal keys score equal files the same way, so `incremental` reuses their rows.
enum ScoringKey {
  /// Settings that say which files to score and where results go, not how a file is scored.
  static let placementSettings: Set<String> = ["input_path", "output_path", "incremental"]

  static func of(_ deployment: ServiceDeployment) throws -> String {
    var lines: [String] = []
    for model in deployment.models.sorted(by: { $0.name < $1.name }) {
      lines.append("model=\(model.name):\(model.version):\(model.sha256)")
    }
    lines.append("environment=\(deployment.environmentDigest)")
    lines.append("entry_script=\(deployment.entryScript)")
    // Python's bytecode caches change whenever the code is imported; they are not the code.
    let code = try InputListing.files(under: deployment.sourceDirectory).filter {
      !$0.name.split(separator: "/").contains("__pycache__")
    }
    lines.append("code=\(InputListing.digest(code))")
    for (key, value) in deployment.settings.sorted(by: { $0.key < $1.key })
    where !placementSettings.contains(String(key.split(separator: ".").first ?? "")) {
      lines.append("setting.\(key)=\(value.description)")
    }
    for (key, value) in deployment.environmentVariables.sorted(by: { $0.key < $1.key }) {
      lines.append("env.\(key)=\(value)")
    }
    return Hex.encode(SHA256.hash(data: Data(lines.joined(separator: "\n").utf8)))
  }
}
