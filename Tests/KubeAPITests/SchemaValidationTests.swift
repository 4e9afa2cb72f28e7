import Foundation
import KubeAPI
import Testing

/// Validates what the codecs emit against the official Kubernetes 1.37 schemas with
/// `kubernetes-validate --strict` (pip package `kubernetes-validate`), when it is installed.
@Suite("Official schema validation")
struct SchemaValidationTests {
    static let validator: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/kubernetes-validate"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }()

    static func run(_ files: [URL]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: validator!)
        process.arguments = ["-k", "1.37.0", "--strict"] + files.map(\.path)
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    @Test("encoded built-in kinds pass kubernetes-validate --strict",
          .enabled(if: validator != nil, "kubernetes-validate is not installed (pip install kubernetes-validate)"))
    func encodedObjectsAreSchemaValid() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kubeapi-schema-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var files: [URL] = []
        // ClusterNetworkPolicy is a CRD: the official schemas do not have it.
        for fixture in KindFixture.all where fixture.file != "clusternetworkpolicy.json" {
            let data = try Fixture.data(fixture.file)
            // Both encoders: JSONEncoder through Codable, and the fast KubeJSON writer.
            let viaCodable = try fixture.decodeEncode(data).encoded
            let viaKubeJSON = try fixture.fastEncodeMatchesFoundation(data).fast
            for (suffix, encoded) in [("codable", viaCodable), ("kubejson", viaKubeJSON)] {
                let file = dir.appendingPathComponent("\(suffix)-\(fixture.file)")
                try encoded.write(to: file)
                files.append(file)
            }
        }
        let (status, output) = try Self.run(files)
        #expect(status == 0, "\(output)")
        #expect(output.components(separatedBy: " passed for resource ").count - 1 == files.count, "\(output)")
    }

    @Test("the validator does catch an unknown field (so the check above means something)",
          .enabled(if: validator != nil, "kubernetes-validate is not installed (pip install kubernetes-validate)"))
    func validatorRejectsUnknownField() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kubeapi-schema-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var service = try Fixture.decode(Service.self, "service.json")
        service.spec?.unknownFields["clusterIPz"] = "10.0.0.1"
        let file = dir.appendingPathComponent("bad.json")
        try JSONEncoder().encode(service).write(to: file)
        let (status, output) = try Self.run([file])
        #expect(status != 0 || !output.contains(" passed for resource "), "\(output)")
    }
}
