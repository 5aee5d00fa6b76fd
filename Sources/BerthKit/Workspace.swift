import BerthModel
import Foundation

/// Where this workspace keeps state, models, environments and runtime files, all resolved to absolute paths.
public struct Workspace: Sendable, Hashable {
  /// Where recorded state lives.
  public enum StateLocation: Sendable, Hashable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(url: String)

    public var description: String {
      switch self {
      case .sqlite(let path): "sqlite:\(path)"
      case .postgres(let url): URLRedaction.redacted(url)
      }
    }
  }

  /// The manifest root; relative workspace paths start here.
  public var root: String
  public var state: StateLocation
  public var modelStore: String
  public var environmentCache: String
  /// Logs, pid files and model links of local services.
  public var runtimeDirectory: String
  public var hashCacheFile: String
  /// Built image layers, by the digest of their inputs.
  public var imageCache: String
  /// Where images of container targets are pushed (the Workspace manifest's `registry`).
  public var registry: RegistryReference?

  /// Resolves a Workspace manifest (or the defaults) against the manifest root; `BERTH_STATE_URL` overrides the state.
  public static func resolve(
    _ spec: WorkspaceSpec?, root: String, environment: [String: String] = ProcessInfo.processInfo.environment
  ) throws -> Workspace {
    let spec = spec ?? WorkspaceSpec()
    func absolute(_ path: String) -> String {
      let expanded = (path as NSString).expandingTildeInPath
      return expanded.hasPrefix("/") ? expanded : root + "/" + expanded
    }
    let stateText = environment["BERTH_STATE_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? spec.state
    let state: StateLocation
    if stateText.hasPrefix("sqlite:") {
      state = .sqlite(path: absolute(String(stateText.dropFirst("sqlite:".count))))
    } else if stateText.hasPrefix("postgres://") || stateText.hasPrefix("postgresql://") {
      state = .postgres(url: stateText)
    } else {
      throw WorkspaceError.badStateLocation(URLRedaction.redacted(stateText))
    }
    return Workspace(
      root: root, state: state, modelStore: absolute(spec.modelStore), environmentCache: absolute(spec.environmentCache),
      runtimeDirectory: absolute(".berth/run"), hashCacheFile: absolute(".berth/cache/hashes.bin"),
      imageCache: absolute(".berth/images"), registry: spec.registry)
  }
}

/// Problems with the Workspace settings.
public enum WorkspaceError: Error, CustomStringConvertible, Equatable {
  case badStateLocation(String)

  public var description: String {
    switch self {
    case .badStateLocation(let text):
      "cannot use state location '\(text)'\n  hint: write sqlite:PATH (the default is sqlite:.berth/state.db) or a postgres:// URL"
    }
  }
}
