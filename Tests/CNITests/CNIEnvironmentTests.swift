import CNI
import NetAddr
import Testing

private let base = ["CNI_COMMAND": "ADD", "CNI_CONTAINERID": "c0ffee", "CNI_NETNS": "/var/run/netns/p1",
                    "CNI_IFNAME": "eth0", "CNI_PATH": "/opt/cni/bin:/usr/lib/cni"]

private func env(_ changes: [String: String?]) -> [String: String] {
    var e = base
    for (k, v) in changes { e[k] = v }
    return e
}

struct EnvCase: CustomTestStringConvertible, Sendable {
    var name: String
    var env: [String: String]
    /// Expected code, or nil for success.
    var code: Int?
    var msgContains: String = ""
    var testDescription: String { name }
}

@Suite struct CNIEnvironmentTests {
    static let cases: [EnvCase] = [
        .init(name: "valid ADD", env: base, code: nil),
        .init(name: "CNI_COMMAND missing", env: env(["CNI_COMMAND": nil]), code: 4, msgContains: "CNI_COMMAND is not set"),
        .init(name: "CNI_COMMAND empty", env: env(["CNI_COMMAND": ""]), code: 4, msgContains: "CNI_COMMAND is not set"),
        .init(name: "CNI_COMMAND unknown", env: env(["CNI_COMMAND": "INIT"]), code: 4, msgContains: "unknown CNI_COMMAND \"INIT\""),
        .init(name: "CNI_COMMAND lower case", env: env(["CNI_COMMAND": "add"]), code: 4, msgContains: "unknown CNI_COMMAND"),
        .init(name: "ADD without container ID", env: env(["CNI_CONTAINERID": nil]), code: 4, msgContains: "CNI_CONTAINERID"),
        .init(name: "DEL without container ID", env: env(["CNI_COMMAND": "DEL", "CNI_CONTAINERID": nil]), code: 4, msgContains: "CNI_CONTAINERID"),
        .init(name: "CHECK without container ID", env: env(["CNI_COMMAND": "CHECK", "CNI_CONTAINERID": ""]), code: 4, msgContains: "CNI_CONTAINERID"),
        .init(name: "container ID starts with dash", env: env(["CNI_CONTAINERID": "-abc"]), code: 4, msgContains: "invalid CNI_CONTAINERID"),
        .init(name: "container ID starts with underscore", env: env(["CNI_CONTAINERID": "_abc"]), code: 4, msgContains: "invalid CNI_CONTAINERID"),
        .init(name: "container ID with slash", env: env(["CNI_CONTAINERID": "a/b"]), code: 4, msgContains: "invalid CNI_CONTAINERID"),
        .init(name: "container ID with space", env: env(["CNI_CONTAINERID": "a b"]), code: 4, msgContains: "invalid CNI_CONTAINERID"),
        .init(name: "container ID non-ASCII", env: env(["CNI_CONTAINERID": "cafè"]), code: 4, msgContains: "invalid CNI_CONTAINERID"),
        .init(name: "container ID with _ . -", env: env(["CNI_CONTAINERID": "A1_b.c-d"]), code: nil),
        .init(name: "ADD without ifname", env: env(["CNI_IFNAME": nil]), code: 4, msgContains: "CNI_IFNAME"),
        .init(name: "DEL without ifname", env: env(["CNI_COMMAND": "DEL", "CNI_IFNAME": nil]), code: 4, msgContains: "CNI_IFNAME"),
        .init(name: "ifname 15 bytes", env: env(["CNI_IFNAME": "abcdefghijklmno"]), code: nil),
        .init(name: "ifname 16 bytes", env: env(["CNI_IFNAME": "abcdefghijklmnop"]), code: 4, msgContains: "longer than 15 bytes"),
        .init(name: "ifname 8 chars but 16 bytes", env: env(["CNI_IFNAME": "ééééééééé"]), code: 4, msgContains: "longer than 15 bytes"),
        .init(name: "ifname dot", env: env(["CNI_IFNAME": "."]), code: 4, msgContains: "must not be"),
        .init(name: "ifname dot dot", env: env(["CNI_IFNAME": ".."]), code: 4, msgContains: "must not be"),
        .init(name: "ifname slash", env: env(["CNI_IFNAME": "eth/0"]), code: 4, msgContains: "'/'"),
        .init(name: "ifname colon", env: env(["CNI_IFNAME": "eth0:1"]), code: 4, msgContains: "'/'"),
        .init(name: "ifname space", env: env(["CNI_IFNAME": "eth 0"]), code: 4, msgContains: "whitespace"),
        .init(name: "ifname tab", env: env(["CNI_IFNAME": "eth\t0"]), code: 4, msgContains: "whitespace"),
        .init(name: "ADD without netns", env: env(["CNI_NETNS": nil]), code: 4, msgContains: "CNI_NETNS"),
        .init(name: "CHECK without netns", env: env(["CNI_COMMAND": "CHECK", "CNI_NETNS": nil]), code: 4, msgContains: "CNI_NETNS"),
        .init(name: "DEL without netns", env: env(["CNI_COMMAND": "DEL", "CNI_NETNS": nil]), code: nil),
        .init(name: "relative netns", env: env(["CNI_NETNS": "var/run/netns/p1"]), code: 4, msgContains: "absolute path"),
        .init(name: "relative netns on DEL", env: env(["CNI_COMMAND": "DEL", "CNI_NETNS": "p1"]), code: 4, msgContains: "absolute path"),
        .init(name: "all three missing listed", env: ["CNI_COMMAND": "ADD"], code: 4,
              msgContains: "CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME"),
        .init(name: "malformed CNI_ARGS", env: env(["CNI_ARGS": "IP=10.1.0.9;junk"]), code: 4, msgContains: "CNI_ARGS"),
        .init(name: "CNI_ARGS value with =", env: env(["CNI_ARGS": "A=b=c"]), code: 4, msgContains: "CNI_ARGS"),
        .init(name: "CNI_ARGS empty key", env: env(["CNI_ARGS": "=x"]), code: 4, msgContains: "CNI_ARGS"),
        .init(name: "VERSION alone", env: ["CNI_COMMAND": "VERSION"], code: nil),
        .init(name: "VERSION ignores bad others", env: ["CNI_COMMAND": "VERSION", "CNI_IFNAME": "a/b"], code: nil),
        .init(name: "STATUS alone", env: ["CNI_COMMAND": "STATUS"], code: nil),
        .init(name: "GC alone", env: ["CNI_COMMAND": "GC", "CNI_PATH": "/opt/cni/bin"], code: nil),
        .init(name: "GC with bad CNI_ARGS", env: ["CNI_COMMAND": "GC", "CNI_ARGS": "x"], code: 4, msgContains: "CNI_ARGS"),
    ]

