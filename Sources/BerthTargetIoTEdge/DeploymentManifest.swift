import BerthModel

/// A device's deployment manifest (`{"modulesContent": {"$edgeAgent": …, "$edgeHub": …}}`): the base a device
/// starts from, and the changes one service makes to it. Pure.
///
/// `applyConfigurationContent` replaces a device's whole configuration, so the target reads what the hub holds,
/// changes its own module (and routes) in it, and sends the whole back: modules of other services, and modules
/// Berth does not manage, stay as they are.
public struct DeploymentManifest: Hashable, Sendable {
  /// `$edgeAgent`'s `properties.desired`, without the twin's `$`-members.
  public var agent: JSONValue
  /// `$edgeHub`'s `properties.desired`, without the twin's `$`-members.
  public var hub: JSONValue

  public static let schemaVersion = "1.1"
  public static let agentImage = "mcr.microsoft.com/azureiotedge-agent:1.5"
  public static let hubImage = "mcr.microsoft.com/azureiotedge-hub:1.5"
  public static let defaultTimeToLiveSecs = 7200

  /// The manifest of a device with no modules: the runtime and the system modules, no routes.
  public static func base(timeToLiveSecs: Int = defaultTimeToLiveSecs) -> DeploymentManifest {
    let hubOptions =
      #"{"HostConfig":{"PortBindings":{"5671/tcp":[{"HostPort":"5671"}],"8883/tcp":[{"HostPort":"8883"}],"443/tcp":[{"HostPort":"443"}]}}}"#
    return DeploymentManifest(
      agent: .obj([
        "schemaVersion": .string(schemaVersion),
        "runtime": .obj([
          "type": .string("docker"),
          "settings": .obj(["minDockerVersion": .string("v1.25"), "registryCredentials": .object([])]),
        ]),
        "systemModules": .obj([
          "edgeAgent": .obj([
            "type": .string("docker"), "settings": .obj(["image": .string(agentImage), "createOptions": .string("{}")]),
          ]),
          "edgeHub": .obj([
            "type": .string("docker"), "status": .string("running"), "restartPolicy": .string("always"),
            "settings": .obj(["image": .string(hubImage), "createOptions": .string(hubOptions)]),
          ]),
        ]),
        "modules": .object([]),
      ]),
      hub: .obj([
        "schemaVersion": .string(schemaVersion), "routes": .object([]),
        "storeAndForwardConfiguration": .obj(["timeToLiveSecs": .int(timeToLiveSecs)]),
      ]))
  }

  /// The manifest the hub holds for a device (its `$edgeAgent` and `$edgeHub` desired properties), or the base
  /// where the device has none yet.
  public static func current(agentDesired: JSONValue?, hubDesired: JSONValue?, timeToLiveSecs: Int) -> DeploymentManifest {
    let base = Self.base(timeToLiveSecs: timeToLiveSecs)
    var agent = agentDesired?.withoutTwinMetadata ?? base.agent
    var hub = hubDesired?.withoutTwinMetadata ?? base.hub
    for key in ["schemaVersion", "runtime", "systemModules", "modules"] where agent[key] == nil {
      agent.set(key, base.agent[key]!)
    }
    for key in ["schemaVersion", "routes", "storeAndForwardConfiguration"] where hub[key] == nil {
      hub.set(key, base.hub[key]!)
    }
    return DeploymentManifest(agent: agent, hub: hub)
  }

  /// Puts `module` in (replacing its earlier definition), drops `staleRoutes` (routes it had before), adds its routes
  /// and its registry's credentials.
  public mutating func place(
    _ module: EdgeModule, staleRoutes: [String] = [], environment: [String: String], maskCredentials: Bool = false
  ) throws {
    var modules = agent["modules"] ?? .object([])
    modules.set(module.name, module.definition)
    agent.set("modules", modules)
    var routes = hub["routes"] ?? .object([])
    for name in staleRoutes { routes.remove(name) }
    for name in module.routes.keys.sorted() { routes.set(name, .string(module.routes[name]!)) }
    hub.set("routes", routes)
    if let registry = module.registry {
      var runtime = agent["runtime"] ?? .object([])
      var settings = runtime["settings"] ?? .object([])
      var credentials = settings["registryCredentials"] ?? .object([])
      credentials.set(registry.key, try registry.entry(environment: environment, masked: maskCredentials))
      settings.set("registryCredentials", credentials)
      runtime.set("settings", settings)
      agent.set("runtime", runtime)
    }
  }

  /// Takes module `name` and `routes` out. Registry credentials stay: another module may pull from the registry.
  public mutating func remove(module name: String, routes names: [String]) {
    var modules = agent["modules"] ?? .object([])
    modules.remove(name)
    agent.set("modules", modules)
    var routes = hub["routes"] ?? .object([])
    for route in names { routes.remove(route) }
    hub.set("routes", routes)
  }

  /// The definition of module `name`, if the manifest has it.
  public func module(_ name: String) -> JSONValue? { agent["modules"]?[name] }

  /// What `applyConfigurationContent` takes.
  public var content: JSONValue {
    .obj([
      "modulesContent": .obj([
        "$edgeAgent": .obj(["properties.desired": agent]), "$edgeHub": .obj(["properties.desired": hub]),
      ])
    ])
  }

  /// The content as indented JSON (`berth render`).
  public var prettyJSON: String { EdgeJSON.pretty(content) }
}
