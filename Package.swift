// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "mmssr",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "mmssr", targets: ["mmssr"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.0.0"),
    ],
    targets: [
        // C layer: OpenBLAS for fp32 GEMM plus our quantised kernels (runtime-dispatched SIMD with scalar twins).
        .target(
            name: "CBLAS",
            linkerSettings: [.linkedLibrary("openblas")]
        ),
        // C shim over libjpeg and libpng: error handling that never exits, PIL-compatible colour conversion.
        .target(
            name: "CImage",
            linkerSettings: [.linkedLibrary("jpeg"), .linkedLibrary("png16")]
        ),
        // C: the decimals and plain CSV records of score tables, read at memory speed.
        .target(name: "CText"),
        .target(
            name: "Tensor",
            dependencies: ["CBLAS", .product(name: "Numerics", package: "swift-numerics")]
        ),
        .target(name: "Vision", dependencies: ["Tensor", "CImage"]),
        .target(name: "Scorer", dependencies: ["Tensor", "Vision", "CText"]),
        .target(name: "Select", dependencies: ["Scorer"]),
        .executableTarget(
            name: "mmssr",
            dependencies: [
                "CBLAS", "Tensor", "Vision", "Scorer", "Select",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Test-only helpers shared by the test targets (where the converted model files are).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "TensorTests", dependencies: ["Tensor", "CBLAS", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "VisionTests", dependencies: ["Vision", "Tensor", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ScorerTests", dependencies: ["Scorer", "CText", "Vision", "Tensor", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "SelectTests", dependencies: ["Select", "Scorer", "Tensor"]),
    ]
)
