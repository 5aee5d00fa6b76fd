import BerthModel
import Foundation
import Testing

@testable import BerthImage

@Suite struct RegistryValueTests {
  @Test(
    arguments: [
      ("python:3.11-slim", "docker.io", "library/python", "3.11-slim", nil),
      ("ghcr.io/acme/ml/base:1.2", "ghcr.io", "acme/ml/base", "1.2", nil),
      ("127.0.0.1:5000/base/python:bookworm", "127.0.0.1:5000", "base/python", "bookworm", nil),
      ("localhost/x", "localhost", "x", nil, nil),
      (
        "myregistry.azurecr.io/berth/svc@sha256:" + String(repeating: "a", count: 64), "myregistry.azurecr.io", "berth/svc", nil,
        "sha256:" + String(repeating: "a", count: 64)
      ),
    ] as [(String, String, String, String?, String?)])
  func parsesReferences(_ text: String, _ registry: String, _ repository: String, _ tag: String?, _ digest: String?) throws {
    let reference = try #require(ImageReference(parsing: text))
    #expect(reference.registry == registry)
    #expect(reference.repository == repository)
    #expect(reference.tag == tag)
    #expect(reference.digest == digest)
  }

  @Test func rejectsWhatIsNotAReference() {
    for text in ["", "UPPER/case", "a//b", "x@sha256:short", "x:bad tag", "registry.io/"] {
      #expect(ImageReference(parsing: text) == nil, "\(text)")
    }
    #expect(ImageReference(parsing: "python")?.apiHost == "registry-1.docker.io")
    #expect(ImageReference(parsing: "python")?.manifestReference == "latest")
  }

  @Test func parsesChallenges() throws {
    let bearer = try #require(
      AuthChallenge(
        header: #"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push""#))
    #expect(bearer.scheme == "bearer")
    #expect(bearer.parameters["realm"] == "https://auth.example/token")
    #expect(bearer.parameters["service"] == "registry.example")
    #expect(bearer.parameters["scope"] == "repository:a/b:pull,push")
    let basic = try #require(AuthChallenge(header: #"Basic realm="berth-test""#))
    #expect(basic.scheme == "basic" && basic.parameters["realm"] == "berth-test")
  }

  @Test func readsCredentialsFromTheEnvironmentOrADockerConfig() throws {
    let folder = try ImageTests.scratch("docker-config")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let config = """
      {"auths": {"ghcr.io": {"auth": "\(Data("octo:tok:en".utf8).base64EncodedString())"},
                 "https://index.docker.io/v1/": {"username": "hub", "password": "pw"}}}
      """
    try config.write(toFile: folder + "/config.json", atomically: true, encoding: .utf8)
    let source = CredentialSource(environment: ["DOCKER_CONFIG": folder, "U": "me", "P": "secret"])
    #expect(
      try source.credentials(for: "ghcr.io", usernameEnv: nil, passwordEnv: nil) == .init(username: "octo", password: "tok:en"))
    #expect(try source.credentials(for: "docker.io", usernameEnv: nil, passwordEnv: nil)?.username == "hub")
    #expect(try source.credentials(for: "other.io", usernameEnv: nil, passwordEnv: nil) == nil)
    #expect(
      try source.credentials(for: "ghcr.io", usernameEnv: "U", passwordEnv: "P") == .init(username: "me", password: "secret"))
    #expect(String(describing: RegistryCredentials(username: "me", password: "secret")) == "me:****")
    do {
      _ = try source.credentials(for: "acr.io", usernameEnv: "U", passwordEnv: "MISSING")
      Issue.record("expected an error")
    } catch let error as RegistryError {
      #expect(error.description == "registry 'acr.io' takes its credentials from $MISSING, which is not set")
    }
  }

  @Test func destinationsSplitTheAddress() throws {
    let plain = try Destination(RegistryReference(address: "myregistry.azurecr.io"), repository: "berth/svc")
    #expect(plain.host == "myregistry.azurecr.io" && plain.repository == "berth/svc")
    let prefixed = try Destination(RegistryReference(address: "https://ghcr.io/acme/"), repository: "berth/svc")
    #expect(prefixed.host == "ghcr.io" && prefixed.repository == "acme/berth/svc")
  }
}
