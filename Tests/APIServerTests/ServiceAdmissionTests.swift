import APIServer
import Foundation
import KubeAPI
import NetAddr
import Store
import Testing
import TestSupport

/// Service defaults, cluster IP and node port allocation, as kube-apiserver does them.
@Suite struct ServiceAdmissionTests {
    let services = "/api/v1/namespaces/default/services"

    func service(_ name: String, _ spec: String) -> String {
        #"{"apiVersion":"v1","kind":"Service","metadata":{"name":"\#(name)"},"spec":\#(spec)}"#
    }

    @Test func clusterIPServiceGetsDefaultsAndAnAddressFromTheRange() async throws {
        let f = try await PipelineFixture()
        let (status, body) = await f.json("POST", services, service("web", #"{"selector":{"app":"web"},"ports":[{"port":80}]}"#))
        #expect(status == 201, "\(body)")
        let spec = body["spec"]
        #expect(spec?["type"] == "ClusterIP")
        #expect(spec?["sessionAffinity"] == "None")
        #expect(spec?["internalTrafficPolicy"] == "Cluster")
        #expect(spec?["ipFamilies"] == ["IPv4"])
        #expect(spec?["ipFamilyPolicy"] == "SingleStack")
        #expect(spec?["ports"]?[0]?["protocol"] == "TCP")
        #expect(spec?["ports"]?[0]?["targetPort"] == 80)
        #expect(spec?["ports"]?[0]?["nodePort"] == nil)
        let ip = try #require(IPAddress(spec?["clusterIP"]?.stringValue ?? ""))
        #expect(IPPrefix("10.96.0.0/12")!.contains(ip))
        #expect(ip != IPAddress("10.96.0.1")!, "the first address is the kubernetes Service's")
        #expect(spec?["clusterIPs"] == [.string(ip.description)])
        // What the API returned is what is stored.
        let (_, stored) = await f.json("GET", services + "/web")
        #expect(stored["spec"]?["clusterIP"]?.stringValue == ip.description)
    }

    @Test func requestedAddressIsReservedOnceAndFreedByDelete() async throws {
        let f = try await PipelineFixture()
        let (s1, b1) = await f.json("POST", services, service("a", #"{"clusterIP":"10.96.5.5","ports":[{"port":80}]}"#))
        #expect(s1 == 201, "\(b1)")
        #expect(b1["spec"]?["clusterIP"] == "10.96.5.5")
        let (s2, b2) = await f.json("POST", services, service("b", #"{"clusterIP":"10.96.5.5","ports":[{"port":80}]}"#))
        #expect(s2 == 422)
        #expect(b2["message"]?.stringValue?.contains("provided IP is already allocated") == true, "\(b2)")
        #expect(await f.json("GET", services + "/b").0 == 404, "nothing stored")
        let (s3, b3) = await f.json("POST", services, service("c", #"{"clusterIP":"192.168.0.1","ports":[{"port":80}]}"#))
        #expect(s3 == 422)
        #expect(b3["message"]?.stringValue?.contains("not in the valid range") == true, "\(b3)")
        #expect(await f.json("DELETE", services + "/a").0 == 200)
        let (s4, _) = await f.json("POST", services, service("b", #"{"clusterIP":"10.96.5.5","ports":[{"port":80}]}"#))
        #expect(s4 == 201, "the deleted Service's address is free again")
    }

    @Test func nodePortsAreAllocatedInRangeAndConflictsRefused() async throws {
        let f = try await PipelineFixture()
        let (status, body) = await f.json("POST", services, service("np", #"{"type":"NodePort","ports":[{"name":"http","port":80},{"name":"dns","port":53,"protocol":"UDP","nodePort":30053}]}"#))
        #expect(status == 201, "\(body)")
        #expect(body["spec"]?["externalTrafficPolicy"] == "Cluster")
        let first = try #require(body["spec"]?["ports"]?[0]?["nodePort"]?.intValue)
        #expect((30000...32767).contains(first))
        #expect(body["spec"]?["ports"]?[1]?["nodePort"] == 30053)
        let (s2, b2) = await f.json("POST", services, service("np2", #"{"type":"NodePort","ports":[{"port":80,"nodePort":30053}]}"#))
        #expect(s2 == 422)
        #expect(b2["message"]?.stringValue?.contains("provided port is already allocated") == true, "\(b2)")
        let (s3, b3) = await f.json("POST", services, service("np3", #"{"type":"NodePort","ports":[{"port":80,"nodePort":80}]}"#))
        #expect(s3 == 422)
        #expect(b3["message"]?.stringValue?.contains("30000-32767") == true, "\(b3)")
        let (s4, b4) = await f.json("POST", services, service("np4", #"{"ports":[{"port":80,"nodePort":30001}]}"#))
        #expect(s4 == 422, "a ClusterIP Service may not name a node port: \(b4)")
    }

    @Test func updateKeepsAllocationsAndRefusesAddressChanges() async throws {
        let f = try await PipelineFixture()
        let (_, created) = await f.json("POST", services, service("keep", #"{"type":"NodePort","ports":[{"port":80}]}"#))
        let ip = created["spec"]?["clusterIP"]
        let nodePort = created["spec"]?["ports"]?[0]?["nodePort"]
        // A PUT without clusterIP and nodePort (what `kubectl replace` of a hand-written file sends).
        let version = created["metadata"]?["resourceVersion"]?.stringValue ?? ""
        let replaced = #"{"apiVersion":"v1","kind":"Service","metadata":{"name":"keep","resourceVersion":"\#(version)"},"spec":{"type":"NodePort","ports":[{"port":80},{"name":"b","port":81}]}}"#
        let (s1, b1) = await f.json("PUT", services + "/keep", replaced.replacingOccurrences(of: #"[{"port":80},"#, with: #"[{"name":"a","port":80},"#))
        #expect(s1 == 200, "\(b1)")
        #expect(b1["spec"]?["clusterIP"] == ip)
        #expect(b1["spec"]?["ports"]?[0]?["nodePort"] == nodePort)
        #expect(b1["spec"]?["ports"]?[1]?["nodePort"]?.intValue != nil, "a new port gets a node port")
        let (s2, b2) = await f.json("PATCH", services + "/keep", #"{"spec":{"clusterIP":"10.96.9.9","clusterIPs":["10.96.9.9"]}}"#,
                                    contentType: "application/merge-patch+json")
        #expect(s2 == 422)
        #expect(b2["message"]?.stringValue?.contains("field is immutable") == true, "\(b2)")
        // Back to ClusterIP: the node ports are dropped and released.
        let (s3, b3) = await f.json("PATCH", services + "/keep", #"{"spec":{"type":"ClusterIP"}}"#,
                                    contentType: "application/merge-patch+json")
        #expect(s3 == 200, "\(b3)")
        #expect(b3["spec"]?["ports"]?[0]?["nodePort"] == nil)
        let (s4, b4) = await f.json("POST", services, service("reuse", #"{"type":"NodePort","ports":[{"port":80,"nodePort":\#(nodePort?.intValue ?? 0)}]}"#))
        #expect(s4 == 201, "the released node port can be taken: \(b4)")
    }

    @Test func headlessAndExternalNameGetNoAddress() async throws {
        let f = try await PipelineFixture()
        let (s1, b1) = await f.json("POST", services, service("headless", #"{"clusterIP":"None","selector":{"app":"db"}}"#))
        #expect(s1 == 201, "\(b1)")
        #expect(b1["spec"]?["clusterIP"] == "None")
        #expect(b1["spec"]?["clusterIPs"] == ["None"])
        let (s2, b2) = await f.json("POST", services, service("ext", #"{"type":"ExternalName","externalName":"example.com"}"#))
        #expect(s2 == 201, "\(b2)")
        #expect(b2["spec"]?["clusterIP"] == nil)
        let (s3, b3) = await f.json("POST", services, service("ext2", #"{"type":"ExternalName"}"#))
        #expect(s3 == 422)
        #expect(b3["details"]?["causes"]?[0]?["field"] == "spec.externalName", "\(b3)")
    }

    @Test func invalidServicesAreRefusedWithEveryCause() async throws {
        let f = try await PipelineFixture()
        let (status, body) = await f.json("POST", services, service("bad", #"{"type":"Balanced","sessionAffinity":"Sticky","ports":[{"port":0,"protocol":"ICMP"},{"port":70000,"targetPort":"Not_A_Name"}]}"#))
        #expect(status == 422)
        let fields = Set((body["details"]?["causes"]?.arrayValue ?? []).compactMap { $0["field"]?.stringValue })
        for field in ["spec.type", "spec.sessionAffinity", "spec.ports[0].port", "spec.ports[0].protocol", "spec.ports[0].name",
                      "spec.ports[1].port", "spec.ports[1].targetPort"] {
            #expect(fields.contains(field), "missing cause for \(field): \(body)")
        }
        #expect(await f.json("GET", services + "/bad").0 == 404)
        let (s2, _) = await f.json("POST", services, service("noports", #"{"selector":{"app":"x"}}"#))
        #expect(s2 == 422, "a ClusterIP Service needs ports")
    }

    @Test func allocationsSurviveARestart() async throws {
        let dir = try ScratchDirectory()
        let path = dir.path + "/store.sqlite"
        let body = service("first", #"{"clusterIP":"10.96.7.7","type":"NodePort","ports":[{"port":80,"nodePort":31000}]}"#)
        do {
            let store = try SQLiteStore(path: path)
            let pipeline = RequestPipeline(resources: ResourceHandler(store: store), authenticator: InsecureAdmitAll(), authorizer: InsecureAdmitAll())
            try await pipeline.resources.createInitialNamespaces()
            let r = await pipeline.handle(APIRequest(method: "POST", uri: services, headers: ["content-type": "application/json"], body: Array(body.utf8)))
            #expect(r.status == 201)
            store.close()
        }
        let store = try SQLiteStore(path: path)
        defer { store.close() }
        let pipeline = RequestPipeline(resources: ResourceHandler(store: store), authenticator: InsecureAdmitAll(), authorizer: InsecureAdmitAll())
        let again = service("second", #"{"clusterIP":"10.96.7.7","ports":[{"port":80}]}"#)
        let r1 = await pipeline.handle(APIRequest(method: "POST", uri: services, headers: ["content-type": "application/json"], body: Array(again.utf8)))
        #expect(r1.status == 422, "the address is still taken after a restart")
        let port = service("third", #"{"type":"NodePort","ports":[{"port":80,"nodePort":31000}]}"#)
        let r2 = await pipeline.handle(APIRequest(method: "POST", uri: services, headers: ["content-type": "application/json"], body: Array(port.utf8)))
        #expect(r2.status == 422, "the node port is still taken after a restart")
    }

    @Test func concurrentCreatesNeverShareAnAddress() async throws {
        let f = try await PipelineFixture()
        let ips = await withTaskGroup(of: String?.self) { group in
            for i in 0..<40 {
                group.addTask {
                    let (_, b) = await f.json("POST", self.services, self.service("s\(i)", #"{"type":"NodePort","ports":[{"port":80}]}"#))
                    return b["spec"]?["clusterIP"]?.stringValue.map { $0 + "/" + String(b["spec"]?["ports"]?[0]?["nodePort"]?.intValue ?? -1) }
                }
            }
            var all: [String] = []
            for await ip in group { if let ip { all.append(ip) } }
            return all
        }
        #expect(ips.count == 40)
        #expect(Set(ips.map { $0.split(separator: "/")[0] }).count == 40)
        #expect(Set(ips.map { $0.split(separator: "/")[1] }).count == 40)
    }

    @Test func serviceRangeConfigurationIsChecked() throws {
        #expect(throws: ServiceAllocator.ConfigurationError.self) { try ServiceAllocator.Configuration.parse(serviceCIDRs: "10.96.0.1/12") }
        #expect(throws: ServiceAllocator.ConfigurationError.self) { try ServiceAllocator.Configuration.parse(serviceCIDRs: "10.0.0.0/8") }
        #expect(throws: ServiceAllocator.ConfigurationError.self) { try ServiceAllocator.Configuration.parse(serviceCIDRs: "10.96.0.0/12,10.97.0.0/16") }
        #expect(throws: ServiceAllocator.ConfigurationError.self) { try ServiceAllocator.Configuration.parse(serviceCIDRs: "10.96.0.0/12", nodePorts: "5-1") }
        let c = try ServiceAllocator.Configuration.parse(serviceCIDRs: "10.96.0.0/16,fd00:96::/108", nodePorts: "31000-31010")
        #expect(c.serviceCIDRs.count == 2)
        #expect(c.nodePorts == 31000...31010)
    }

    @Test func smallRangeFillsUpWithAClearError() async throws {
        let dir = try ScratchDirectory()
        let store = try SQLiteStore(path: dir.path + "/s.sqlite")
        defer { store.close() }
        let config = try ServiceAllocator.Configuration.parse(serviceCIDRs: "10.96.0.0/29")
        let pipeline = RequestPipeline(resources: ResourceHandler(store: store, services: ServiceAllocator(config)),
                                       authenticator: InsecureAdmitAll(), authorizer: InsecureAdmitAll())
        try await pipeline.resources.createInitialNamespaces()
        var statuses: [Int] = []
        // /29: hosts .1-.6, .1 reserved for the kubernetes Service: five to hand out.
        for i in 0..<6 {
            let body = service("s\(i)", #"{"ports":[{"port":80}]}"#)
            statuses.append(await pipeline.handle(APIRequest(method: "POST", uri: services, headers: ["content-type": "application/json"], body: Array(body.utf8))).status)
        }
        #expect(statuses == [201, 201, 201, 201, 201, 500])
    }
}
