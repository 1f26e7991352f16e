// swift-tools-version:6.0
// libFuzzer executables, one per target in RelayFuzzTargets. A package of its
// own because libFuzzer supplies `main`: the main package's `swift build` must
// not try to link them. Build and run them with scripts/fuzz.sh.
import PackageDescription

let names = ["Framer", "Message", "Server", "PlainCommands", "ClientSession", "URL", "Bridge", "BotReply", "Webhook", "Cluster"]

let package = Package(
    name: "relay-fuzz",
    dependencies: [.package(name: "relay", path: "..")],
    targets: names.map { name in
        .executableTarget(
            name: "Fuzz\(name)",
            dependencies: [.product(name: "RelayFuzzTargets", package: "relay")],
            path: "Sources/Fuzz\(name)")
    },
    swiftLanguageModes: [.v5]
)
