import Foundation

/// A configuration read from its file together with the secrets it names, ready to serve.
public struct LoadedConfiguration: Sendable {
  /// The configuration.
  public var configuration: GatewayConfiguration
  /// The credentials it names, read from their files.
  public var authorization: RequestAuthorization
  /// The traffic split.
  public var split: TrafficSplit
  /// What the files looked like when read; a change means a reload.
  var fingerprint: FileFingerprint
  /// SHA-256 (hex) of the configuration file's bytes, when it was read from a file.
  public var configurationSHA256: String?

  /// A configuration that could not be loaded: every problem, each naming the file or the field.
  public struct Problems: Error, CustomStringConvertible, Sendable {
    /// The problems.
    public var problems: [String]

    public var description: String { problems.joined(separator: "\n") }
  }

  /// Reads the configuration file and the secret files it names; collects every problem.
  public static func load(path: String) throws(Problems) -> LoadedConfiguration {
    let before = FileFingerprint(configuration: path, secrets: [])
    guard let data = FileManager.default.contents(atPath: path) else {
      throw Problems(problems: ["\(path): cannot be read"])
    }
    let configuration: GatewayConfiguration
    do {
      configuration = try JSONDecoder().decode(GatewayConfiguration.self, from: data)
    } catch {
      throw Problems(problems: ["\(path): \(describe(error))"])
    }
    var loaded = try prepare(configuration, configurationPath: path, fingerprint: before)
    loaded.configurationSHA256 = ListeningRecord.digest(of: data)
    return loaded
  }

  /// Reads the secret files `configuration` names.
  public static func prepare(
    _ configuration: GatewayConfiguration, configurationPath: String? = nil, fingerprint: FileFingerprint? = nil
  ) throws(Problems) -> LoadedConfiguration {
    let label = configurationPath ?? "gateway configuration"
    var problems = configuration.problems.map { "\(label): \($0)" }
    var authorization = RequestAuthorization(mode: configuration.authMode, endpoint: configuration.endpoint)
    let secrets = [configuration.keysFile, configuration.tokenSigningKeyFile].compactMap { $0 }
    do {
      if configuration.authMode == .key, let file = configuration.keysFile {
        authorization.keys = try SecretFiles.readKeys(file)
      }
      if configuration.authMode == .amlToken, let file = configuration.tokenSigningKeyFile {
        authorization.signingKey = try SecretFiles.readSigningKey(file)
      }
    } catch {
      problems.append("\(error)")
    }
    let environment = ProcessInfo.processInfo.environment
    if configuration.authMode == .key, configuration.keysFile == nil, let variable = configuration.keysEnv {
      if let text = environment[variable], let keys = try? JSONDecoder().decode(EndpointKeys.self, from: Data(text.utf8)),
        !keys.primaryKey.isEmpty || !keys.secondaryKey.isEmpty
      {
        authorization.keys = keys
      } else {
        problems.append("keys_env: $\(variable) is not set to a keys JSON ('primary_key', 'secondary_key')")
      }
    }
    if configuration.authMode == .amlToken, configuration.tokenSigningKeyFile == nil,
      let variable = configuration.tokenSigningKeyEnv
    {
      if let text = environment[variable], let key = SecretFiles.signingKey(text: text) {
        authorization.signingKey = key
      } else {
        problems.append("token_signing_key_env: $\(variable) is not set to a signing key (base64url, at least 32 bytes)")
      }
    }
    guard problems.isEmpty else { throw Problems(problems: problems) }
    var print = fingerprint ?? FileFingerprint(configuration: configurationPath, secrets: secrets)
    print.secrets = secrets.map(FileFingerprint.stamp)
    return LoadedConfiguration(
      configuration: configuration, authorization: authorization,
      split: TrafficSplit(traffic: configuration.traffic, mirrorTraffic: configuration.mirrorTraffic),
      fingerprint: print)
  }

  /// A decoding error as `field.path: what`.
  public static func describe(_ error: any Error) -> String {
    func path(_ codingPath: [any CodingKey]) -> String {
      let text = codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
      return text.hasPrefix(".") ? String(text.dropFirst()) : (text.isEmpty ? "(top level)" : text)
    }
    func kind(_ type: Any.Type) -> String {
      let name = "\(type)"
      if name.hasPrefix("Array") { return "a list" }
      if name.hasPrefix("Dictionary") { return "an object" }
      return ["String": "a string", "Int": "an integer", "Bool": "true or false", "Double": "a number"][name] ?? name
    }
    switch error as? DecodingError {
    case .keyNotFound(let key, let context)?: return "\(path(context.codingPath + [key])): required field is missing"
    case .typeMismatch(let type, let context)?: return "\(path(context.codingPath)): expected \(kind(type))"
    case .valueNotFound(let type, let context)?: return "\(path(context.codingPath)): expected \(kind(type)), found null"
    case .dataCorrupted(let context)?: return "\(path(context.codingPath)): \(context.debugDescription)"
    default: return "not valid JSON"
    }
  }
}

/// Identity, size and modification time of the configuration and secret files, to notice replacements.
public struct FileFingerprint: Sendable, Hashable {
  var configuration: [Int]
  var secrets: [[Int]]

  init(configuration: String?, secrets: [String]) {
    self.configuration = configuration.map(Self.stamp) ?? []
    self.secrets = secrets.map(Self.stamp)
  }

  /// Device, inode, size and nanosecond mtime: an atomic rename changes the inode even within one tick.
  static func stamp(_ path: String) -> [Int] {
    var info = stat()
    guard stat(path, &info) == 0 else { return [-1] }
    return [
      Int(info.st_dev), Int(info.st_ino), Int(info.st_size), Int(info.st_mtim.tv_sec), Int(info.st_mtim.tv_nsec),
    ]
  }
}
