import Foundation
import Testing

@testable import BerthTargetLocal

@Suite struct PythonInterpreterLocatorTests {
  /// A fake interpreter: a shell script that answers the locator's probe.
  static func fakePython(at path: String, executable: String, version: String) throws {
    try FileManager.default.createDirectory(
      atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try Scratch.write("#!/bin/sh\necho 'BERTH-PY \(executable) \(version)'\n", to: path, executable: true)
  }

  @Test func skipsBrokenShimsAndPrefersNewestPyenvPatch() throws {
    let root = try Scratch.directory()
    defer { try? FileManager.default.removeItem(atPath: root) }
    // A pyenv-style shim on PATH that fails because 3.8 is not the active version.
    try FileManager.default.createDirectory(atPath: root + "/shims", withIntermediateDirectories: true)
    try Scratch.write(
      "#!/bin/sh\necho 'pyenv: python3.8: command not found' >&2\nexit 127\n", to: root + "/shims/python3.8", executable: true)
    try Self.fakePython(at: root + "/pyenv/versions/3.8.2/bin/python3", executable: "/real/3.8.2/python3", version: "3.8.2")
    try Self.fakePython(at: root + "/pyenv/versions/3.8.10/bin/python3", executable: "/real/3.8.10/python3", version: "3.8.10")
    try Self.fakePython(at: root + "/pyenv/versions/3.80.1/bin/python3", executable: "/real/3.80/python3", version: "3.80.1")
    try Self.fakePython(at: root + "/shims/python3", executable: "/real/default/python3", version: "3.11.7")
    let locator = PythonInterpreterLocator(environment: ["PATH": root + "/shims:/usr/bin:/bin", "PYENV_ROOT": root + "/pyenv"])

    let found = try locator.locate(version: "3.8")
    #expect(found == PythonInterpreter(path: "/real/3.8.10/python3", version: "3.8.10"))
    #expect(found.majorMinor == "3.8")
  }

  @Test func refusesToSubstituteAnotherVersion() throws {
    let root = try Scratch.directory()
    defer { try? FileManager.default.removeItem(atPath: root) }
    try Self.fakePython(at: root + "/bin/python3", executable: "/real/default/python3", version: "3.11.7")
    try Self.fakePython(at: root + "/pyenv/versions/3.9.18/bin/python3", executable: "/real/3.9/python3", version: "3.9.18")
    let locator = PythonInterpreterLocator(environment: ["PATH": root + "/bin", "PYENV_ROOT": root + "/pyenv"])

    do {
      let found = try locator.locate(version: "3.7")
      Issue.record("expected an error, got \(found)")
    } catch let error as LocalTargetError {
      #expect(error.kind == .interpreterNotFound)
      #expect(error.message.hasPrefix("Python 3.7 is not installed on this machine"))
      #expect(error.message.contains("found 3.9"))
      #expect(error.message.contains("does not substitute another version"))
    }
    #expect(try locator.locate(version: nil).path == "/real/default/python3")
  }

  @Test func failsClearlyWithoutAnyPython() {
    let locator = PythonInterpreterLocator(environment: ["PATH": "/nonexistent", "PYENV_ROOT": "/nonexistent"])
    do {
      _ = try locator.locate(version: "3.9")
      Issue.record("expected an error")
    } catch let error as LocalTargetError {
      #expect(error.kind == .interpreterNotFound)
      #expect(error.message.contains("3.9"))
    } catch {
      Issue.record("unexpected \(error)")
    }
  }

  @Test(.enabled(if: FileManager.default.fileExists(atPath: NSHomeDirectory() + "/.pyenv/versions")))
  func findsRealPyenvInterpretersBehindShims() throws {
    let locator = PythonInterpreterLocator()
    let versions = try FileManager.default.contentsOfDirectory(atPath: NSHomeDirectory() + "/.pyenv/versions")
      .filter { $0.hasPrefix("3.") && $0.split(separator: ".").count == 3 }
    for version in versions {
      let majorMinor = version.split(separator: ".").prefix(2).joined(separator: ".")
      let found = try locator.locate(version: majorMinor)
      #expect(found.majorMinor == majorMinor, "\(version)")
      #expect(found.warnings.isEmpty)
      #expect(!found.path.contains("/shims/"))
      #expect(found.path.hasPrefix(NSHomeDirectory() + "/.pyenv/versions/") || !found.path.contains("pyenv"))
    }
  }
}
