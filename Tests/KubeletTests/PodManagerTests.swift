import Foundation
import KubeAPI
import NetNS
import Testing
import TestSupport
@testable import Kubelet

@Suite(.serialized, .enabled(if: isRoot, "needs root for network namespaces"))
struct PodManagerTests {
    @Test func aPodServesHTTPAndGoesAwayCleanly() async throws {
        try await withLab { lab in
            var web = Container(name: "web", image: "python:3 (ignored)")
            web.command = ["python3", "-m", "http.server", "8080"]
            web.ports = [ContainerPort(name: "http", containerPort: 8080)]
            var readiness = Probe()
            readiness.httpGet = HTTPGetAction()
            readiness.httpGet?.port = "http"
            readiness.periodSeconds = 1
            web.readinessProbe = readiness
            var env = KubeletLab.container("env", "echo \"$POD_NAME $POD_NAMESPACE $POD_IP $GREETING\"; exec sleep 1000")
            env.env = [fieldRef("POD_NAME", "metadata.name"), fieldRef("POD_NAMESPACE", "metadata.namespace"),
                       fieldRef("POD_IP", "status.podIP"), EnvVar(name: "GREETING", value: "hi-$(POD_NAME)")]
            var pod = KubeletLab.pod("web", [web, env])
            await lab.manager.upsert(pod)

            #expect(await until { lab.statuses.latest(pod)?.condition("Ready") == "True" })
            let status = try #require(lab.statuses.latest(pod))
            #expect(status.phase == "Running")
            let ip = try #require(status.podIP)
            #expect(ip.hasPrefix("10.88.0."))
            #expect(status.hostIP == "192.168.77.1")
            #expect(try lab.fetch("http://\(ip):8080/").stdout == "200")
            // The log file has the container's output with the resolved environment.
            let log = lab.sandbox.store.logPath(uid: pod.metadata.uid!, container: "env", restartCount: 0)
            #expect(await until { (try? String(contentsOfFile: log, encoding: .utf8)) == "web default \(ip) hi-web\n" })
            // Earlier statuses went through Pending.
            #expect(lab.statuses.all(pod).first?.phase == "Pending")

            // Graceful deletion: deletionTimestamp, then the kubelet stops everything and says so.
            pod.metadata.deletionTimestamp = Time.now()
            pod.metadata.deletionGracePeriodSeconds = 1
            await lab.manager.upsert(pod)
            #expect(await until { lab.wasTerminated(pod) })
            #expect(!NetNS.list().contains(PodSandbox.netnsName(uid: pod.metadata.uid!)))
            #expect(try lab.vethCount() == 0)
            #expect(try lab.addressIsFree(ip))
            #expect(lab.statuses.latest(pod)?.condition("Ready") == "False")
        }
    }

    @Test func restartPoliciesAndBackOff() async throws {
        try await withLab { lab in
            let onFailure = KubeletLab.pod("crash", [KubeletLab.container("c", "exit 3")], restartPolicy: "OnFailure")
            let never = KubeletLab.pod("once", [KubeletLab.container("c", "exit 3")], restartPolicy: "Never")
            let done = KubeletLab.pod("done", [KubeletLab.container("c", "exit 0")], restartPolicy: "OnFailure")
            for p in [onFailure, never, done] { await lab.manager.upsert(p) }

            #expect(await until { (lab.statuses.latest(onFailure)?.container("c")?.restartCount ?? 0) >= 3 })
            let crash = try #require(lab.statuses.latest(onFailure)?.container("c"))
            #expect(crash.lastState?.terminated?.exitCode == 3)
            #expect(lab.statuses.all(onFailure).contains { $0.container("c")?.state?.waiting?.reason == "CrashLoopBackOff" })
            #expect(lab.statuses.latest(onFailure)?.phase == "Running")

            #expect(await until { lab.statuses.latest(never)?.phase == "Failed" })
            #expect(lab.statuses.latest(never)?.container("c")?.state?.terminated?.exitCode == 3)
            #expect(lab.statuses.latest(never)?.container("c")?.restartCount == 0)
            #expect(await until { lab.statuses.latest(done)?.phase == "Succeeded" })
            // A finished pod gives its sandbox back but keeps its address in the status.
            #expect(await until { !NetNS.list().contains(PodSandbox.netnsName(uid: never.metadata.uid!)) })
            #expect(lab.statuses.latest(never)?.podIP != nil)
        }
    }

    @Test func readinessProbeFlipsReady() async throws {
        try await withLab { lab in
            let marker = lab.dir.path + "/ready"
            var c = KubeletLab.container("app", "exec sleep 1000")
            var readiness = Probe()
            readiness.exec = ExecAction()
            readiness.exec?.command = ["test", "-f", marker]
            readiness.periodSeconds = 1
            c.readinessProbe = readiness
            let pod = KubeletLab.pod("ready", [c])
            await lab.manager.upsert(pod)
            #expect(await until { lab.statuses.latest(pod)?.container("app")?.state?.running != nil })
            #expect(lab.statuses.latest(pod)?.condition("Ready") == "False")
            _ = FileManager.default.createFile(atPath: marker, contents: nil)
            #expect(await until { lab.statuses.latest(pod)?.condition("Ready") == "True" })
            try FileManager.default.removeItem(atPath: marker)
            #expect(await until { lab.statuses.latest(pod)?.condition("Ready") == "False" })
            #expect(lab.statuses.latest(pod)?.container("app")?.restartCount == 0)
        }
    }

