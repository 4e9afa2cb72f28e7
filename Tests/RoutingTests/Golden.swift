import Foundation
import Testing

/// Compares `actual` with `Golden/<name>.txt` beside this file. Set TRELLIS_UPDATE_GOLDEN=1
/// to (re)write the files; review the diff before committing.
func expectGolden(_ actual: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Golden").appendingPathComponent("\(name).txt")
    if ProcessInfo.processInfo.environment["TRELLIS_UPDATE_GOLDEN"] == "1" {
        try (actual + "\n").write(to: url, atomically: true, encoding: .utf8)
        return
    }
    let expected = try String(contentsOf: url, encoding: .utf8)
    #expect(actual + "\n" == expected, "golden \(name).txt differs", sourceLocation: sourceLocation)
}
