import Foundation
import Testing
import TestSupport

/// `trellis dns --kubeconfig` against `trellis apiserver`, both the built binaries, driven by
/// real kubectl and queried by real dig: the zone follows the API. The time from the API
/// change to the answer changing is printed (measured, not asserted).
@Suite(.serialized) struct APIDrivenTests {
    let trellis = builtProductsDirectory + "/trellis"

    @Test func notReadyEndpointLeavesTheAnswersAfterTheAPIChange() throws {
        let dir = try ScratchDirectory()
        let apiserver = try BackgroundProcess(["sh", "-c", "exec \(trellis) apiserver --data-dir \(dir.path) --listen 127.0.0.1:0 > \(dir.path)/api.log 2>&1"])
        defer { apiserver.stop() }
        let kubeconfig = dir.path + "/admin.kubeconfig"
        #expect(eventually(timeout: 60) { FileManager.default.fileExists(atPath: kubeconfig) })
        let port = Int.random(in: 20000..<30000)
        let dns = try BackgroundProcess(["sh", "-c", "exec \(trellis) dns --kubeconfig \(kubeconfig) --listen 127.0.0.1 --port \(port) --metrics-address '' --no-forward > \(dir.path)/dns.log 2>&1"])
        defer { dns.stop() }
        let kubectl = ["kubectl", "--kubeconfig", kubeconfig]
        let objects = """
            {"apiVersion":"v1","kind":"List","items":[
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"db","namespace":"default"},"spec":{"clusterIP":"None","selector":{"app":"db"},"ports":[{"name":"pg","port":5432}]}},
            {"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"db-1","namespace":"default","labels":{"kubernetes.io/service-name":"db"}},"addressType":"IPv4",
             "endpoints":[{"addresses":["10.244.0.5"],"conditions":{"ready":true}},{"addresses":["10.244.0.6"],"conditions":{"ready":true}}],
             "ports":[{"name":"pg","port":5432,"protocol":"TCP"}]}]}
            """
        try shell(kubectl + ["create", "--validate=false", "-f", "-"], stdin: objects)
        func answers() -> Set<String> {
            let out = (try? shell(["dig", "+short", "+time=1", "+tries=1", "@127.0.0.1", "-p", String(port), "db.default.svc.cluster.local"], check: false).stdout) ?? ""
            return Set(out.split(separator: "\n").map(String.init).filter { !$0.hasPrefix(";") })
        }
        #expect(eventually(timeout: 30) { answers() == ["10.244.0.5", "10.244.0.6"] }, "\(answers())")
        let changed = Date()
        try shell(kubectl + ["patch", "endpointslice", "db-1", "--type", "json", "-p",
                             #"[{"op":"replace","path":"/endpoints/1/conditions/ready","value":false}]"#])
        let gone = eventually(timeout: 10) { answers() == ["10.244.0.5"] }
        let elapsed = Date().timeIntervalSince(changed)
        #expect(gone, "the not-ready endpoint is still answered: \(answers())")
        print(String(format: "MEASURED dns: not-ready endpoint gone from answers %.0f ms from the start of kubectl patch (kubectl's own start-up included)", elapsed * 1000))
        try shell(kubectl + ["delete", "service", "db"])
        #expect(eventually(timeout: 10) { answers().isEmpty })
    }
}
