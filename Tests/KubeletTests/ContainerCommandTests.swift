import KubeAPI
import Testing
@testable import Kubelet

@Suite struct ContainerCommandTests {
    static let pod: Pod = {
        var p = Pod(metadata: ObjectMeta(name: "web-0", namespace: "shop", labels: ["app": "web"]))
        p.metadata.uid = "0c5e9b1a-77aa-4bd0-9d1e-123456789abc"
        p.spec = PodSpec()
        p.spec?.nodeName = "node-1"
        return p
    }()
    static let fields = ContainerCommand.PodFields(podIPs: ["10.88.0.7", "fd00::7"], hostIPs: ["192.168.50.2"])

    @Test(arguments: [
        ("$(A)-$(B)", "1-two"),
        ("$$(A)", "$(A)"),
        ("$(MISSING) stays", "$(MISSING) stays"),
        ("no refs", "no refs"),
        ("trailing $", "trailing $"),
        ("$(A", "$(A"),
        ("$A", "$A"),
    ])
    func expansion(input: String, expected: String) {
        #expect(ContainerCommand.expand(input, ["A": "1", "B": "two"]) == expected)
    }

    @Test func commandArgsEnvAndFieldRefs() throws {
        var c = Container(name: "app", image: "ignored:latest")
        c.command = ["server"]
        c.args = ["--name=$(POD_NAME)", "--ip", "$(POD_IP)"]
        c.workingDir = "/srv"
        c.env = [
            EnvVar(name: "GREETING", value: "hello"),
            EnvVar(name: "MESSAGE", value: "$(GREETING) world"),
            fieldRef("POD_NAME", "metadata.name"), fieldRef("POD_NAMESPACE", "metadata.namespace"),
            fieldRef("POD_IP", "status.podIP"), fieldRef("POD_IPS", "status.podIPs"),
            fieldRef("HOST_IP", "status.hostIP"), fieldRef("NODE", "spec.nodeName"),
            fieldRef("APP", "metadata.labels['app']"),
        ]
        let cmd = try ContainerCommand.resolve(c, pod: Self.pod, fields: Self.fields, extra: [("GREETING", "overridden")],
                                               isExecutable: { $0 == "/usr/bin/server" })
        #expect(cmd.executable == "/usr/bin/server")
        #expect(cmd.arguments == ["server", "--name=web-0", "--ip", "10.88.0.7"])
        #expect(cmd.workingDirectory == "/srv")
        #expect(cmd.environment == [
            "GREETING=hello", "MESSAGE=hello world", "POD_NAME=web-0", "POD_NAMESPACE=shop", "POD_IP=10.88.0.7",
            "POD_IPS=10.88.0.7,fd00::7", "HOST_IP=192.168.50.2", "NODE=node-1", "APP=web",
            "PATH=\(ContainerCommand.defaultPath)", "HOSTNAME=web-0",
        ])
    }

    @Test func argsAloneNameTheProgramAndPathComesFromEnv() throws {
        var c = Container(name: "app", image: "x")
        c.args = ["tool", "-v"]
        c.env = [EnvVar(name: "PATH", value: "/opt/a:/opt/b")]
        let cmd = try ContainerCommand.resolve(c, pod: Self.pod, fields: Self.fields, isExecutable: { $0 == "/opt/b/tool" })
        #expect(cmd.executable == "/opt/b/tool")
        #expect(cmd.arguments == ["tool", "-v"])
    }

    @Test func slashPathsAreUsedAsWritten() {
        #expect(ContainerCommand.lookup("/bin/sh", path: "", workingDirectory: nil, isExecutable: { _ in false }) == "/bin/sh")
        #expect(ContainerCommand.lookup("./run", path: "", workingDirectory: "/srv", isExecutable: { _ in false }) == "/srv/./run")
    }

    @Test func noCommandIsAConfigurationError() {
        let c = Container(name: "app", image: "nginx")
        #expect(throws: KubeletError.self) {
            try ContainerCommand.resolve(c, pod: Self.pod, fields: Self.fields, isExecutable: { _ in true })
        }
    }

    @Test func unsupportedReferencesFailUnlessOptional() throws {
        var c = Container(name: "app", image: "x")
        c.command = ["/bin/true"]
        var optional = EnvVar()
        optional.name = "OPT"
        optional.valueFrom = .object(["secretKeyRef": .object(["name": .string("s"), "key": .string("k"), "optional": .bool(true)])])
        c.env = [optional]
        let cmd = try ContainerCommand.resolve(c, pod: Self.pod, fields: Self.fields, isExecutable: { _ in true })
        #expect(!cmd.environment.contains { $0.hasPrefix("OPT=") })
        var required = optional
        required.valueFrom = .object(["configMapKeyRef": .object(["name": .string("c"), "key": .string("k")])])
        c.env = [required]
        #expect(throws: KubeletError.self) {
            try ContainerCommand.resolve(c, pod: Self.pod, fields: Self.fields, isExecutable: { _ in true })
        }
    }

    func fieldRef(_ name: String, _ path: String) -> EnvVar {
        var v = EnvVar()
        v.name = name
        v.valueFrom = .object(["fieldRef": .object(["fieldPath": .string(path)])])
        return v
    }
}
