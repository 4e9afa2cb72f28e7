import CNI
import NetAddr
import Testing

/// A plugin that records nothing and answers ADD with a fixed result, or fails with `fail`.
struct FakePlugin: CNIPlugin {
    var supportedVersions: [String] = CNIVersion.all
    var fail: CNIError? = nil

    func add(_ call: CNICall) throws(CNIError) -> CNIResult {
        if let fail { throw fail }
        return CNIResult(interfaces: [.init(name: call.ifName, sandbox: call.netns)],
                         ips: [.init(address: IPPrefix("10.1.0.5/24")!, gateway: IPAddress("10.1.0.1"), interface: 0)],
                         routes: [.init(dst: IPPrefix("0.0.0.0/0")!, mtu: 1400)])
    }
    func del(_ call: CNICall) throws(CNIError) { if let fail { throw fail } }
    func check(_ call: CNICall) throws(CNIError) {
        if let fail { throw fail }
        guard call.config.prevResult != nil else { throw CNIError(CNIError.invalidConfig, "CHECK needs prevResult") }
    }
    func gc(_ call: CNICall) throws(CNIError) {
        guard call.config.validAttachments != nil else { throw CNIError(CNIError.invalidConfig, "no attachments") }
    }
}

private let addEnv = ["CNI_COMMAND": "ADD", "CNI_CONTAINERID": "c1", "CNI_NETNS": "/var/run/netns/p1",
                      "CNI_IFNAME": "eth0", "CNI_PATH": "/opt/cni/bin"]

