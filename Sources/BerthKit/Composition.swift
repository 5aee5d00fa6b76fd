import BerthAzure
import BerthImage
import BerthModel
import BerthState
import BerthStatePostgres
import BerthStateSQLite
import BerthTargetACI
import BerthTargetAKS
import BerthTargetAPI
import BerthTargetBatch
import BerthTargetIoTEdge
import BerthTargetKubernetes
import BerthTargetLocal
import Foundation

/// Wires the real parts: the SQLite or PostgreSQL state store, the local target with its environment builder, the
/// kubernetes target (with AKS clusters through Azure Resource Manager), the batch target, the aci and IoT Edge targets, and the image builder.
public enum Composition {
  /// Opens a workspace's state: SQLite by default; PostgreSQL when the workspace says so.
  public static let openState: StateOpening = { location, access in
    switch location {
    case .sqlite(let path):
      return try SQLiteStateStore(path: path, access: access)
    case .postgres(let url):
      // Connects on first use; errors name the URL with its password hidden (`URLRedaction.redacted`).
      return try PostgresStateStore(url: url, access: access)
    }
  }

  /// The targets of a workspace. `gatewayCommand` starts a local gateway (`berth gateway serve`); `gatewayBinary`
  /// is the `berth` put in gateway images (default: the running executable).
  public static func targets(for workspace: Workspace, gatewayCommand: [String], gatewayBinary: String? = nil) -> Targets {
    Targets(
      providers: [
        LocalTargetProvider(
          runtimeDirectory: workspace.runtimeDirectory, environmentCache: workspace.environmentCache,
          gatewayCommand: gatewayCommand),
        KubernetesTargetProvider(clusters: AKSClusters()),
        BatchTargetProvider(runtimeDirectory: workspace.runtimeDirectory, environmentCache: workspace.environmentCache),
        ACITargetProvider(),
        IoTEdgeTargetProvider(),
      ],
      environmentBuilder: LocalEnvironmentBuilder(cacheDirectory: workspace.environmentCache),
      imageBuilder: imageBuilder(for: workspace),
      gatewayImageBuilder: {
        var builder = GatewayImageBuilder(
          cacheDirectory: workspace.imageCache, binary: gatewayBinary ?? GatewayImageBuilder.runningExecutable())
        builder.registryExchange = registryExchange()
        return builder
      }())
  }

  /// Azure AD access to Azure Container Registries, with the credential Azure's SDKs would pick on this machine
  /// (`DefaultAzureCredential`, Resource Manager's scope, as `az acr login` exchanges it).
  public static func registryExchange(
    environment: [String: String] = ProcessInfo.processInfo.environment
  ) -> ACRTokenExchange {
    let cloud = AzureCloud.from(environment: environment)
    let credential = DefaultAzureCredential.from(environment: environment, cloud: cloud, http: ARMClient.sharedHTTP)
    return ACRTokenExchange(tenant: environment["AZURE_TENANT_ID"]) {
      try await credential.token(scope: cloud.resourceManagerScope).value
    }
  }

  /// The daemonless OCI image builder; layers are cached in `<workspace>/.berth/images`, uv comes from the environment cache.
  public static func imageBuilder(for workspace: Workspace) -> OCIImageBuilder {
    let uv = UVProvisioning(cacheDirectory: workspace.environmentCache)
    var builder = OCIImageBuilder(
      cacheDirectory: workspace.imageCache,
      locateTools: {
        let found = try uv.locate()
        return (found.uv, found.python)
      }, releaseDates: SimpleIndexReleaseDates(cacheDirectory: workspace.environmentCache + "/.release-dates"))
    builder.registryExchange = registryExchange()
    return builder
  }

  /// The path of the running executable, for commands that start Berth again (the gateway).
  public static func currentExecutable() -> String {
    GatewayImageBuilder.runningExecutable()
  }
}

extension Reconciler {
  /// The reconciler `berth` uses: SQLite (or PostgreSQL) state, the local and the kubernetes targets.
  public static func standard(gatewayCommand: [String] = [Composition.currentExecutable(), "gateway", "serve"]) -> Reconciler {
    Reconciler(targets: { Composition.targets(for: $0, gatewayCommand: gatewayCommand) }, openState: Composition.openState)
  }
}
