import ArgumentParser
import BerthKit
import BerthManifest
import BerthState
import Foundation

/// Opens a workspace's state for the commands that only read or edit it (state, models, services, logs).
enum WorkspaceAccess {
  /// The workspace of the manifests under `dir` (their Workspace manifest, or the defaults) and its store.
  /// Works even when other manifests are invalid: reading state must not depend on them. A `dir` that does not exist
  /// is an error (its state would be made up); with `.read` access a missing state reads as empty and is not created.
  static func open(_ options: ManifestOptions, access: StateAccess) throws -> (
    Workspace, any StateStoring & Locking, Validation
  ) {
    // These commands print no plan: a problem opening state is one `error:` line, not an error dump.
    func fail(_ message: String) -> ExitCode {
      FileHandle.standardError.write(Data("error: \(message)\n".utf8))
      return ExitCode(1)
    }
    guard FileManager.default.fileExists(atPath: options.path) else {
      throw fail("manifest folder '\(options.path)' does not exist")
    }
    let validation = Validation.run(path: options.path, overlays: options.overlay)
    do {
      let workspace = try Workspace.resolve(validation.manifests.workspace, root: validation.manifests.root)
      return (workspace, try Reconciler.standard().openState(workspace.state, access), validation)
    } catch let error as StateFileError {
      throw fail(error.description)
    } catch let error as StateError {
      throw fail(error.description)
    } catch let error as WorkspaceError {
      throw fail(error.description)
    }
  }

  /// The manifests under `options` when they are valid, their workspace and its store (for the commands that change
  /// state: apply, destroy, import). Invalid manifests print their diagnostics and exit 1.
  static func openValid(_ options: ManifestOptions, reconciler: Reconciler, terminal: Terminal) throws -> (
    Validation, Workspace, any StateStoring & Locking
  ) {
    // These commands write state, so they may also create the manifest cache beside it.
    let validation = Validation.run(path: options.path, overlays: options.overlay, cache: .create)
    guard validation.isValid else {
      terminal.printDiagnostics(validation.diagnostics)
      throw ExitCode(1)
    }
    let workspace = try Workspace.resolve(validation.graph.workspace, root: validation.manifests.root)
    return (validation, workspace, try reconciler.openState(workspace.state, .write))
  }
}