    @Test(arguments: cases)
    func validation(_ c: EnvCase) {
        do {
            _ = try CNIEnvironment(parsing: c.env)
            #expect(c.code == nil, "expected code \(c.code ?? 0)")
        } catch {
            #expect(error.code == c.code, "\(error)")
            #expect(error.msg.contains(c.msgContains), "\(error.msg)")
        }
    }

    @Test func parsedValues() throws {
        let e = try CNIEnvironment(parsing: env(["CNI_ARGS": "IgnoreUnknown=1;K8S_POD_NAME=web-0;K8S_POD_NAMESPACE=default"]))
        #expect(e.command == .add)
        #expect(e.containerID == "c0ffee")
        #expect(e.netns == "/var/run/netns/p1")
        #expect(e.ifName == "eth0")
        #expect(e.path == ["/opt/cni/bin", "/usr/lib/cni"])
        #expect(e.args.podName == "web-0")
        #expect(e.args.podNamespace == "default")
        #expect(e.variables["CNI_ARGS"] == "IgnoreUnknown=1;K8S_POD_NAME=web-0;K8S_POD_NAMESPACE=default")
        #expect(try CNIEnvironment(parsing: e.variables) == e)
    }

    @Test func pathDropsEmptyEntries() throws {
        let e = try CNIEnvironment(parsing: env(["CNI_PATH": ":/a::/b:"]))
        #expect(e.path == ["/a", "/b"])
    }

    static let argCases: [(String, [CNIArgs.Pair])] = [
        ("", []),
        ("IP=10.1.0.9", [.init("IP", "10.1.0.9")]),
        ("K8S_POD_NAME=web-0;K8S_POD_NAMESPACE=prod", [.init("K8S_POD_NAME", "web-0"), .init("K8S_POD_NAMESPACE", "prod")]),
        ("EMPTY=", [.init("EMPTY", "")]),
        ("IP=10.1.0.9,fd00::9;IgnoreUnknown=true", [.init("IP", "10.1.0.9,fd00::9"), .init("IgnoreUnknown", "true")]),
    ]

    @Test(arguments: argCases)
    func argsParsing(_ text: String, _ pairs: [CNIArgs.Pair]) throws {
        let a = try CNIArgs(parsing: text)
        #expect(a.pairs == pairs)
        #expect(a.description == text)
    }

    @Test(arguments: ["A", "A=1;", ";A=1", "A=1;;B=2", "A=1=2", "=1", "A B=1"])
    func argsRejected(_ text: String) {
        #expect(throws: CNIError.self) { try CNIArgs(parsing: text) }
        do { _ = try CNIArgs(parsing: text) } catch { #expect(error.code == CNIError.invalidEnvironment) }
    }

    @Test func argsIPs() throws {
        #expect(try CNIArgs(parsing: "IP=10.1.0.9").ips() == [IPAddress("10.1.0.9")!])
        #expect(try CNIArgs(parsing: "IP=10.1.0.9,fd00::9").ips() == [IPAddress("10.1.0.9")!, IPAddress("fd00::9")!])
        #expect(try CNIArgs(parsing: "X=1").ips() == [])
        do { _ = try CNIArgs(parsing: "IP=10.1.0.300").ips(); Issue.record("accepted bad IP") } catch {
            #expect(error.code == 4)
        }
    }
}
