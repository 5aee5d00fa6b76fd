import BerthAzure
import BerthModel
import BerthTargetAPI
import BerthTesting
import Foundation
import Testing

@testable import BerthImage

/// Pushing with Azure AD instead of registry credentials, as to an Azure Container Registry: a real docker-registry
/// behind the Bearer token flow, whose token service also plays ACR's `/oauth2/exchange`, checking the Azure AD token
/// with the ARM double that issued it. Slow on a cold machine (the test base image is made once per machine and the
/// dependencies layer once per test process; the other image tests share both).
@Suite(.serialized, .enabled(if: ImageTests.toolsAvailable, ImageTests.unavailable))
struct ACRExchangeTests {
  @Test func anAzureADTokenIsExchangedAndTheImageIsPushedWithoutRegistryCredentials() async throws {
    let arm = try await ARMDouble()
    defer { Task { await arm.stop() } }
    setenv("BERTH_AAD_VERIFY_URL", arm.url + "/_double/verify", 1)
    let registry = try await TestRegistry.start(
      credentials: RegistryCredentials(username: "berth", password: "tk-" + UUID().uuidString.prefix(12)), mode: "token")
    unsetenv("BERTH_AAD_VERIFY_URL")
    let base = try await registry.pushBaseImage()

    let cloud = AzureCloud.from(environment: arm.environment)
    let credential = DefaultAzureCredential.from(environment: arm.environment, cloud: cloud, http: ARMClient.sharedHTTP)
    let exchange = ACRTokenExchange(tenant: ARMDouble.tenant) {
      try await credential.token(scope: cloud.resourceManagerScope).value
    }
    let checkout = try DiabetesCheckout.make(in: try ImageTests.scratch("checkout-acr"))
    var request = BuiltDiabetes.request(try checkout.deployment(), base: base, registry: registry)
    // No username_env/password_env: the registry says it wants Azure AD (as *.azurecr.io would by default).
    request.registry = RegistryReference(address: registry.address, insecure: true, azureAD: true)
    let collected = LineCollector()
    request.progress = { collected.append($0) }
    var environment = ProcessInfo.processInfo.environment
    environment["DOCKER_CONFIG"] = try ImageTests.scratch("no-docker-config")
    var builder = ImageTests.builder(cache: BuiltDiabetes.sharedCache, environment: environment)
    builder.registryExchange = exchange
    let response = try await builder.buildAndPush(request)

    // skopeo reads the image with the registry's own user: it is there, by the digest Berth recorded.
    let inspected = try await ImageTests.tool(
      "/usr/bin/skopeo", ["inspect", "--raw"] + registry.skopeoOptions() + ["docker://\(response.image.reference)"])
    #expect(Digest.sha256(inspected) == response.image.digest)
    #expect(response.image.usernameEnv == nil && response.image.passwordEnv == nil)
    #expect(!collected.lines.contains { $0.contains(ARMDouble.clientSecret) })

    // A token Azure AD did not issue is refused by the exchange, and the error holds no token.
    let forged = ACRTokenExchange(tenant: nil) { "dbl.forged-token-value" }
    do {
      _ = try await forged.credentials(for: registry.address, insecure: true)
      Issue.record("expected the exchange to refuse a forged token")
    } catch let error as RegistryError {
      #expect(
        error
          == .unauthorized(
            host: registry.address, detail: "the Azure AD token exchange was refused: the Azure AD access token is not valid"))
      #expect(!"\(error)".contains("forged-token-value"))
    }

    // Without an exchanger (a build that cannot reach Azure AD), the registry's wish is a clear configuration error.
    var source = CredentialSource(environment: environment)
    source.exchange = nil
    await #expect(throws: RegistryError.self) {
      _ = try await source.resolve(request.registry, host: registry.address)
    }
    // A registry that is not an ACR and does not ask for Azure AD gets no exchange at all.
    source.exchange = forged
    #expect(try await source.resolve(RegistryReference(address: registry.address, insecure: true), host: registry.address) == nil)
  }
}
