// swift-tools-version:6.0
import PackageDescription

/// Release builds skip Swift's run-time exclusivity checks: they cost a quarter of
/// the server's instructions per delivered line (callgrind, 50-receiver fan-out:
/// 300.5 M → 226.0 M instructions for the same run; scripts/bench/RESULTS.md).
/// Debug builds, and so the tests, keep them.
let releaseSettings: [SwiftSetting] = [
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "relay",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "relay", targets: ["relay"]),
        // For the fuzzers in fuzz/ (a package of their own: libFuzzer supplies main).
        .library(name: "RelayFuzzTargets", targets: ["RelayFuzzTargets"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        // The bridge's config file (toml++ underneath; parse errors carry their line).
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        // The kernel interfaces Glibc does not expose to Swift (epoll, signalfd).
        .target(name: "CRelaySys"),
        // The select loop and the kernel edge; nothing about chat.
        .target(
            name: "RelayLoop",
            dependencies: [
                "CRelaySys",
                .product(name: "HeapModule", package: "swift-collections"),
            ],
            swiftSettings: releaseSettings),
        // Pure: the IRC message model shared by server, client and bridge.
        .target(name: "RelayIRC", swiftSettings: releaseSettings),
        // Pure: users, rooms, commands and the two renderings. Lines in, lines out.
        .target(
            name: "RelayServer",
            dependencies: [
                "RelayIRC",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
            ],
            swiftSettings: releaseSettings),
        // Pure: the client session, pacing, output formats; shared by connect and bridge.
        .target(
            name: "RelayClient",
            dependencies: [
                "RelayIRC",
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: releaseSettings),
        // The fuzz targets' bodies and invariants: libFuzzer (fuzz/) and `swift test` both run them.
        .target(
            name: "RelayFuzzTargets",
            dependencies: ["RelayLoop", "RelayIRC", "RelayServer", "RelayClient", "RelayHTTP"]),
        // OpenSSL, with inline copies of the macros Swift cannot import.
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"]), .brew(["openssl@3"])]),
        // One non-blocking TLS stream type for every command, driven by the loop's Connection.
        .target(name: "RelayTLS", dependencies: ["RelayLoop", "COpenSSL"], swiftSettings: releaseSettings),
        // nodejs/http-parser (Debian's libhttp-parser-dev), for the webhook listener.
        .systemLibrary(
            name: "CHTTPParser",
            providers: [.apt(["libhttp-parser-dev"]), .brew(["http-parser"])]),
        // Pure: HTTP requests in, responses out, and what webhooks (GitHub, GitLab,
        // Alertmanager, Grafana, templates) mean as chat lines.
        .target(
            name: "RelayHTTP",
            dependencies: ["CHTTPParser", "RelayIRC", "RelayClient"],
            swiftSettings: releaseSettings),
        // The system's SQLite 3 (Debian's libsqlite3-dev), for `relay serve --data`.
        .systemLibrary(
            name: "CSQLite",
            providers: [.apt(["libsqlite3-dev"]), .brew(["sqlite"])]),
        // What `serve --data` keeps on disk: the schema, its migrations, and a writer off the loop.
        .target(name: "RelayStore", dependencies: ["CSQLite", "RelayIRC", "RelayServer"], swiftSettings: releaseSettings),
        // GNU readline, for the interactive client.
        .systemLibrary(
            name: "CReadline",
            pkgConfig: "readline",
            providers: [.apt(["libreadline-dev"]), .brew(["readline"])]),
        .executableTarget(
            name: "relay",
            dependencies: [
                "RelayLoop", "RelayTLS", "RelayIRC", "RelayServer", "RelayClient", "RelayHTTP", "RelayStore", "CReadline",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: releaseSettings),
        .testTarget(name: "RelayLoopTests", dependencies: ["RelayLoop"]),
        .testTarget(name: "RelayTLSTests", dependencies: ["RelayTLS", "RelayLoop"]),
        .testTarget(name: "RelayFuzzTargetsTests", dependencies: ["RelayFuzzTargets"]),
        .testTarget(name: "RelayIRCTests", dependencies: ["RelayIRC"]),
        .testTarget(name: "RelayServerTests", dependencies: ["RelayServer", "RelayIRC"]),
        .testTarget(name: "RelayClientTests", dependencies: ["RelayClient", "RelayIRC"]),
        .testTarget(name: "RelayStoreTests", dependencies: ["RelayStore", "RelayServer"]),
        .testTarget(name: "RelayHTTPTests", dependencies: ["RelayHTTP", "RelayClient", "RelayTLS"]),
        .testTarget(name: "EndToEndTests", dependencies: ["relay", "RelayTLS", "RelayLoop", "RelayClient", "RelayServer"]),
    ],
    swiftLanguageModes: [.v5]
)
