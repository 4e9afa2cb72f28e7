import Controllers
import KubeAPI
import NetAddr
import Testing

/// The EndpointSlice controller's rules, one case each.
@Suite struct EndpointSliceReconcilerTests {
    func service(_ name: String = "web", ports: [(String, Int32, IntOrString?)] = [("http", 80, .int(8080))],
                 selector: [String: String]? = ["app": "web"], headless: Bool = false, publish: Bool = false) -> Service {
        var s = Service(metadata: ObjectMeta(name: name, namespace: "ns", labels: ["team": "a"]))
        s.metadata.uid = "svc-uid"
        var spec = ServiceSpec()
        spec.selector = selector
        spec.ports = ports.map { p in var sp = ServicePort(); sp.name = p.0; sp.port = p.1; sp.targetPort = p.2; sp.protocol = "TCP"; return sp }
        spec.clusterIP = headless ? "None" : "10.96.0.10"
        spec.ipFamilies = ["IPv4"]
        spec.publishNotReadyAddresses = publish
        s.spec = spec
        return s
    }

    func pod(_ name: String, ip: String?, ready: Bool = true, labels: [String: String] = ["app": "web"], node: String = "n1",
             terminating: Bool = false, phase: String = "Running", namedPort: Int32? = nil, hostname: String? = nil, subdomain: String? = nil) -> Pod {
        var p = Pod(metadata: ObjectMeta(name: name, namespace: "ns", labels: labels))
        p.metadata.uid = name + "-uid"
        if terminating { p.metadata.deletionTimestamp = Time(secondsSince1970: 1) }
        var spec = PodSpec()
        spec.nodeName = node
        spec.hostname = hostname
        spec.subdomain = subdomain
        var c = Container()
        c.name = "c"
        if let namedPort { var cp = ContainerPort(); cp.name = "http"; cp.containerPort = namedPort; c.ports = [cp] }
        spec.containers = [c]
        p.spec = spec
        var status = PodStatus()
        status.phase = phase
        if let ip { var pip = PodIP(); pip.ip = ip; status.podIPs = [pip]; status.podIP = ip }
        var cond = PodCondition(); cond.type = "Ready"; cond.status = ready ? "True" : "False"
        status.conditions = [cond]
        p.status = status
        return p
    }

    let r = EndpointSliceReconciler()

    @Test func selectedPodsBecomeEndpointsWithConditionsAndRefs() {
        let plan = r.reconcile(service: service(), pods: [pod("a", ip: "10.0.0.1"), pod("b", ip: "10.0.0.2", ready: false),
                                                          pod("c", ip: "10.0.0.3", terminating: true),
                                                          pod("other", ip: "10.0.0.9", labels: ["app": "db"]),
                                                          pod("noip", ip: nil), pod("done", ip: "10.0.0.8", phase: "Succeeded")],
                               existing: [], zones: ["n1": "z1"])
        #expect(plan.creates.count == 1)
        let slice = plan.creates[0]
        #expect(slice.addressType == "IPv4")
        #expect(slice.metadata.generateName == "web-")
        #expect(slice.metadata.labels?["kubernetes.io/service-name"] == "web")
        #expect(slice.metadata.labels?["endpointslice.kubernetes.io/managed-by"] == "endpointslice-controller.k8s.io")
        #expect(slice.metadata.labels?["team"] == "a", "the Service's labels are copied")
        #expect(slice.metadata.ownerReferences?.first?.uid == "svc-uid")
        #expect(slice.ports == [EndpointPort(name: "http", protocol: "TCP", port: 8080)])
        let byName = Dictionary(uniqueKeysWithValues: (slice.endpoints ?? []).map { ($0.targetRef?.name ?? "", $0) })
        #expect(Set(byName.keys) == ["a", "b", "c"])
        #expect(byName["a"]?.conditions == EndpointConditions(ready: true, serving: true, terminating: false))
        #expect(byName["b"]?.conditions == EndpointConditions(ready: false, serving: false, terminating: false))
        #expect(byName["c"]?.conditions == EndpointConditions(ready: false, serving: true, terminating: true), "terminating but still serving")
        #expect(byName["a"]?.nodeName == "n1")
        #expect(byName["a"]?.zone == "z1")
        #expect(byName["a"]?.targetRef?.kind == "Pod")
    }

