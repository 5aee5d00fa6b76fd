import ArgumentParser

/// Options shared by every command that reads manifests.
struct ManifestOptions: ParsableArguments {
  @Option(name: .long, help: "Folder of manifests, searched recursively (or one manifest file).")
  var dir: String = "."
}

/// Output options shared by every command.
struct OutputOptions: ParsableArguments {
  @Flag(name: .customLong("no-color"), help: "Disable colour (also when NO_COLOR is set or output is not a terminal).")
  var noColor = false
}
