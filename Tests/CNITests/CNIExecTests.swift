import CNI
import Glibc
import NetAddr
import Testing

/// A temporary directory of `/bin/sh` scripts standing in for plugin binaries; removed by `remove()`.
final class FakePluginDir {
    let path: String
    private var files: [String] = []

    init() throws {
        var template = Array("/tmp/cni-exec-test-XXXXXX".utf8CString)
        guard let p = mkdtemp(&template) else { throw CNIError(5, "mkdtemp failed") }
        path = String(cString: p)
    }

    func add(_ name: String, script: String) {
        let file = "\(path)/\(name)"
        let f = fopen(file, "w")!
        fputs("#!/bin/sh\n" + script, f)
        fclose(f)
        chmod(file, 0o755)
        files.append(file)
    }

    func remove() {
        for f in files { unlink(f) }
        rmdir(path)
    }
}

@Suite(.serialized) struct CNIExecTests {
    static let interpretCases: [(String, Int32, String, String, Int?)] = [
        // (command, exit code, stdout, stderr, expected error code or nil for success)
        ("ADD", 0, #"{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.1.0.7/24"}]}"#, "", nil),
        ("DEL", 0, "", "", nil),
        ("DEL", 0, "ignored output", "", nil),
        ("ADD", 0, "", "", 6),
        ("ADD", 0, "not json", "", 6),
        ("ADD", 0, #"{"cniVersion":"3.0.0"}"#, "", 1),
        ("ADD", 1, #"{"cniVersion":"1.0.0","code":100,"msg":"range exhausted","details":"10.1.0.0/24"}"#, "", 100),
        ("DEL", 1, #"{"code":3,"msg":"unknown container"}"#, "log line", 3),
        ("ADD", 2, "", "panic: something broke", 103),
        ("CHECK", 1, "plain text failure", "", 103),
    ]

    @Test(arguments: interpretCases)
    func interpret(_ command: String, _ exit: Int32, _ stdout: String, _ stderr: String, _ expected: Int?) {
        do {
            let r = try CNIExec.interpret(binary: "/opt/cni/bin/p", command: CNICommand(rawValue: command)!, exitCode: exit,
                                          stdout: Array(stdout.utf8), stderr: Array(stderr.utf8))
            #expect(expected == nil, "expected code \(expected ?? 0)")
            #expect((r != nil) == (command == "ADD"))
        } catch {
            #expect(error.code == expected, "\(error)")
            if error.code == 103 { #expect(error.details == (stderr.isEmpty ? stdout : stderr)) }
        }
    }

    @Test func environmentReplacesCNIVariables() {
        let base = ["PATH": "/bin", "CNI_COMMAND": "ADD", "CNI_ARGS": "stale=1"]
        let env = CNIExec.environment(base: base, cni: CNIEnvironment(command: .del, containerID: "c1", ifName: "eth0"))
        #expect(env == ["PATH": "/bin", "CNI_COMMAND": "DEL", "CNI_CONTAINERID": "c1", "CNI_IFNAME": "eth0"])
    }

    @Test(arguments: ["", "../host-local", "a/b", ".", ".."])
    func findRejectsPathLikeTypes(_ type: String) {
        do { _ = try CNIExec.find(type: type, in: ["/opt/cni/bin"]); Issue.record("accepted \(type)") } catch {
            #expect(error.code == CNIError.invalidConfig)
        }
    }

    @Test func findMissingIsCode4() {
        do { _ = try CNIExec.find(type: "no-such-plugin", in: ["/nonexistent"]); Issue.record("found it") } catch {
            #expect(error.code == CNIError.invalidEnvironment)
            #expect(error.msg.contains("no-such-plugin"))
        }
    }

    /// The one process test: scripts in a temp dir act as an IPAM plugin.
    @Test func delegationRunsScripts() throws {
        let dir = try FakePluginDir()
        defer { dir.remove() }
        dir.add("fake-ipam", script: """
        input=$(cat)
        len=$(printf '%s' "$input" | wc -c | tr -d ' ')
        case "$CNI_COMMAND" in
        ADD) printf '{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.1.0.7/24","gateway":"10.1.0.1"}],"dns":{"search":["%s","%s","%s"]}}' "$CNI_CONTAINERID" "$CNI_IFNAME" "$len" ;;
        DEL) exit 0 ;;
        CHECK) echo '{"cniVersion":"1.1.0","code":11,"msg":"store busy","details":"retry"}'; exit 1 ;;
        *) echo "unexpected $CNI_COMMAND" >&2; exit 3 ;;
        esac
        """)
        dir.add("deaf", script: "exit 0\n")
        dir.add("versioned", script: #"echo '{"cniVersion":"1.1.0","supportedVersions":["1.0.0","1.1.0"]}'"# + "\n")
        dir.add("not-executable", script: "exit 0\n")
        chmod("\(dir.path)/not-executable", 0o644)

        let config = Array(#"{"cniVersion":"0.4.0","name":"pods","type":"trellis-bridge","ipam":{"type":"fake-ipam"}}"#.utf8)
        let env = try CNIEnvironment(parsing: ["CNI_COMMAND": "ADD", "CNI_CONTAINERID": "c1", "CNI_NETNS": "/run/netns/p",
                                               "CNI_IFNAME": "eth0", "CNI_PATH": "/nonexistent:\(dir.path)"])
        var process = env.variables
        process["PATH"] = "/usr/bin:/bin"
        let call = CNICall(environment: env, config: try NetworkConfig(decoding: config), stdin: config,
                           processEnvironment: process)

        let r = try CNIExec.delegate(type: "fake-ipam", command: .add, call: call)
        #expect(r?.ips == [.init(address: IPPrefix("10.1.0.7/24")!, gateway: IPAddress("10.1.0.1"))])
        #expect(r?.dns.search == ["c1", "eth0", "\(config.count)"])

        #expect(try CNIExec.delegate(type: "fake-ipam", command: .del, call: call) == nil)

        do { _ = try CNIExec.delegate(type: "fake-ipam", command: .check, call: call); Issue.record("CHECK passed") } catch {
            #expect(error == CNIError(11, "store busy", details: "retry"))
        }
        do { _ = try CNIExec.delegate(type: "fake-ipam", command: .status, call: call); Issue.record("STATUS passed") } catch {
            #expect(error.code == CNIError.delegateFailure)
            #expect(error.details.contains("unexpected STATUS"))
        }
        do { _ = try CNIExec.delegate(type: "not-executable", command: .add, call: call); Issue.record("ran it") } catch {
            #expect(error.code == CNIError.invalidEnvironment)
        }

        #expect(try CNIExec.supportedVersions(pluginPath: "\(dir.path)/versioned").get() == ["1.0.0", "1.1.0"])
        #expect(throws: CNIError.self) { try CNIExec.supportedVersions(pluginPath: "\(dir.path)/deaf").get() }

        // A plugin that never reads a large stdin must not hang or kill us (SIGPIPE).
        let big = Array(repeating: UInt8(ascii: " "), count: 1 << 20)
        let quiet = CNIExec.run(pluginPath: "\(dir.path)/deaf", command: .del, containerID: "c1", ifName: "eth0",
                                config: big)
        #expect(try quiet.get() == nil)

        // Runtime-side invoker: a large config is fed completely while output is read.
        let added = CNIExec.run(pluginPath: "\(dir.path)/fake-ipam", command: .add, containerID: "c2",
                                netns: "/run/netns/q", ifName: "net1", path: [dir.path], config: config + big)
        #expect(try added.get()?.dns.search == ["c2", "net1", "\(config.count + big.count)"])
    }
}
