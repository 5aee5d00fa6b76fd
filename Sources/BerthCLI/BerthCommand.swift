import ArgumentParser

/// The root `berth` command.
public struct BerthCommand: AsyncParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "berth",
    abstract: "Declarative GitOps deployments for machine-learning models.",
    discussion: """
      Manifests in git describe models, environments, inference configs, compute targets and services.
      `berth plan` shows what would change and why; `berth apply` makes it so.
      """,
    version: BerthVersion.current,
    subcommands: [
      ValidateCommand.self, PlanCommand.self, ApplyCommand.self, DestroyCommand.self, DriftCommand.self, ShowCommand.self,
      BuildCommand.self, GraphCommand.self, RenderCommand.self, StateCommand.self, ImportCommand.self,
      ModelsCommand.self, ServicesCommand.self, EndpointsCommand.self, LogsCommand.self, SchemaCommand.self,
      WatchCommand.self, GatewayCommand.self, GatewayImageCommand.self, JobsCommand.self,
    ]
  )

  public init() {}
}

/// The version printed by `berth --version`.
public enum BerthVersion {
  public static let current = "0.1.0"
}