private func conf(_ version: String, _ extra: String = "") -> [UInt8] {
    Array(#"{"cniVersion":"\#(version)","name":"pods","type":"fake"\#(extra)}"#.utf8)
}

private func run(_ env: [String: String], _ stdin: [UInt8], plugin: FakePlugin = FakePlugin()) -> Skel.Output {
    Skel.run(plugin: plugin, environment: env, stdin: stdin)
}

/// The error code in an error JSON on stdout.
private func code(_ out: Skel.Output) -> Int? { (try? JSONValue(parsing: out.stdout))?["code"]?.intValue }

struct VersionCase: CustomTestStringConvertible, Sendable {
    var command: String
    var version: String
    var supported: [String] = CNIVersion.all
    var code: Int?
    var testDescription: String { "\(command) \(version) supported \(supported.count == CNIVersion.all.count ? "all" : "\(supported)")" }
}

@Suite struct SkelTests {
    @Test func versionWithOnlyCommand() throws {
        let out = run(["CNI_COMMAND": "VERSION"], [])
        #expect(out.exitCode == 0)
        #expect(text(out.stdout) == #"{"cniVersion":"1.1.0","supportedVersions":["0.1.0","0.2.0","0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]}"#)
    }

    @Test func versionListsPluginVersions() {
        let out = run(["CNI_COMMAND": "VERSION"], Array("garbage".utf8), plugin: FakePlugin(supportedVersions: ["1.0.0", "1.1.0"]))
        #expect(text(out.stdout) == #"{"cniVersion":"1.1.0","supportedVersions":["1.0.0","1.1.0"]}"#)
    }

    @Test(arguments: CNIVersion.all)
    func addPrintsResultInConfigVersion(_ version: String) throws {
        let out = run(addEnv, conf(version))
        #expect(out.exitCode == 0, "\(text(out.stdout))")
        let r = try CNIResult(decoding: out.stdout)
        #expect(r.cniVersion == version)
        #expect(out.stdout == (try FakePlugin().add(CNICall(
            environment: CNIEnvironment(parsing: addEnv), config: NetworkConfig(decoding: conf(version)), stdin: [])).encoded(as: version)))
    }

    static let versionCases: [VersionCase] = [
        .init(command: "ADD", version: "1.1.0", code: nil),
        .init(command: "ADD", version: "0.1.0", code: nil),
        .init(command: "ADD", version: "1.2.0", code: 1),
        .init(command: "ADD", version: "banana", code: 1),
        .init(command: "ADD", version: "0.4.0", supported: ["1.0.0", "1.1.0"], code: 1),
        .init(command: "DEL", version: "0.3.1", code: nil),
        .init(command: "DEL", version: "2.0.0", code: 1),
        .init(command: "CHECK", version: "0.3.1", code: 1),
        .init(command: "CHECK", version: "0.3.0", code: 1),
        .init(command: "CHECK", version: "0.2.0", code: 1),
        .init(command: "CHECK", version: "0.4.0", code: nil),
        .init(command: "CHECK", version: "1.1.0", code: nil),
        .init(command: "GC", version: "1.0.0", code: 1),
        .init(command: "GC", version: "0.4.0", code: 1),
        .init(command: "GC", version: "1.1.0", code: nil),
        .init(command: "STATUS", version: "1.0.0", code: 1),
        .init(command: "STATUS", version: "1.1.0", code: nil),
        .init(command: "STATUS", version: "1.1.0", supported: ["1.0.0"], code: 1),
    ]

    @Test(arguments: versionCases)
    func versionRules(_ c: VersionCase) {
        let extra = #","prevResult":{"cniVersion":"0.4.0","ips":[]},"cni.dev/valid-attachments":[]"#
        let out = run(addEnv.merging(["CNI_COMMAND": c.command]) { $1 }, conf(c.version, extra),
                      plugin: FakePlugin(supportedVersions: c.supported))
        #expect(out.exitCode == (c.code == nil ? 0 : 1), "\(text(out.stdout))")
        #expect(code(out) == c.code)
    }

    @Test func statusAndGCNeedNoContainer() {
        for command in ["STATUS", "GC"] {
            let out = run(["CNI_COMMAND": command], conf("1.1.0", #","cni.dev/valid-attachments":[]"#))
            #expect(out.exitCode == 0 && out.stdout.isEmpty, "\(command): \(text(out.stdout))")
        }
    }

    @Test func errorJSONShape() throws {
        let out = run(addEnv, conf("0.4.0"), plugin: FakePlugin(fail: CNIError(CNIError.tryAgainLater, "store locked", details: "pid 42")))
        #expect(out.exitCode == 1)
        #expect(text(out.stdout) == #"{"cniVersion":"0.4.0","code":11,"details":"pid 42","msg":"store locked"}"#)
        let plain = run(addEnv, conf("1.0.0"), plugin: FakePlugin(fail: CNIError(CNIError.rangeExhausted, "no free address")))
        #expect(text(plain.stdout) == #"{"cniVersion":"1.0.0","code":100,"msg":"no free address"}"#)
    }

    @Test func envErrorComesFirstInLatestVersion() {
        let out = run(addEnv.merging(["CNI_IFNAME": "a/b"]) { $1 }, Array("{".utf8))
        #expect(out.exitCode == 1)
        #expect(code(out) == 4)
        #expect((try? JSONValue(parsing: out.stdout))?["cniVersion"] == "1.1.0")
    }

    @Test func missingCommandExplainsOnStderr() {
        let out = run([:], [])
        #expect(code(out) == 4)
        #expect(text(out.stderr).contains("CNI protocol versions supported"))
    }

    static let stdinCases: [(String, Int)] = [
        ("", 6), ("{", 6), ("[1]", 7), (#"{"cniVersion":"1.1.0","type":"fake"}"#, 7),
        (#"{"cniVersion":"1.1.0","name":"bad name","type":"fake"}"#, 7),
        (#"{"cniVersion":"1.1.0","name":"pods","type":"fake","prevResult":{"ips":[{}]}}"#, 7),
    ]

    @Test(arguments: stdinCases)
    func badStdin(_ stdin: String, _ expected: Int) {
        let out = run(addEnv, Array(stdin.utf8))
        #expect(out.exitCode == 1)
        #expect(code(out) == expected, "\(text(out.stdout))")
    }

    @Test func checkGetsPrevResultAndCall() {
        let ok = run(addEnv.merging(["CNI_COMMAND": "CHECK"]) { $1 },
                     conf("1.1.0", #","prevResult":{"cniVersion":"0.3.1","ips":[{"version":"4","address":"10.1.0.5/24"}]}"#))
        #expect(ok.exitCode == 0, "\(text(ok.stdout))")
        let missing = run(addEnv.merging(["CNI_COMMAND": "CHECK"]) { $1 }, conf("1.1.0"))
        #expect(code(missing) == 7)
    }

    @Test func pluginDecodesItsOwnKeys() throws {
        struct BridgeConf: Decodable { var bridge: String; var mtu: Int? }
        let call = CNICall(environment: try CNIEnvironment(parsing: addEnv),
                           config: try NetworkConfig(decoding: conf("1.1.0", #","bridge":"cni0","mtu":1450"#)),
                           stdin: conf("1.1.0", #","bridge":"cni0","mtu":1450"#))
        let b = try call.decodeConfig(BridgeConf.self)
        #expect(b.bridge == "cni0" && b.mtu == 1450)
        let bad = CNICall(environment: call.environment, config: call.config, stdin: conf("1.1.0", #","bridge":7"#))
        do { _ = try bad.decodeConfig(BridgeConf.self); Issue.record("decoded a number as a string") } catch {
            #expect(error.code == CNIError.invalidConfig)
            #expect(error.details.contains("bridge"), "\(error.details)")
        }
    }

    @Test func errorWrapping() {
        struct Boom: Error {}
        #expect(CNIError(wrapping: CNIError(11, "x"), code: 5, "io") == CNIError(11, "x"))
        #expect(CNIError(wrapping: Boom(), code: CNIError.kernelFailure, "netlink").code == CNIError.kernelFailure)
        #expect(CNIError(json: ["code": 3, "msg": "gone"]) == CNIError(3, "gone"))
        #expect(CNIError(json: ["msg": "no code"]) == nil)
        #expect(CNIError.name(of: 4) == "invalid necessary environment variables")
        #expect(CNIError.name(of: 100) == nil)
    }
}
