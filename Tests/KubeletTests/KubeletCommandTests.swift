import Foundation
import NetNS
import Testing
import TestSupport
@testable import Kubelet

/// `trellis kubelet` as `trellis up` runs it: the built binary against `trellis apiserver`,
/// its CNI plugins run inside a node namespace, real kubectl on the other side.
@Suite(.serialized, .enabled(if: isRoot, "needs root for network namespaces"))
struct KubeletCommandTests {
    let binary = builtProductsDirectory + "/trellis"

    func startAPIServer(_ dir: String) throws -> BackgroundProcess {
        let log = dir + "/apiserver.log"
        let p = try BackgroundProcess(["sh", "-c", "exec \(binary) apiserver --data-dir \(dir) --listen 127.0.0.1:0 > \(log) 2>&1"])
        let ready = eventually(timeout: 60) {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("serving ")
                && FileManager.default.fileExists(atPath: dir + "/admin.kubeconfig")
        }
        #expect(ready, "apiserver: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        return p
    }

    @Test func runsABoundPodAndCompletesItsGracefulDeletion() async throws {
        let lab = try KubeletLab()
        defer { for record in lab.sandbox.store.list() { try? lab.sandbox.teardown(record) } }
        let api = try startAPIServer(lab.dir.path)
        defer { api.stop() }
        let nodeName = scratchName("tkn")
        let kubeletLog = lab.dir.path + "/kubelet.log"
        let kubelet = try BackgroundProcess(["sh", "-c", "exec \(binary) kubelet --kubeconfig \(lab.dir.path)/admin.kubeconfig "
            + "--node-name \(nodeName) --node-netns \(lab.node.name) --cni-conf-dir \(lab.confDir) "
            + "--cni-bin-dir \(builtProductsDirectory) --root-dir \(lab.rootDir) --pod-cidr-timeout 0 "
            + "--stop-pods-on-exit > \(kubeletLog) 2>&1"])
        defer { kubelet.stop() }
        let kubectl = ["kubectl", "--kubeconfig", lab.dir.path + "/admin.kubeconfig"]
        func get(_ args: [String]) -> String {
            ((try? shell(kubectl + ["get"] + args, check: false))?.stdout ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let logText = { (try? String(contentsOfFile: kubeletLog, encoding: .utf8)) ?? "" }

        #expect(await until(60) { get(["node", nodeName, "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}"]) == "True" },
                "kubelet: \(logText())")
        #expect(await until(30) { !get(["lease", "-n", "kube-node-lease", nodeName, "-o", "name"]).isEmpty })
        #expect(get(["node", nodeName, "-o", "jsonpath={.status.allocatable.pods}"]) == "110")

        let pod = #"""
        {"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"default"},
         "spec":{"nodeName":"\#(nodeName)","terminationGracePeriodSeconds":2,"containers":[{"name":"web","image":"python:ignored",
          "command":["python3","-m","http.server","8080"],"ports":[{"containerPort":8080}],
          "readinessProbe":{"tcpSocket":{"port":8080},"periodSeconds":1}}]}}
        """#
        try shell(kubectl + ["create", "--validate=false", "-f", "-"], stdin: pod)
        #expect(await until(60) { get(["pod", "web", "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}"]) == "True" },
                "kubelet: \(logText())")
        #expect(get(["pod", "web", "-o", "jsonpath={.status.phase}"]) == "Running")
        let ip = get(["pod", "web", "-o", "jsonpath={.status.podIP}"])
        #expect(ip.hasPrefix("10.88.0."))
        #expect(try lab.fetch("http://\(ip):8080/").stdout == "200")

        // Graceful deletion: the API server sets deletionTimestamp, the kubelet stops the pod and
        // removes it with a grace-0 DELETE.
        try shell(kubectl + ["delete", "pod", "web", "--wait=false"])
        #expect(await until(60) { get(["pods", "-o", "name"]).isEmpty }, "kubelet: \(logText())")
        #expect(await until(10) { lab.sandbox.store.list().isEmpty })
        #expect(try lab.vethCount() == 0)

        kubelet.signal(SIGTERM)
        #expect(kubelet.wait() == 0, "kubelet: \(logText())")
    }
}
