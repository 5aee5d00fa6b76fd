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
    .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
    .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
  ],
  targets: [
    .target(name: "BerthModel"),
    .target(
      name: "BerthManifest",
      dependencies: ["BerthModel", .product(name: "Yams", package: "Yams"), .product(name: "Crypto", package: "swift-crypto")]),
    .target(name: "BerthGraph", dependencies: ["BerthModel", "BerthManifest"]),
    .target(name: "BerthProcess"),
    .target(name: "BerthGit", dependencies: ["BerthProcess"]),
    .target(
      name: "BerthPythonSpec",
      dependencies: ["BerthModel", .product(name: "Yams", package: "Yams"), .product(name: "Crypto", package: "swift-crypto")]),
    .target(
      name: "BerthTargetLocal",
      dependencies: [
        "BerthModel", "BerthTargetAPI", "BerthPythonSpec", "BerthProcess", "BerthGateway",
        .product(name: "Crypto", package: "swift-crypto"),
      ]),
    .target(
      name: "BerthTargetBatch",
      dependencies: [
        "BerthModel", "BerthTargetAPI", "BerthTargetLocal", "BerthTargetKubernetes", "BerthProcess",
        .product(name: "Crypto", package: "swift-crypto"),
      ]),
    .target(
      name: "BerthTargetKubernetes",
      dependencies: [
        "BerthModel", "BerthTargetAPI", "BerthGateway", .product(name: "AsyncHTTPClient", package: "async-http-client"),
        .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"), .product(name: "Yams", package: "Yams"),
      ]),
    .target(
      name: "BerthTargetIoTEdge",
      dependencies: [
        "BerthModel", "BerthTargetAPI", .product(name: "AsyncHTTPClient", package: "async-http-client"),
        .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "Crypto", package: "swift-crypto"),
      ]),
    .target(name: "BerthState", dependencies: ["BerthModel"]),
    .target(name: "BerthStateSQLite", dependencies: ["BerthModel", "BerthState", .product(name: "GRDB", package: "GRDB.swift")]),
    .target(
      name: "BerthStatePostgres",
      dependencies: ["BerthModel", "BerthState", .product(name: "PostgresNIO", package: "postgres-nio")]),
    .target(name: "BerthTargetAPI", dependencies: ["BerthModel"]),
    .target(
      name: "BerthGateway",
      dependencies: [
        .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        .product(name: "Crypto", package: "swift-crypto"),
      ]),
    .target(
      name: "BerthAzure",
      dependencies: [
        .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
      ]),
    .target(
      name: "BerthTargetACI",
      dependencies: [
        "BerthAzure", "BerthModel", "BerthTargetAPI", "BerthGateway", .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "AsyncHTTPClient", package: "async-http-client"),
        .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
      ]),
    .target(
      name: "BerthTargetAKS",
      dependencies: [
        "BerthAzure", "BerthModel", "BerthTargetAPI", "BerthTargetKubernetes",
        .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
      ]),
    .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
    .target(
      name: "BerthImage",
      dependencies: [
        "BerthModel", "BerthTargetAPI", "BerthPythonSpec", "BerthProcess", "CZlib",
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
      ]),
    .target(
      name: "BerthPlan",
      dependencies: [
        "BerthModel", "BerthGraph", "BerthState", "BerthTargetAPI", .product(name: "Crypto", package: "swift-crypto"),
      ]),
    .target(
      name: "BerthModelStore",
      dependencies: ["BerthModel", "BerthState", .product(name: "Crypto", package: "swift-crypto")]),
    .target(name: "BerthApply", dependencies: ["BerthModel", "BerthPlan", "BerthState", "BerthTargetAPI"]),
    .target(
      name: "BerthKit",
      dependencies: [
        "BerthModel", "BerthManifest", "BerthGraph", "BerthState", "BerthStateSQLite", "BerthStatePostgres", "BerthPlan",
        "BerthApply", "BerthAzure",
        "BerthTargetAPI", "BerthTargetLocal", "BerthTargetKubernetes", "BerthTargetBatch", "BerthTargetACI",
        "BerthTargetAKS", "BerthTargetIoTEdge", "BerthImage",
        "BerthModelStore",
        "BerthProcess", .product(name: "Crypto", package: "swift-crypto"),
      ]),
    .target(
      name: "BerthWatch",
      dependencies: [
        "BerthKit", "BerthApply", "BerthModel", "BerthPlan", "BerthState", "BerthGit", "BerthGraph",
        .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "AsyncHTTPClient", package: "async-http-client"),
      ]),
    .target(
      name: "BerthTesting",
      dependencies: [
        "BerthModel", "BerthState", "BerthTargetAPI", "BerthApply", "BerthPlan", "BerthProcess",
        .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
      ]),
    .target(
      name: "BerthCLI",
      dependencies: [
        "BerthTargetAPI",
        "BerthKit", "BerthWatch", "BerthApply", "BerthGraph", "BerthManifest", "BerthModel", "BerthPlan", "BerthState",
        "BerthStateSQLite", "BerthGateway", "BerthGit", "BerthTargetBatch",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    .executableTarget(name: "berth", dependencies: ["BerthCLI"]),
    .executableTarget(
      name: "berth-bench",
      dependencies: [
        "BerthKit", "BerthTesting", "BerthTargetLocal", "BerthTargetKubernetes", "BerthImage", "BerthModel", "BerthPlan",
        "BerthState", "BerthTargetAPI", "BerthGateway", "BerthPythonSpec", "BerthTargetBatch", "BerthStateSQLite",
        "BerthStatePostgres", "BerthApply",
      ],
      path: "Sources/BerthBench"),
    .testTarget(name: "BerthManifestTests", dependencies: ["BerthManifest", "BerthModel"], exclude: ["Fixtures"]),
    .testTarget(
      name: "BerthKitTests",
      dependencies: [
        "BerthKit", "BerthTesting", "BerthManifest", "BerthModel", "BerthModelStore", "BerthPlan", "BerthState",
        "BerthTargetAPI", "BerthTargetLocal", "BerthGraph",
      ],
      exclude: ["Fixtures", "Snapshots"]),
    .testTarget(
      name: "BerthPlanTests",
      dependencies: ["BerthPlan", "BerthTesting", "BerthApply", "BerthGraph", "BerthModel", "BerthState", "BerthTargetAPI"],
      exclude: ["Snapshots"]),
    .testTarget(
      name: "BerthApplyTests",
      dependencies: ["BerthApply", "BerthTesting", "BerthModel", "BerthPlan", "BerthState", "BerthTargetAPI"]
    ),
    .testTarget(
      name: "BerthTargetLocalTests",
      dependencies: [
        "BerthTargetLocal", "BerthPythonSpec", "BerthModel", "BerthProcess", "BerthTargetAPI", "BerthTesting",
        "BerthGateway", .product(name: "AsyncHTTPClient", package: "async-http-client"),
        .product(name: "NIOCore", package: "swift-nio"),
      ],
      exclude: ["Fixtures"]),
    .testTarget(name: "BerthPythonSpecTests", dependencies: ["BerthPythonSpec", "BerthModel"]),
    .testTarget(
      name: "BerthImageTests",
      dependencies: [
        "BerthImage", "BerthTargetAPI", "BerthTargetLocal", "BerthTesting", "BerthKit", "BerthApply", "BerthModel", "BerthPlan",
        "BerthState", "BerthPythonSpec", "BerthAzure", "BerthTargetACI",
      ],
      exclude: ["Snapshots"]),
    .testTarget(name: "BerthStateTests", dependencies: ["BerthState", "BerthStateSQLite", "BerthTesting", "BerthModel"]),
    .testTarget(
      name: "BerthStatePostgresTests", dependencies: ["BerthStatePostgres", "BerthState", "BerthTesting", "BerthModel"]),
    .testTarget(
      name: "EndToEndTests",
      dependencies: ["berth", "BerthTesting", "BerthTargetLocal", "BerthTargetACI", "BerthTargetAPI", "BerthModel"],
      exclude: ["Snapshots"]),
    .testTarget(
      name: "BerthTargetKubernetesTests",
      dependencies: [
        "BerthTargetKubernetes", "BerthTargetAPI", "BerthModel", "BerthTesting", "BerthKit", "BerthManifest", "BerthGateway",
        .product(name: "Yams", package: "Yams"),
      ],
      exclude: ["Snapshots", "Double"]),
    .testTarget(name: "BerthGraphTests", dependencies: ["BerthGraph", "BerthModel"]),
    .testTarget(
      name: "BerthAzureTests",
      dependencies: [
        "BerthAzure", "BerthTargetACI", "BerthTargetAKS", "BerthTargetKubernetes", "BerthTargetAPI", "BerthModel",
        "BerthTesting", "BerthKit", "BerthPlan",
        "BerthState", .product(name: "AsyncHTTPClient", package: "async-http-client"),
      ],
      exclude: ["Double", "Snapshots"]),
    .testTarget(
      name: "BerthWatchTests",
      dependencies: [
        "BerthWatch", "BerthKit", "BerthModel", "BerthState", "BerthTargetAPI", "BerthTargetLocal", "BerthTesting", "BerthGit",
        "BerthProcess", .product(name: "Crypto", package: "swift-crypto"),
      ],
      exclude: ["Snapshots"]),
    .testTarget(
      name: "BerthTargetBatchTests",
      dependencies: [
        "BerthTargetBatch", "BerthTargetAPI", "BerthModel", "BerthTesting", "BerthManifest", "BerthTargetLocal",
        "BerthTargetKubernetes",
      ]),
    .testTarget(
      name: "BerthTargetIoTEdgeTests",
      dependencies: [
        "BerthTargetIoTEdge", "BerthTargetAPI", "BerthModel", "BerthTesting", "BerthKit", "BerthPlan", "BerthState",
        "BerthManifest", .product(name: "Crypto", package: "swift-crypto"),
      ],
      exclude: ["Snapshots", "Double"]),
    .testTarget(
      name: "BerthGatewayTests",
      dependencies: [
        "BerthGateway", "BerthTesting", .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "AsyncHTTPClient", package: "async-http-client"),
        .product(name: "Crypto", package: "swift-crypto"),
      ],
      exclude: ["Snapshots"]),
  ]
)