    @Test func publishNotReadyAddressesMarksEveryEndpointReady() {
        let plan = r.reconcile(service: service(publish: true), pods: [pod("b", ip: "10.0.0.2", ready: false)], existing: [])
        #expect(plan.creates.first?.endpoints?.first?.conditions?.ready == true)
    }

    @Test func namedTargetPortsResolvePerPodAndSplitSlices() {
        let svc = service(ports: [("http", 80, .string("http"))])
        let plan = r.reconcile(service: svc, pods: [pod("a", ip: "10.0.0.1", namedPort: 8080), pod("b", ip: "10.0.0.2", namedPort: 9090),
                                                      pod("c", ip: "10.0.0.3", namedPort: 8080), pod("d", ip: "10.0.0.4")], existing: [])
        #expect(plan.creates.count == 3, "8080, 9090, and d with no such port")
        let ports = Set(plan.creates.map { $0.ports?.first?.port ?? 0 })
        #expect(ports == [8080, 9090, 0])
        #expect(plan.creates.first { $0.ports?.first?.port == 8080 }?.endpoints?.count == 2)
    }

    @Test func hostnameOnlyWhenTheSubdomainNamesTheService() {
        let plan = r.reconcile(service: service(headless: true), pods: [pod("a", ip: "10.0.0.1", hostname: "h1", subdomain: "web"),
                                                                        pod("b", ip: "10.0.0.2", hostname: "h2", subdomain: "other")], existing: [])
        let endpoints = plan.creates.first?.endpoints ?? []
        #expect(endpoints.first { $0.targetRef?.name == "a" }?.hostname == "h1")
        #expect(endpoints.first { $0.targetRef?.name == "b" }?.hostname == nil)
        #expect(plan.creates.first?.metadata.labels?["service.kubernetes.io/headless"] == "")
    }

    @Test func atMostAHundredPerSliceAndEndpointsStayPut() {
        let pods = (0..<250).map { pod("p\($0)", ip: "10.0.\($0 / 200).\($0 % 200 + 1)") }
        let plan = r.reconcile(service: service(), pods: pods, existing: [])
        #expect(plan.creates.map { $0.endpoints?.count ?? 0 }.sorted() == [50, 100, 100])
        // The server names them; now delete 10 pods from the first slice and add 5 new ones.
        var existing = plan.creates
        for i in existing.indices { existing[i].metadata.name = "web-\(i)" }
        let first = Set((existing[0].endpoints ?? []).prefix(10).compactMap { $0.targetRef?.name })
        let newPods = pods.filter { !first.contains($0.name) } + (0..<5).map { pod("new\($0)", ip: "10.1.0.\($0 + 1)") }
        let next = r.reconcile(service: service(), pods: newPods, existing: existing)
        #expect(next.creates.isEmpty, "new endpoints fill free room")
        #expect(next.deletes.isEmpty)
        let updatedNames = Set(next.updates.compactMap(\.metadata.name))
        #expect(updatedNames.contains("web-0"))
        // Every endpoint that existed before is still in the slice it was in.
        for slice in existing {
            let after = next.updates.first { $0.metadata.name == slice.metadata.name } ?? slice
            let kept = Set((slice.endpoints ?? []).compactMap { $0.targetRef?.name }).subtracting(first)
            #expect(kept.isSubset(of: Set((after.endpoints ?? []).compactMap { $0.targetRef?.name })))
        }
        #expect(next.updates.allSatisfy { ($0.endpoints?.count ?? 0) <= 100 })
        // Unchanged input: nothing to do.
        var settled = existing
        for u in next.updates { if let i = settled.firstIndex(where: { $0.metadata.name == u.metadata.name }) { settled[i] = u } }
        #expect(r.reconcile(service: service(), pods: newPods, existing: settled).isEmpty)
    }

