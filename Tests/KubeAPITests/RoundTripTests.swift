import Foundation
import KubeAPI
import Testing

@Suite("Round trips of kube-apiserver JSON")
struct RoundTripTests {
    @Test("decode -> encode -> decode is equal, and the JSON is the same modulo key order",
          arguments: KindFixture.all)
    func roundTrip(_ fixture: KindFixture) throws {
        let data = try Fixture.data(fixture.file)
        let result = try fixture.decodeEncode(data)
        #expect(result.again)
        #expect(try JSONValue(json: result.encoded) == JSONValue(json: data))
    }

    @Test("an unknown key in every object of the tree survives", arguments: KindFixture.all)
    func unknownEverywhere(_ fixture: KindFixture) throws {
        // "1" is valid wherever a map value sits too (labels, quantities), so it goes everywhere.
        let injected = try Fixture.json(fixture.file).injecting("zzFutureField", "1")
        let data = try JSONEncoder().encode(injected)
        let result = try fixture.decodeEncode(data)
        #expect(result.again)
        #expect(try JSONValue(json: result.encoded) == injected)
    }

    @Test func unknownFieldsAtTopLevelSpecAndListElementSurviveAnUpdate() throws {
        var json = try Fixture.json("service.json").objectValue!
        let future: JSONValue = ["nested": ["a": [1, 2.5, nil, true, "x"]], "n": -7]
        json["futureTopLevel"] = future
        var spec = json["spec"]!.objectValue!
        spec["futureSpecField"] = ["enabled": true]
        var ports = spec["ports"]!.arrayValue!
        var port0 = ports[0].objectValue!
        port0["futurePortField"] = "quic"
        ports[0] = .object(port0)
        spec["ports"] = .array(ports)
        json["spec"] = .object(spec)

        var service = try JSONValue.object(json).decode(as: Service.self)
        #expect(service.unknownFields["futureTopLevel"] == future)
        #expect(service.spec?.unknownFields["futureSpecField"] == ["enabled": true])
        #expect(service.spec?.ports?[0].unknownFields["futurePortField"] == "quic")

        // A client changes a known field and writes the object back: nothing is lost.
        service.spec?.clusterIP = "10.96.14.8"
        service.spec?.clusterIPs = ["10.96.14.8"]
        let written = try JSONValue(encoding: service)
        #expect(written["futureTopLevel"] == future)
        #expect(written["spec"]?["futureSpecField"] == ["enabled": true])
        #expect(written["spec"]?["ports"]?.arrayValue?[0]["futurePortField"] == "quic")
        #expect(written["spec"]?["clusterIP"] == "10.96.14.8")
    }

    @Test func explicitNullIsKeptUntilTheFieldIsSet() throws {
        var deployment = try Fixture.decode(Deployment.self, "deployment.json")
        #expect(deployment.spec?.template.metadata?.creationTimestamp == nil)
        var written = try JSONValue(encoding: deployment)
        #expect(written["spec"]?["template"]?["metadata"]?["creationTimestamp"] == .null)
        deployment.spec?.template.metadata?.creationTimestamp = Time(secondsSince1970: 0)
        written = try JSONValue(encoding: deployment)
        #expect(written["spec"]?["template"]?["metadata"]?["creationTimestamp"] == "1970-01-01T00:00:00Z")
    }

