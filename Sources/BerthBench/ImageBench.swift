import BerthImage
import BerthModel
import BerthTargetAPI
import BerthTargetLocal
import Foundation

/// Build + push of the diabetes image into a throwaway docker-registry on 127.0.0.1: cold (empty layer cache,
/// empty uv download cache), cold layers with warm wheels, unchanged inputs, and a model-only change.
struct ImageBench {
  let repositoryRoot: String
  let repetitions: Int

  func run() async throws {
    let scratch = NSTemporaryDirectory() + "berth-bench-image-\(UUID().uuidString.prefix(6))"
    try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: scratch) }
    let registryFolder = scratch + "/registry"
    let address = try shell(repositoryRoot + "/scripts/registry-test-server", ["start", registryFolder])
    defer { _ = try? shell(repositoryRoot + "/scripts/registry-test-server", ["stop", registryFolder]) }
    _ = try shell(repositoryRoot + "/scripts/make-test-base-image", ["push", "docker://\(address)/base/python:bookworm"])
    try FileManager.default.copyItem(atPath: repositoryRoot + "/manifests/examples/diabetes", toPath: scratch + "/diabetes")
    let root = scratch + "/diabetes"
    let registry = RegistryReference(address: address, insecure: true)
    let uv = UVProvisioning(cacheDirectory: NSTemporaryDirectory() + "berth-test-envcache")
    func builder(cache: String, uvCache: String?) -> OCIImageBuilder {
      var environment = ProcessInfo.processInfo.environment
      if let uvCache { environment["UV_CACHE_DIR"] = uvCache }
      return OCIImageBuilder(
        cacheDirectory: cache, environment: environment,
        locateTools: {
          let found = try uv.locate()
          return (found.uv, found.python)
        })
    }
    func request(version: Int, repository: String) throws -> ImageBuildRequest {
      let modelData = try Data(contentsOf: URL(fileURLWithPath: root + "/model/diabetes-ridge.pkl"))
      let model = DeployedModel(
        name: "diabetes-ridge", version: version, sha256: Digest.encoded(Digest.sha256(modelData)),
        storePath: root + "/model", basename: "diabetes-ridge.pkl")
      let deployment = ServiceDeployment(
        name: "diabetes-aks", revision: "bench", models: [model], sourceDirectory: root + "/src", entryScript: "score.py",
        condaFile: root + "/env/conda.yaml", environmentName: "sklearn-env", environmentDigest: "",
        settings: ["worker_count": .int(1)], computeTargetName: "aks", computeTarget: ComputeTargetSpec(type: .kubernetes))
      return ImageBuildRequest(
        deployment: deployment, baseImage: "\(address)/base/python:bookworm", baseImageRegistry: nil, registry: registry,
        repository: repository)
    }
    func timed(_ body: () async throws -> ImageBuildResponse) async throws -> (Double, ImageBuildResponse) {
      let start = DispatchTime.now().uptimeNanoseconds
      let response = try await body()
      return (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, response)
    }
    func line(_ name: String, _ seconds: Double, _ response: ImageBuildResponse, _ note: String) {
      print(
        String(
          format: "image     %@ %7.2f s  %10d layer bytes uploaded  (%@)",
          name.padding(toLength: 26, withPad: " ", startingAt: 0) as NSString, seconds,
          response.layerBytesUploaded, note as NSString))
    }

    let (cold, coldResponse) = try await timed {
      try await builder(cache: scratch + "/cache-cold", uvCache: scratch + "/uv-empty").buildAndPush(
        request(version: 1, repository: "berth/cold"))
    }
    line("cold build + push", cold, coldResponse, "empty layer cache, empty uv cache: wheels from PyPI")
    let (warmWheels, warmWheelsResponse) = try await timed {
      try await builder(cache: scratch + "/cache-2", uvCache: scratch + "/uv-empty").buildAndPush(
        request(version: 1, repository: "berth/fresh"))
    }
    line("cold layers, warm wheels", warmWheels, warmWheelsResponse, "empty layer cache and repository; uv cache warm")
    var unchangedTimes: [Double] = []
    var unchanged = coldResponse
    for _ in 0..<repetitions {
      let (seconds, response) = try await timed {
        try await builder(cache: scratch + "/cache-cold", uvCache: nil).buildAndPush(
          request(version: 1, repository: "berth/cold"))
      }
      unchangedTimes.append(seconds)
      unchanged = response
    }
    line(
      "unchanged inputs", unchangedTimes.sorted()[unchangedTimes.count / 2], unchanged,
      "median of \(repetitions); same digest: \(unchanged.image.digest == coldResponse.image.digest)")
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: root + "/model/diabetes-ridge.pkl"))
    try handle.seekToEnd()
    try handle.write(contentsOf: Data("retrained".utf8))
    try handle.close()
    let (model, modelResponse) = try await timed {
      try await builder(cache: scratch + "/cache-cold", uvCache: nil).buildAndPush(request(version: 2, repository: "berth/cold"))
    }
    line("model-only change", model, modelResponse, "only the model layer, config and manifest are sent")
  }

  private func shell(_ executable: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardInput = FileHandle.nullDevice
    let exited = DispatchSemaphore(value: 0)
    process.terminationHandler = { _ in exited.signal() }
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    exited.wait()
    guard process.terminationStatus == 0 else { throw BenchError("\(executable) \(arguments) failed") }
    return String(decoding: data, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
  }
}
