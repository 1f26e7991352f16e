import Foundation
import RelayFuzzTargets
import XCTest

/// Every input the fuzzers ever crashed on (fuzz/regressions/<Target>/) and
/// every seed of their corpora (fuzz/corpus/<Target>/), replayed through the
/// same targets in every `swift test`: a fixed finding stays fixed.
final class RegressionReplayTests: XCTestCase {
    private static let fuzz = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("fuzz")

    private func inputs(_ folder: String, _ target: String) -> [URL] {
        let directory = Self.fuzz.appendingPathComponent(folder).appendingPathComponent(target)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { directory.appendingPathComponent($0) }
    }

    func testEveryRegressionAndSeedPassesItsTarget() throws {
        var replayed = 0
        for (name, run) in FuzzTargets.all {
            let files = inputs("regressions", name) + inputs("corpus", name)
            XCTAssertFalse(inputs("corpus", name).isEmpty, "fuzz/corpus/\(name) has seeds")
            for file in files {
                run(Array(try Data(contentsOf: file)))
                replayed += 1
            }
        }
        XCTAssertGreaterThan(replayed, FuzzTargets.all.count)
    }

    func testEveryTargetHasAFuzzerExecutable() throws {
        for (name, _) in FuzzTargets.all {
            let source = Self.fuzz.appendingPathComponent("Sources/Fuzz\(name)/Fuzz\(name).swift")
            XCTAssertTrue(FileManager.default.fileExists(atPath: source.path), "fuzz/Sources/Fuzz\(name)")
        }
    }
}
