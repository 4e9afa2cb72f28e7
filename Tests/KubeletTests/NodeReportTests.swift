import Foundation
import KubeAPI
import Testing
@testable import Kubelet

@Suite struct NodeReportTests {
    let facts = NodeFacts(name: "node-1", addresses: ["192.168.50.2", "fd00::2"], cpus: 2, memoryKiB: 4_000_000,
                          kernelVersion: "6.18.0", bootID: "b", machineID: "m")
    let t0 = Date(timeIntervalSince1970: 1_700_000_000)

    @Test func nodeStatusHasResourcesAddressesAndReady() {
        let s = NodeStatus.kubelet(facts, ready: true, previous: nil, now: t0)
        #expect(s.allocatable?["cpu"] == Quantity(2))
        #expect(s.allocatable?["pods"] == Quantity(110))
        #expect(s.capacity?["memory"] == Quantity(parsing: "4000000Ki"))
        #expect(s.addresses?.map(\.type) == ["InternalIP", "InternalIP", "Hostname"])
        #expect(s.address("InternalIP") == "192.168.50.2")
        #expect(s.conditions?.first?.status == "True")
        #expect(s.nodeInfo?.kernelVersion == "6.18.0")
        let later = NodeStatus.kubelet(facts, ready: true, previous: s, now: t0 + 10)
        #expect(later.conditions?.first?.lastTransitionTime == Time(t0))
        #expect(later.conditions?.first?.lastHeartbeatTime == Time(t0 + 10))
    }

    @Test func leaseRenews() {
        let first = Lease.nodeHeartbeat(node: "node-1", now: t0)
        #expect(first.metadata.namespace == "kube-node-lease")
        #expect(first.spec?.holderIdentity == "node-1")
        let next = Lease.nodeHeartbeat(node: "node-1", now: t0 + 10, previous: first)
        #expect(next.spec?.acquireTime == first.spec?.acquireTime)
        #expect(next.spec?.renewTime == MicroTime(t0 + 10))
        #expect(next.spec?.isExpired(at: MicroTime(t0 + 30)) == false)
    }

    @Test func serviceVariables() {
        var svc = Service(metadata: ObjectMeta(name: "redis-primary", namespace: "shop"))
        var spec = ServiceSpec()
        spec.clusterIP = "10.96.0.11"
        var port = ServicePort()
        port.name = "redis"
        port.port = 6379
        spec.ports = [port]
        svc.spec = spec
        var other = svc
        other.metadata.namespace = "elsewhere"
        var pod = Pod(metadata: ObjectMeta(name: "p", namespace: "shop"))
        pod.spec = PodSpec()
        let vars = Dictionary(uniqueKeysWithValues: ServiceEnvironment.variables(for: pod, services: [svc, other]))
        #expect(vars == [
            "REDIS_PRIMARY_SERVICE_HOST": "10.96.0.11", "REDIS_PRIMARY_SERVICE_PORT": "6379",
            "REDIS_PRIMARY_SERVICE_PORT_REDIS": "6379", "REDIS_PRIMARY_PORT": "tcp://10.96.0.11:6379",
            "REDIS_PRIMARY_PORT_6379_TCP": "tcp://10.96.0.11:6379", "REDIS_PRIMARY_PORT_6379_TCP_PROTO": "tcp",
            "REDIS_PRIMARY_PORT_6379_TCP_PORT": "6379", "REDIS_PRIMARY_PORT_6379_TCP_ADDR": "10.96.0.11",
        ])
        pod.spec?.enableServiceLinks = false
        #expect(ServiceEnvironment.variables(for: pod, services: [svc]).isEmpty)
    }
}