    @Test func livenessFailureRestartsTheContainer() async throws {
        try await withLab { lab in
            let marker = lab.dir.path + "/alive"
            _ = FileManager.default.createFile(atPath: marker, contents: nil)
            var c = KubeletLab.container("app", "exec sleep 1000")
            var liveness = Probe()
            liveness.exec = ExecAction()
            liveness.exec?.command = ["test", "-f", marker]
            liveness.periodSeconds = 1
            liveness.failureThreshold = 1
            liveness.terminationGracePeriodSeconds = 1
            c.livenessProbe = liveness
            let pod = KubeletLab.pod("live", [c])
            await lab.manager.upsert(pod)
            #expect(await until { lab.statuses.latest(pod)?.container("app")?.state?.running != nil })
            try FileManager.default.removeItem(atPath: marker)
            #expect(await until { (lab.statuses.latest(pod)?.container("app")?.restartCount ?? 0) >= 1 })
            _ = FileManager.default.createFile(atPath: marker, contents: nil)
            #expect(await until { lab.statuses.latest(pod)?.container("app")?.state?.running != nil })
            #expect(lab.statuses.latest(pod)?.container("app")?.lastState?.terminated != nil)
        }
    }

    @Test func tcpProbeFromTheNodeNamespace() async throws {
        try await withLab { lab in
            var c = KubeletLab.container("srv", "exec python3 -c 'import socket,time; s=socket.socket(); s.bind((\"0.0.0.0\", 7000)); s.listen(); time.sleep(1000)'")
            var readiness = Probe()
            readiness.tcpSocket = TCPSocketAction()
            readiness.tcpSocket?.port = 7000
            readiness.periodSeconds = 1
            c.readinessProbe = readiness
            let pod = KubeletLab.pod("tcp", [c])
            await lab.manager.upsert(pod)
            #expect(await until { lab.statuses.latest(pod)?.condition("Ready") == "True" })
        }
    }

    @Test func gracefulStopSendsTermThenKill() async throws {
        try await withLab { lab in
            let stubborn = KubeletLab.container("stubborn",
                "trap 'echo got-term' TERM; echo started; while true; do sleep 0.1; done")
            let polite = KubeletLab.container("polite", "trap 'echo bye; exit 0' TERM; echo started; while true; do sleep 0.1; done")
            var pod = KubeletLab.pod("stop", [stubborn, polite], grace: 1)
            await lab.manager.upsert(pod)
            let store = lab.sandbox.store
            let uid = pod.metadata.uid!
            for name in ["stubborn", "polite"] {
                let log = store.logPath(uid: uid, container: name, restartCount: 0)
                #expect(await until { ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("started") })
            }
            pod.metadata.deletionTimestamp = Time.now()
            await lab.manager.upsert(pod)
            #expect(await until { lab.wasTerminated(pod) })
            let last = try #require(lab.statuses.all(pod).last { $0.container("stubborn")?.state?.terminated != nil })
            #expect(last.container("stubborn")?.state?.terminated?.signal == SIGKILL)
            let done = try #require(lab.statuses.all(pod).last { $0.container("polite")?.state?.terminated != nil })
            #expect(done.container("polite")?.state?.terminated?.exitCode == 0)
        }
    }

    @Test func subreaperReapsOrphans() async throws {
        try await withLab { lab in
            try ProcessReaper.shared.becomeSubreaper()
            #expect(ProcessReaper.shared.isSubreaper)
            // A distinctive program name, so the check sees only this test's orphans.
            let program = lab.dir.path + "/orphansleep"
            try FileManager.default.copyItem(atPath: "/bin/sleep", toPath: program)
            // The shell exits at once; its background sleeps are orphans re-parented to us.
            let pod = KubeletLab.pod("orphans", [KubeletLab.container("c", "for i in 1 2 3; do \(program) 2 & done; exit 0"),
                                                 KubeletLab.container("keep", "exec sleep 1000")],
                                     restartPolicy: "Never")
            await lab.manager.upsert(pod)
            #expect(await until { lab.statuses.latest(pod)?.container("c")?.state?.terminated?.exitCode == 0 })
            let orphans = {
                Posix.children().filter { pid in
                    ((try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) ?? "").hasPrefix("orphansleep")
                }
            }
            #expect(await until { orphans().count == 3 })
            // Once they exit they are reaped: no zombie is left behind.
            #expect(await until { orphans().isEmpty })
        }
    }