    @Test func absentKeysStayAbsent() throws {
        let pod = try JSONDecoder().decode(Pod.self, from: Data(#"{"metadata":{"name":"a"}}"#.utf8))
        #expect(try JSONValue(encoding: pod) == ["metadata": ["name": "a"]])
        var container = Container(name: "c", image: "i")
        container.ports = [ContainerPort(containerPort: 80)]
        #expect(try JSONValue(encoding: container) == ["name": "c", "image": "i", "ports": [["containerPort": 80]]])
    }

    @Test func podFieldsForSchedulerAndKubelet() throws {
        let pod = try Fixture.decode(Pod.self, "pod.json")
        let spec = try #require(pod.spec)
        #expect(spec.containers[0].ports?[0].name == "http")
        #expect(spec.containers[0].livenessProbe?.httpGet?.port == "http")
        #expect(spec.containers[0].readinessProbe?.tcpSocket?.port == 8080)
        #expect(spec.containers[0].startupProbe?.exec?.command == ["/bin/web", "check"])
        #expect(spec.effectiveRequests["cpu"] == "250m")
        #expect(spec.effectiveRequests["memory"] == "256Mi")
        #expect(spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?[0].topologyKey
                == "kubernetes.io/hostname")
        let nodeSelector = try #require(spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution)
        #expect(nodeSelector.matches(labels: ["topology.kubernetes.io/zone": "zone-b"]))
        #expect(!nodeSelector.matches(labels: ["topology.kubernetes.io/zone": "zone-c"]))
        let node = try Fixture.decode(Node.self, "node.json")
        let taint = try #require(node.spec?.taints?.first)
        #expect(spec.tolerations?.contains { $0.tolerates(taint) } == true)
        #expect(pod.status?.isReady == true)
        #expect(pod.status?.podIPs?.map(\.ip) == ["10.244.2.17", "fd00:10:244:2::11"])
        #expect(pod.status?.containerStatuses?[0].lastState?.terminated?.exitCode == 137)
        #expect(pod.metadata.controllerRef?.kind == "ReplicaSet")
        #expect(pod.metadata.creationTimestamp?.description == "2026-05-01T10:00:00Z")
        #expect(node.status?.allocatable?["cpu"] == "3.8")
        #expect(node.isReady)
    }

    @Test func endpointSliceConditionsAndHints() throws {
        let slice = try Fixture.decode(EndpointSlice.self, "endpointslice.json")
        #expect(slice.serviceName == "web")
        let endpoints = try #require(slice.endpoints)
        #expect(endpoints[0].hints?.forZones?.map(\.name) == ["zone-a"])
        #expect(endpoints[0].hints?.forNodes?.map(\.name) == ["node-2"])
        #expect(endpoints[1].conditions == EndpointConditions(ready: false, serving: true, terminating: true))
        // `conditions: {}` means every condition is unknown, which is not the same as absent.
        #expect(endpoints[2].conditions == EndpointConditions(ready: nil))
    }

    @Test func leaseMicroTime() throws {
        let lease = try Fixture.decode(Lease.self, "lease.json")
        let renew = try #require(lease.spec?.renewTime)
        #expect(renew.description == "2026-05-01T10:00:07.123456Z")
        #expect(lease.spec?.isExpired(at: MicroTime(microsecondsSince1970: renew.microsecondsSince1970 + 14_000_000)) == false)
        #expect(lease.spec?.isExpired(at: MicroTime(microsecondsSince1970: renew.microsecondsSince1970 + 16_000_000)) == true)
    }

    @Test func listsStatusAndWatchEvents() throws {
        let service = try Fixture.decode(Service.self, "service.json")
        let list = KubeList(items: [service], resourceVersion: "90300", continue: "tok")
        let json = try JSONValue(encoding: list)
        #expect(json["kind"] == "ServiceList")
        #expect(json["apiVersion"] == "v1")
        #expect(json["metadata"] == ["resourceVersion": "90300", "continue": "tok"])
        #expect(try json.decode(as: KubeList<Service>.self) == list)

        let added = #"{"type":"ADDED","object":{"kind":"Service","apiVersion":"v1","metadata":{"name":"web"}}}"#
        let event = try JSONDecoder().decode(WatchEvent<Service>.self, from: Data(added.utf8))
        #expect(event.type == .added)
        #expect(event.object?.name == "web")

        let error = #"{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 1 (90211)","reason":"Expired","code":410}}"#
        let errorEvent = try JSONDecoder().decode(WatchEvent<Service>.self, from: Data(error.utf8))
        #expect(errorEvent.type == .error)
        #expect(errorEvent.status?.code == 410)
        #expect(errorEvent.status?.reason == "Expired")
        #expect(try JSONValue(encoding: errorEvent) == JSONValue(json: Data(error.utf8)))

        let notFound = Status.notFound(Deployment.resource, name: "web")
        #expect(notFound.message == "deployments.apps \"web\" not found")
        #expect(try JSONValue(encoding: notFound) == [
            "kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Failure",
            "message": "deployments.apps \"web\" not found", "reason": "NotFound",
            "details": ["name": "web", "group": "apps", "kind": "deployments"], "code": 404,
        ])
        let invalid = Status.invalid(Pod.resource, name: "Web", causes: [
            StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \"Web\": a lowercase ...", field: "metadata.name"),
        ])
        #expect(invalid.code == 422)
        #expect(invalid.message == "Pod \"Web\" is invalid: metadata.name: Invalid value: \"Web\": a lowercase ...")
    }

    @Test func typeMetaPeek() throws {
        let meta = try JSONDecoder().decode(TypeMeta.self, from: Fixture.data("clusternetworkpolicy.json"))
        #expect(meta == TypeMeta(apiVersion: "policy.networking.k8s.io/v1alpha2", kind: "ClusterNetworkPolicy"))
        #expect(ResourceRegistry.builtin.lookup(apiVersion: meta.apiVersion!, kind: meta.kind!)?.resource
                == "clusternetworkpolicies")
    }

    @Test(arguments: [
        ("2026-05-01T10:00:00Z", Int64(1_777_629_600)),
        ("1970-01-01T00:00:00Z", 0),
        ("2026-05-01T12:00:00+02:00", 1_777_629_600),
        ("2000-02-29T23:59:59Z", 951_868_799),
        ("1969-12-31T23:59:59Z", -1),
    ])
    func timeParse(_ text: String, _ seconds: Int64) throws {
        let time = try #require(Time(rfc3339: text))
        #expect(time.secondsSince1970 == seconds)
        #expect(Time(rfc3339: time.description) == time)
    }

    @Test(arguments: ["", "2026-05-01", "2026-13-01T00:00:00Z", "2026-05-01T10:00:00", "2026-05-01T10:00:00Zjunk"])
    func timeRejects(_ text: String) {
        #expect(Time(rfc3339: text) == nil)
    }
}