    @Test func noEndpointsLeavesOnePlaceholderAndForeignSlicesAreIgnored() {
        var foreign = EndpointSlice(metadata: ObjectMeta(name: "manual", namespace: "ns", labels: ["kubernetes.io/service-name": "web"]))
        foreign.addressType = "IPv4"
        let plan = r.reconcile(service: service(), pods: [], existing: [foreign])
        #expect(plan.creates.count == 1)
        #expect(plan.creates[0].endpoints == [])
        #expect(plan.deletes.isEmpty, "a slice managed by someone else is left alone")
        var placeholder = plan.creates[0]
        placeholder.metadata.name = "web-x"
        #expect(r.reconcile(service: service(), pods: [], existing: [placeholder]).isEmpty)
        // Pods arrive: the placeholder goes, a real slice comes.
        let filled = r.reconcile(service: service(), pods: [pod("a", ip: "10.0.0.1")], existing: [placeholder])
        #expect(filled.creates.count == 1)
        #expect(filled.deletes == ["web-x"])
    }

    @Test func serviceWithoutSelectorIsNotManaged() {
        var mine = EndpointSliceReconciler().reconcile(service: service(), pods: [pod("a", ip: "10.0.0.1")], existing: []).creates[0]
        mine.metadata.name = "web-1"
        let plan = r.reconcile(service: service(selector: nil), pods: [pod("a", ip: "10.0.0.1")], existing: [mine])
        #expect(plan.creates.isEmpty)
        #expect(plan.deletes == ["web-1"])
    }

    @Test func dualStackServiceGetsASlicePerFamily() {
        var svc = service()
        svc.spec?.ipFamilies = ["IPv4", "IPv6"]
        var p = pod("a", ip: "10.0.0.1")
        var v6 = PodIP(); v6.ip = "fd00::1"
        p.status?.podIPs?.append(v6)
        let plan = r.reconcile(service: svc, pods: [p], existing: [])
        #expect(Set(plan.creates.map(\.addressType)) == ["IPv4", "IPv6"])
        #expect(plan.creates.first { $0.addressType == "IPv6" }?.endpoints?.first?.addresses == ["fd00::1"])
    }
}

@Suite struct NodeCIDRAllocatorTests {
    func node(_ name: String, _ cidrs: [String] = []) -> Node {
        var n = Node(metadata: ObjectMeta(name: name))
        var spec = NodeSpec()
        if !cidrs.isEmpty { spec.podCIDRs = cidrs; spec.podCIDR = cidrs[0] }
        n.spec = spec
        return n
    }

    @Test func assignsLowestFreeSubnetsPerFamilyAndKeepsExisting() throws {
        let a = try NodeCIDRAllocator(clusterCIDRs: [IPPrefix("10.244.0.0/16")!, IPPrefix("fd00:10::/56")!])
        let (assignments, failures) = a.assign([node("b"), node("a", ["10.244.0.0/24", "fd00:10::/64"]), node("c")])
        #expect(failures.isEmpty)
        #expect(assignments["a"] == nil, "already assigned")
        #expect(assignments["b"] == ["10.244.1.0/24", "fd00:10:0:1::/64"])
        #expect(assignments["c"] == ["10.244.2.0/24", "fd00:10:0:2::/64"])
    }

    @Test func fullRangeIsReportedPerNode() throws {
        let a = try NodeCIDRAllocator(clusterCIDRs: [IPPrefix("10.0.0.0/23")!])
        let (assignments, failures) = a.assign([node("a"), node("b"), node("c")])
        #expect(assignments == ["a": ["10.0.0.0/24"], "b": ["10.0.1.0/24"]])
        #expect(failures["c"] == .full(IPPrefix("10.0.0.0/23")!))
    }

    @Test func badConfigurationIsRefused() {
        #expect(throws: NodeCIDRAllocator.ConfigurationError.self) { try NodeCIDRAllocator(clusterCIDRs: []) }
        #expect(throws: NodeCIDRAllocator.ConfigurationError.self) { try NodeCIDRAllocator(clusterCIDRs: [IPPrefix("10.0.0.1/16")!]) }
        #expect(throws: NodeCIDRAllocator.ConfigurationError.self) { try NodeCIDRAllocator(clusterCIDRs: [IPPrefix("10.0.0.0/16")!, IPPrefix("10.1.0.0/16")!]) }
        #expect(throws: NodeCIDRAllocator.ConfigurationError.self) { try NodeCIDRAllocator(clusterCIDRs: [IPPrefix("10.0.0.0/24")!], nodeMaskSizes: [16]) }
    }
}
