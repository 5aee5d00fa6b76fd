import ArgumentParser
import BerthKit
import BerthManifest
import BerthState

/// Opens a workspace's state for the commands that only read or edit it (state, models, services, logs).
enum WorkspaceAccess {
  /// The workspace of the manifests under `dir` (their Workspace manifest, or the defaults) and its store.
  /// Works even when other manifests are invalid: reading state must not depend on them.
  static func open(_ options: ManifestOptions) throws -> (Workspace, any StateStoring & Locking, Validation) {
    let validation = Validation.run(path: options.path, overlays: options.overlay)
    let workspace = try Workspace.resolve(validation.manifests.workspace, root: validation.manifests.root)
    return (workspace, try Reconciler.standard().openState(workspace.state), validation)
  }

  /// The manifests under `options` when they are valid, their workspace and its store (for the commands that change
  /// state: apply, destroy, import). Invalid manifests print their diagnostics and exit 1.
  static func openValid(_ options: ManifestOptions, reconciler: Reconciler, terminal: Terminal) throws -> (
    Validation, Workspace, any StateStoring & Locking
  ) {
    let validation = Validation.run(path: options.path, overlays: options.overlay)
    guard validation.isValid else {
      terminal.printDiagnostics(validation.diagnostics)
      throw ExitCode(1)
    }
    let workspace = try Workspace.resolve(validation.graph.workspace, root: validation.manifests.root)
    return (validation, workspace, try reconciler.openState(workspace.state))
  }
}
