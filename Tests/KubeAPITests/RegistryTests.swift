import KubeAPI
import Testing

@Suite("Resource registry and URLs")
struct RegistryTests {
    let registry = ResourceRegistry.builtin

    @Test(arguments: [
        (Pod.resource, "v1", "pods", true, "PodList"),
        (Service.resource, "v1", "services", true, "ServiceList"),
        (Node.resource, "v1", "nodes", false, "NodeList"),
        (Namespace.resource, "v1", "namespaces", false, "NamespaceList"),
        (EndpointSlice.resource, "discovery.k8s.io/v1", "endpointslices", true, "EndpointSliceList"),
        (NetworkPolicy.resource, "networking.k8s.io/v1", "networkpolicies", true, "NetworkPolicyList"),
        (Deployment.resource, "apps/v1", "deployments", true, "DeploymentList"),
        (Lease.resource, "coordination.k8s.io/v1", "leases", true, "LeaseList"),
        (ClusterRoleBinding.resource, "rbac.authorization.k8s.io/v1", "clusterrolebindings", false, "ClusterRoleBindingList"),
        (PriorityClass.resource, "scheduling.k8s.io/v1", "priorityclasses", false, "PriorityClassList"),
        (ClusterNetworkPolicy.resource, "policy.networking.k8s.io/v1alpha2", "clusternetworkpolicies", false,
         "ClusterNetworkPolicyList"),
    ])
    func entries(_ info: ResourceInfo, _ apiVersion: String, _ resource: String, _ namespaced: Bool, _ listKind: String) {
        #expect(info.apiVersion == apiVersion)
        #expect(info.resource == resource)
        #expect(info.namespaced == namespaced)
        #expect(info.listKind == listKind)
        #expect(registry.lookup(apiVersion: apiVersion, kind: info.kind) == info)
        #expect(registry.lookup(group: info.group, resource: resource) == info)
    }

    @Test func everyBuiltinKindIsRegisteredOnce() {
        #expect(registry.all.count == 20)
        #expect(Set(registry.all.map(\.kind)).count == 20)
        #expect(registry.groupVersions.first! == ("", "v1"))
        #expect(registry.resources(group: "apps", version: "v1").map(\.kind) == ["Deployment", "ReplicaSet", "DaemonSet"])
    }

    @Test(arguments: [
        ("po", "pods"), ("svc", "services"), ("deploy", "deployments"), ("netpol", "networkpolicies"),
        ("cnp", "clusternetworkpolicies"), ("ns", "namespaces"), ("Pod", "pods"), ("deployment", "deployments"),
        ("deployments.apps", "deployments"), ("endpointslices", "endpointslices"),
    ])
    func kubectlNames(_ name: String, _ resource: String) {
        #expect(registry.lookup(name: name)?.resource == resource)
    }

    @Test func paths() {
        #expect(Pod.resource.collectionPath(namespace: "shop") == "/api/v1/namespaces/shop/pods")
        #expect(Pod.resource.collectionPath() == "/api/v1/pods")
        #expect(Pod.resource.itemPath(name: "web", namespace: "shop", subresource: "status")
                == "/api/v1/namespaces/shop/pods/web/status")
        #expect(Node.resource.collectionPath(namespace: "ignored") == "/api/v1/nodes")
        #expect(Node.resource.itemPath(name: "node-2") == "/api/v1/nodes/node-2")
        #expect(EndpointSlice.resource.collectionPath(namespace: "shop")
                == "/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices")
        #expect(ClusterNetworkPolicy.resource.itemPath(name: "x")
                == "/apis/policy.networking.k8s.io/v1alpha2/clusternetworkpolicies/x")
        #expect(Deployment.resource.groupVersionPath == "/apis/apps/v1")
    }

    @Test(arguments: [
        ("/api/v1/namespaces/shop/pods", "pods", "shop", nil, nil),
        ("/api/v1/namespaces/shop/pods/web/status", "pods", "shop", "web", "status"),
        ("/api/v1/pods", "pods", nil, nil, nil),
        ("/api/v1/nodes/node-2", "nodes", nil, "node-2", nil),
        ("/api/v1/namespaces/shop", "namespaces", nil, "shop", nil),
        ("/api/v1/namespaces", "namespaces", nil, nil, nil),
        ("/api/v1/namespaces/shop/finalize", "namespaces", nil, "shop", "finalize"),
        ("/apis/apps/v1/namespaces/shop/deployments/web/scale", "deployments", "shop", "web", "scale"),
        ("/apis/discovery.k8s.io/v1/endpointslices", "endpointslices", nil, nil, nil),
    ] as [(String, String, String?, String?, String?)])
    func routes(_ path: String, _ resource: String, _ namespace: String?, _ name: String?, _ subresource: String?) throws {
        let route = try #require(registry.route(path: path))
        #expect(route.resource.resource == resource)
        #expect(route.namespace == namespace)
        #expect(route.name == name)
        #expect(route.subresource == subresource)
    }

    @Test(arguments: ["/api", "/api/v2/pods", "/apis/apps/v2/deployments", "/apis/apps/v1/pods",
                      "/api/v1/namespaces/shop/nodes", "/api/v1/widgets", "/api/v1/namespaces/shop/bogus", "/healthz", "/api/v1/pods/a/b/c"])
    func unroutable(_ path: String) {
        #expect(registry.route(path: path) == nil)
    }
}

@Suite("Discovery documents")
struct DiscoveryTests {
    @Test func groupsAndResources() throws {
        let groups = Discovery.groupList(.builtin)
        let names = groups["groups"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
        #expect(names == ["discovery.k8s.io", "networking.k8s.io", "apps", "coordination.k8s.io",
                          "rbac.authorization.k8s.io", "scheduling.k8s.io", "policy.networking.k8s.io"])
        #expect(groups["groups"]?.arrayValue?[2]["preferredVersion"] == ["groupVersion": "apps/v1", "version": "v1"])

        let core = Discovery.resourceList(.builtin, group: "", version: "v1")
        #expect(core["groupVersion"] == "v1")
        let pods = try #require(core["resources"]?.arrayValue?.first { $0["name"] == "pods" })
        #expect(pods["namespaced"] == true)
        #expect(pods["kind"] == "Pod")
        #expect(pods["shortNames"] == ["po"])
        #expect(core["resources"]?.arrayValue?.contains { $0["name"] == "pods/status" } == true)
        let nodes = try #require(core["resources"]?.arrayValue?.first { $0["name"] == "nodes" })
        #expect(nodes["namespaced"] == false)

        let apps = Discovery.resourceList(.builtin, group: "apps", version: "v1")
        #expect(apps["groupVersion"] == "apps/v1")
        #expect(apps["resources"]?.arrayValue?.first { $0["name"] == "deployments/scale" }?["kind"] == "Scale")
        #expect(Discovery.coreVersions()["versions"] == ["v1"])
    }
}
