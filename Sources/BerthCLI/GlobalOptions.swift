import ArgumentParser

/// Options shared by every command that reads manifests.
struct ManifestOptions: ParsableArguments {
  @Option(name: .long, help: "Folder of manifests, searched recursively, or one manifest file (default: .).")
  var dir: String?

  /// The folder to read: `--dir`, or the current folder.
  var path: String { dir ?? "." }

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Folder of overlay manifests patching --dir for one environment (repeatable; see docs/environments.md).",
      valueName: "dir"))
  var overlay: [String] = []
}

/// Output options shared by every command.
struct OutputOptions: ParsableArguments {
  @Flag(name: .customLong("no-color"), help: "Disable colour (also when NO_COLOR is set or output is not a terminal).")
  var noColor = false
}
