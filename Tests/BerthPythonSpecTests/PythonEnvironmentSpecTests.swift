import Testing

@testable import BerthPythonSpec

@Suite struct PythonEnvironmentSpecTests {
  @Test func hashIsStableAndIgnoresOrderAndWarnings() {
    let a = PythonEnvironmentSpec(pythonVersion: "3.9", requirements: ["numpy==1.26.4", "scipy==1.13.*"])
    let b = PythonEnvironmentSpec(
      pythonVersion: "3.9", requirements: ["scipy==1.13.*", "numpy==1.26.4", "numpy==1.26.4"], warnings: ["x"])
    let hash = a.contentHash(interpreterVersion: "3.9.18", platform: "linux-x86_64")
    #expect(hash == b.contentHash(interpreterVersion: "3.9.18", platform: "linux-x86_64"))
    #expect(hash.count == 64)
    #expect(hash.allSatisfy { $0.isHexDigit && !$0.isUppercase })
  }

  @Test func hashChangesWithEveryInput() {
    let spec = PythonEnvironmentSpec(pythonVersion: "3.9", requirements: ["numpy==1.26.4"])
    let base = spec.contentHash(interpreterVersion: "3.9.18", platform: "linux-x86_64")
    #expect(base != spec.contentHash(interpreterVersion: "3.9.19", platform: "linux-x86_64"))
    #expect(base != spec.contentHash(interpreterVersion: "3.9.18", platform: "linux-aarch64"))
    let pinned = PythonEnvironmentSpec(pythonVersion: "3.9", requirements: ["numpy==1.26.3"])
    #expect(base != pinned.contentHash(interpreterVersion: "3.9.18", platform: "linux-x86_64"))
    let optioned = PythonEnvironmentSpec(
      pythonVersion: "3.9", requirements: ["numpy==1.26.4"], installerOptions: ["--pre"])
    #expect(base != optioned.contentHash(interpreterVersion: "3.9.18", platform: "linux-x86_64"))
    var latest = spec
    latest.eraRule = false
    #expect(base != latest.contentHash(interpreterVersion: "3.9.18", platform: "linux-x86_64"))
    var constrained = spec
    constrained.constraints = ["scipy<1.11"]
    #expect(base != constrained.contentHash(interpreterVersion: "3.9.18", platform: "linux-x86_64"))
    var conda = spec
    conda.condaFileText = "dependencies: [numpy]"
    #expect(base != conda.contentHash(interpreterVersion: "3.9.18", platform: "linux-x86_64"))
    var otherConda = spec
    otherConda.condaFileText = "dependencies: [scipy]"
    #expect(
      conda.contentHash(interpreterVersion: "3.9.18", platform: "linux-x86_64")
        != otherConda.contentHash(interpreterVersion: "3.9.18", platform: "linux-x86_64"))
  }

  @Test func canonicalEncodingIsReadable() {
    let spec = PythonEnvironmentSpec(pythonVersion: nil, requirements: ["b", "A"])
    #expect(
      spec.canonicalEncoding(interpreterVersion: "3.11.7", platform: "linux-x86_64") == """
        berth-python-environment:v2
        python:*
        interpreter:3.11.7
        platform:linux-x86_64
        resolution:era-v1
        requirement:A
        requirement:b

        """)
  }

  @Test func requirementNamesNormaliseLikePip() {
    #expect(RequirementName.normalized(ofRequirement: "Scikit_Learn[alldeps]>=1") == "scikit-learn")
    #expect(RequirementName.normalized(ofRequirement: "zope.interface") == "zope-interface")
    #expect(RequirementName.normalized(ofRequirement: "pkg @ https://x/pkg.whl") == "pkg")
    #expect(RequirementName.normalized(ofRequirement: "git+https://x/y.git") == "git+https://x/y.git")
  }
}
