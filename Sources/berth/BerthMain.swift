import BerthCLI

/// The `berth` executable: everything lives in BerthCLI so that tests can drive commands in-process.
@main
struct BerthMain {
  static func main() async {
    await BerthCommand.main(nil)
  }
}
