// swift-tools-version: 6.1
import PackageDescription

let package = Package(
  name: "Berth",
  platforms: [.macOS(.v14)],
  products: [
    .executable(name: "berth", targets: ["berth"]),
    .library(name: "BerthKit", targets: ["BerthKit"]),
  ],
  dependencies: [
    .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
  ],
  targets: [
    .target(name: "BerthModel"),
    .target(name: "BerthManifest", dependencies: ["BerthModel", .product(name: "Yams", package: "Yams")]),
    .target(name: "BerthGraph", dependencies: ["BerthModel", "BerthManifest"]),
    .target(name: "BerthKit", dependencies: ["BerthModel", "BerthManifest", "BerthGraph"]),
    .target(
      name: "BerthCLI",
      dependencies: ["BerthKit", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
    .executableTarget(name: "berth", dependencies: ["BerthCLI"]),
    .executableTarget(name: "berth-bench", dependencies: ["BerthKit"], path: "Sources/BerthBench"),
    .testTarget(name: "BerthManifestTests", dependencies: ["BerthManifest"]),
    .testTarget(name: "BerthKitTests", dependencies: ["BerthKit"], exclude: ["Fixtures", "Snapshots"]),
    .testTarget(name: "BerthGraphTests", dependencies: ["BerthGraph", "BerthManifest"]),
  ]
)