    @Test func hostNetworkPodsRunInTheNodeNamespace() async throws {
        try await withLab { lab in
            var pod = KubeletLab.pod("host", [KubeletLab.container("c", "readlink /proc/self/ns/net; exec sleep 1000")])
            pod.spec?.hostNetwork = true
            await lab.manager.upsert(pod)
            #expect(await until { lab.statuses.latest(pod)?.container("c")?.state?.running != nil })
            #expect(lab.statuses.latest(pod)?.podIP == "192.168.77.1")
            #expect(!NetNS.list().contains(PodSandbox.netnsName(uid: pod.metadata.uid!)))
            var st = stat()
            #expect(stat(lab.node.path, &st) == 0)
            let log = lab.sandbox.store.logPath(uid: pod.metadata.uid!, container: "c", restartCount: 0)
            #expect(await until { (try? String(contentsOfFile: log, encoding: .utf8)) == "net:[\(st.st_ino)]\n" })
        }
    }

    @Test func resyncGarbageCollectsLeakedAttachments() async throws {
        try await withLab { lab in
            let pod = KubeletLab.pod("kept", [KubeletLab.container("c", "exec sleep 1000")])
            await lab.manager.upsert(pod)
            #expect(await until { lab.statuses.latest(pod)?.container("c")?.state?.running != nil })
            let ip = try #require(lab.statuses.latest(pod)?.podIP)
            // A reservation whose DEL was lost.
            let config = #"{"cniVersion":"1.1.0","name":"tknet","type":"trellis-bridge","ipam":{"type":"trellis-ipam","dataDir":"\#(lab.dir.path)/ipam","ranges":[[{"subnet":"\#(lab.subnet)"}]]}}"#
            let leak = PluginCall(command: "ADD", containerID: "leaked", netns: lab.node.path, ifName: "eth0",
                                  args: "IgnoreUnknown=1;IP=10.88.0.200", path: builtProductsDirectory, config: config)
            #expect(try runPlugin(builtProductsDirectory + "/trellis-ipam", leak, in: lab.node).status == 0)
            #expect(try !lab.addressIsFree("10.88.0.200"))

            await lab.manager.resync([pod])
            #expect(try lab.addressIsFree("10.88.0.200"))
            #expect(try !lab.addressIsFree(ip))
            #expect(lab.statuses.latest(pod)?.container("c")?.restartCount == 0)
        }
    }

    @Test func startupProbeGatesAndRestarts() async throws {
        try await withLab { lab in
            let marker = lab.dir.path + "/started"
            var c = KubeletLab.container("app", "exec sleep 1000")
            var startup = Probe()
            startup.exec = ExecAction()
            // Slower than its timeout until the marker exists: a timed-out exec probe fails.
            startup.exec?.command = ["/bin/sh", "-c", "test -f \(marker) || exec sleep 5"]
            startup.timeoutSeconds = 1
            startup.periodSeconds = 1
            startup.failureThreshold = 2
            startup.terminationGracePeriodSeconds = 1
            c.startupProbe = startup
            let pod = KubeletLab.pod("startup", [c])
            await lab.manager.upsert(pod)
            #expect(await until { lab.statuses.latest(pod)?.container("app")?.state?.running != nil })
            #expect(lab.statuses.latest(pod)?.container("app")?.started == false)
            #expect(lab.statuses.latest(pod)?.condition("Ready") == "False")
            #expect(await until { (lab.statuses.latest(pod)?.container("app")?.restartCount ?? 0) >= 1 })
            _ = FileManager.default.createFile(atPath: marker, contents: nil)
            #expect(await until { lab.statuses.latest(pod)?.container("app")?.started == true })
            #expect(await until { lab.statuses.latest(pod)?.condition("Ready") == "True" })
        }
    }

    @Test func aMissingProgramIsAConfigErrorUntilItAppears() async throws {
        try await withLab { lab in
            let bin = lab.dir.path + "/bin"
            try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
            var c = Container(name: "app", image: "nginx")
            c.command = ["no-such-program-here", "1000"]
            c.env = [EnvVar(name: "PATH", value: "\(bin):/usr/bin:/bin")]
            let pod = KubeletLab.pod("missing", [c])
            await lab.manager.upsert(pod)
            #expect(await until { lab.statuses.latest(pod)?.container("app")?.state?.waiting?.reason == "CreateContainerConfigError" })
            #expect(lab.statuses.latest(pod)?.phase == "Pending")
            #expect(lab.statuses.latest(pod)?.container("app")?.state?.waiting?.message?.contains("no-such-program-here") == true)
            // The runner retries: once the program exists on the container's PATH, it runs.
            try FileManager.default.createSymbolicLink(atPath: bin + "/no-such-program-here", withDestinationPath: "/bin/sleep")
            #expect(await until { lab.statuses.latest(pod)?.container("app")?.state?.running != nil })
            #expect(lab.statuses.latest(pod)?.phase == "Running")
        }
    }

    func fieldRef(_ name: String, _ path: String) -> EnvVar {
        var v = EnvVar()
        v.name = name
        v.valueFrom = .object(["fieldRef": .object(["fieldPath": .string(path)])])
        return v
    }
}
