import Foundation

/// Writes a synthetic manifest set: services sharing models, inference configs and environments.
struct ManifestCorpus {
  var resources: Int
  var files: Int
  /// Only Model resources (the model-registration benchmark).
  var modelsOnly = false

  struct Layout {
    var environments: Int
    var models: Int
    var inferenceConfigs: Int
    var services: Int
  }

  var layout: Layout {
    if modelsOnly { return Layout(environments: 0, models: resources, inferenceConfigs: 0, services: 0) }
    let environments = max(1, resources / 50)
    let models = max(1, resources / 10)
    let inferenceConfigs = max(1, resources / 10)
    return Layout(
      environments: environments, models: models, inferenceConfigs: inferenceConfigs,
      services: max(1, resources - environments - models - inferenceConfigs - 1))
  }

  /// Creates the corpus in a new temporary folder and returns its path.
  func write() throws -> String {
    let root = NSTemporaryDirectory() + "berth-bench-\(resources)-\(UUID().uuidString.prefix(8))"
    let fm = FileManager.default
    try fm.createDirectory(atPath: root + "/models", withIntermediateDirectories: true)
    try fm.createDirectory(atPath: root + "/src", withIntermediateDirectories: true)
    try "def init():\n    pass\n\n\ndef run(data):\n    return data\n".write(
      toFile: root + "/src/score.py", atomically: true, encoding: .utf8)
    try "name: bench\ndependencies:\n  - python=3.11\n".write(toFile: root + "/conda.yaml", atomically: true, encoding: .utf8)

    let layout = layout
    var documents: [String] = []
    if !modelsOnly { documents.append(document("ComputeTarget", "local", "  type: local\n")) }
    for e in 0..<layout.environments {
      documents.append(document("Environment", "env-\(e)", "  conda_file: conda.yaml\n"))
    }
    for m in 0..<layout.models {
      try "model \(m)\n".write(toFile: root + "/models/model-\(m).bin", atomically: false, encoding: .utf8)
      documents.append(document("Model", "model-\(m)", "  path: models/model-\(m).bin\n  tags: {index: \"\(m)\"}\n"))
    }
    for i in 0..<layout.inferenceConfigs {
      documents.append(
        document(
          "InferenceConfig", "scoring-\(i)",
          "  source_directory: src\n  entry_script: score.py\n  environment: env-\(i % max(1, layout.environments))\n"))
    }
    // Services past the port range (the 100,000-resource sets of issue #16) are declared without a port.
    for s in 0..<layout.services {
      documents.append(
        document(
          "Service", "svc-\(s)",
          """
            compute_target: local
            models: [model-\(s % layout.models)]
            inference_config: scoring-\(s % layout.inferenceConfigs)
            deployment: {\(s < 55_000 ? "port: \(10000 + s), " : "")worker_count: 1}

          """))
    }
    let perFile = (documents.count + files - 1) / files
    for f in 0..<files {
      let slice = documents.dropFirst(f * perFile).prefix(perFile)
      if slice.isEmpty { break }
      try slice.joined(separator: "---\n").write(
        toFile: root + String(format: "/manifests-%05d.yaml", f), atomically: false, encoding: .utf8)
    }
    return root
  }

  /// The file of `root` that declares service `svc-<index>`.
  func fileHolding(service index: Int, root: String) throws -> String {
    let layout = layout
    let before = (modelsOnly ? 0 : 1) + layout.environments + layout.models + layout.inferenceConfigs
    let documents = before + layout.services
    let perFile = (documents + files - 1) / files
    return root + String(format: "/manifests-%05d.yaml", (before + index) / perFile)
  }

  private func document(_ kind: String, _ name: String, _ spec: String) -> String {
    "apiVersion: berth/v1\nkind: \(kind)\nmetadata:\n  name: \(name)\n  labels: {team: bench}\nspec:\n\(spec)"
  }
}
