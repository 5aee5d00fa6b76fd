import BerthModel

/// A module's Docker create options as IoT Edge takes them: one JSON document written as a string, split into
/// `createOptions`, `createOptions01` … `createOptions07` when it is longer than a twin string value may be.
public enum CreateOptions {
  /// IoT Hub's limit on one string value of a twin (4 KB); longer options continue in the next numbered key.
  public static let chunkBytes = 4096
  /// `createOptions` and `createOptions01`–`07`: at most eight chunks.
  public static let maximumChunks = 8

  /// The create options of a scoring container: its port published, environment, labels and limits.
  public static func document(
    settings: IoTEdgeSettings, environment: [String: String], labels: [String: String]
  ) -> JSONValue {
    let port = "\(IoTEdgeSettings.containerPort)/tcp"
    var hostConfig: [JSONValue.Member] = []
    if let hostPort = settings.hostPort {
      hostConfig.append(.init("PortBindings", .obj([port: .array([.obj(["HostPort": .string(String(hostPort))])])])))
    }
    if let memory = settings.memoryGB {
      hostConfig.append(.init("Memory", .int(Int((memory * 1_073_741_824).rounded()))))
    }
    if let cpus = settings.cpuCores {
      hostConfig.append(.init("NanoCpus", .int(Int((cpus * 1_000_000_000).rounded()))))
    }
    var members: [JSONValue.Member] = [
      .init("ExposedPorts", .obj([port: .object([])])),
      .init("Env", .array(environment.keys.sorted().map { .string("\($0)=\(environment[$0]!)") })),
      .init("Labels", .strings(labels)),
    ]
    if !hostConfig.isEmpty { members.append(.init("HostConfig", .object(hostConfig))) }
    return .object(members)
  }

  /// The `settings` members carrying `options`: `createOptions`, then `createOptions01`… for each further chunk.
  public static func chunks(_ options: JSONValue) throws -> [JSONValue.Member] {
    let text = EdgeJSON.compact(options)
    var pieces: [String] = []
    var current = ""
    var currentBytes = 0
    for character in text {
      let size = String(character).utf8.count
      if currentBytes + size > chunkBytes {
        pieces.append(current)
        current = ""
        currentBytes = 0
      }
      current.append(character)
      currentBytes += size
    }
    if !current.isEmpty || pieces.isEmpty { pieces.append(current) }
    guard pieces.count <= maximumChunks else {
      throw IoTEdgeError.configuration(
        "the module's create options are \(text.utf8.count) bytes; IoT Edge takes at most \(maximumChunks) × \(chunkBytes)")
    }
    return pieces.enumerated().map { index, piece in
      .init(index == 0 ? "createOptions" : String(format: "createOptions%02d", index), .string(piece))
    }
  }
}
