import APIServer
import Foundation
import KubeAPI
import Testing
import TestSupport

/// `pods/binding`, `scale`, graceful pod deletion and finalizers.
@Suite struct SubresourceTests {
    let pods = "/api/v1/namespaces/default/pods"

    func pod(_ name: String, node: String? = nil, grace: Int? = nil, finalizers: [String] = []) -> String {
        var spec = #""containers":[{"name":"c","image":"busybox"}]"#
        if let node { spec += #","nodeName":"\#(node)""# }
        if let grace { spec += #","terminationGracePeriodSeconds":\#(grace)"# }
        let fin = finalizers.isEmpty ? "" : #","finalizers":[\#(finalizers.map { "\"\($0)\"" }.joined(separator: ","))]"#
        return #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"\#(name)"\#(fin)},"spec":{\#(spec)}}"#
    }

    @Test func bindingSetsTheNodeOnceWithACondition() async throws {
        let f = try await PipelineFixture()
        #expect(await f.json("POST", pods, pod("p")).0 == 201)
        let binding = #"{"apiVersion":"v1","kind":"Binding","metadata":{"name":"p"},"target":{"kind":"Node","name":"node-1"}}"#
        let (s1, b1) = await f.json("POST", pods + "/p/binding", binding)
        #expect(s1 == 201, "\(b1)")
        let (_, got) = await f.json("GET", pods + "/p")
        #expect(got[path: "spec.nodeName"] == "node-1")
        let condition = got[path: "status.conditions"]?.arrayValue?.first { $0["type"] == "PodScheduled" }
        #expect(condition?["status"] == "True")
        let (s2, b2) = await f.json("POST", pods + "/p/binding", binding.replacingOccurrences(of: "node-1", with: "node-2"))
        #expect(s2 == 409)
        #expect(b2["message"]?.stringValue?.contains("already assigned to node \"node-1\"") == true, "\(b2)")
        #expect(await f.json("POST", pods + "/missing/binding", binding.replacingOccurrences(of: "\"p\"", with: "\"missing\"")).0 == 404)
        let (s3, _) = await f.json("POST", pods + "/p/binding", #"{"kind":"Binding","target":{"kind":"Node"}}"#)
        #expect(s3 == 422)
        #expect(await f.send("GET", pods + "/p/binding").status == 405)
    }

    @Test func scaleSubresourceReadsAndWritesReplicas() async throws {
        let f = try await PipelineFixture()
        let deployments = "/apis/apps/v1/namespaces/default/deployments"
        let body = #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"replicas":2,"selector":{"matchLabels":{"app":"d"}},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"name":"c","image":"x"}]}}}}"#
        #expect(await f.json("POST", deployments, body).0 == 201)
        let (s1, scale) = await f.json("GET", deployments + "/d/scale")
        #expect(s1 == 200)
        #expect(scale["kind"] == "Scale")
        #expect(scale["apiVersion"] == "autoscaling/v1")
        #expect(scale[path: "spec.replicas"] == 2)
        #expect(scale[path: "status.selector"] == "app=d")
        let (s2, patched) = await f.json("PATCH", deployments + "/d/scale", #"{"spec":{"replicas":4}}"#, contentType: "application/merge-patch+json")
        #expect(s2 == 200, "\(patched)")
        #expect(patched[path: "spec.replicas"] == 4)
        let (_, d) = await f.json("GET", deployments + "/d")
        #expect(d[path: "spec.replicas"] == 4)
        #expect(d[path: "metadata.generation"] == 2)
        let version = d[path: "metadata.resourceVersion"]?.stringValue ?? ""
        let put = #"{"apiVersion":"autoscaling/v1","kind":"Scale","metadata":{"name":"d","resourceVersion":"\#(version)"},"spec":{"replicas":1}}"#
        #expect(await f.json("PUT", deployments + "/d/scale", put).0 == 200)
        #expect(await f.json("PUT", deployments + "/d/scale", put).0 == 409, "a stale resourceVersion conflicts")
        #expect(await f.json("PATCH", deployments + "/d/scale", #"{"spec":{"replicas":-1}}"#, contentType: "application/merge-patch+json").0 == 422)
        #expect(await f.json("GET", deployments + "/d").1[path: "spec.replicas"] == 1)
        #expect(await f.send("GET", "/apis/apps/v1/namespaces/default/daemonsets/x/scale").status == 404, "DaemonSets have no scale")
    }

    @Test func boundPodsAreDeletedGracefully() async throws {
        let f = try await PipelineFixture()
        #expect(await f.json("POST", pods, pod("unbound")).0 == 201)
        #expect(await f.json("DELETE", pods + "/unbound").0 == 200)
        #expect(await f.json("GET", pods + "/unbound").0 == 404, "an unscheduled pod goes at once")

        #expect(await f.json("POST", pods, pod("running", node: "n1", grace: 45)).0 == 201)
        let (s1, marked) = await f.json("DELETE", pods + "/running")
        #expect(s1 == 200)
        #expect(marked[path: "metadata.deletionGracePeriodSeconds"] == 45)
        let (s2, still) = await f.json("GET", pods + "/running")
        #expect(s2 == 200)
        #expect(still[path: "metadata.deletionTimestamp"]?.stringValue != nil)
        // A second delete may shorten the grace period; the kubelet's grace-0 delete removes it.
        let (_, shorter) = await f.json("DELETE", pods + "/running", #"{"gracePeriodSeconds":10}"#)
        #expect(shorter[path: "metadata.deletionGracePeriodSeconds"] == 10)
        let (_, longer) = await f.json("DELETE", pods + "/running", #"{"gracePeriodSeconds":100}"#)
        #expect(longer[path: "metadata.deletionGracePeriodSeconds"] == 10)
        #expect(await f.json("DELETE", pods + "/running?gracePeriodSeconds=0").0 == 200)
        #expect(await f.json("GET", pods + "/running").0 == 404)
        // Binding a pod that is being deleted is refused.
        #expect(await f.json("POST", pods, pod("doomed", finalizers: ["example.com/hold"])).0 == 201)
        _ = await f.json("DELETE", pods + "/doomed")
        let binding = #"{"kind":"Binding","target":{"kind":"Node","name":"n1"}}"#
        #expect(await f.json("POST", pods + "/doomed/binding", binding).0 == 409)
    }

    @Test func finalizersHoldDeletionUntilRemoved() async throws {
        let f = try await PipelineFixture()
        let maps = "/api/v1/namespaces/default/configmaps"
        #expect(await f.json("POST", maps, #"{"metadata":{"name":"held","finalizers":["example.com/a","example.com/b"]},"data":{"k":"v"}}"#).0 == 201)
        let (s1, marked) = await f.json("DELETE", maps + "/held")
        #expect(s1 == 200)
        #expect(marked[path: "metadata.deletionTimestamp"]?.stringValue != nil)
        #expect(await f.json("GET", maps + "/held").0 == 200, "held by finalizers")
        let (s2, _) = await f.json("PATCH", maps + "/held", #"{"metadata":{"finalizers":["example.com/b"]}}"#, contentType: "application/merge-patch+json")
        #expect(s2 == 200)
        #expect(await f.json("GET", maps + "/held").0 == 200, "one finalizer left")
        let (s3, _) = await f.json("PATCH", maps + "/held", #"{"metadata":{"finalizers":null}}"#, contentType: "application/merge-patch+json")
        #expect(s3 == 200)
        #expect(await f.json("GET", maps + "/held").0 == 404, "removing the last finalizer completes the deletion")
    }

    @Test func deletingANamespaceDeletesItsContent() async throws {
        let f = try await PipelineFixture()
        #expect(await f.json("POST", "/api/v1/namespaces", #"{"metadata":{"name":"doomed"}}"#).0 == 201)
        let base = "/api/v1/namespaces/doomed"
        #expect(await f.json("POST", base + "/configmaps", #"{"metadata":{"name":"c"}}"#).0 == 201)
        #expect(await f.json("POST", base + "/pods", pod("free")).0 == 201)
        #expect(await f.json("POST", base + "/pods", pod("bound", node: "n1")).0 == 201)
        let (status, body) = await f.json("DELETE", "/api/v1/namespaces/doomed")
        #expect(status == 200)
        #expect(body[path: "status.phase"] == "Terminating")
        #expect(await f.json("GET", base + "/configmaps/c").0 == 404)
        #expect(await f.json("GET", base + "/pods/free").0 == 404)
        // The bound pod is being deleted gracefully and holds the namespace.
        let (_, bound) = await f.json("GET", base + "/pods/bound")
        #expect(bound[path: "metadata.deletionTimestamp"]?.stringValue != nil)
        #expect(await f.json("GET", "/api/v1/namespaces/doomed").0 == 200)
        let (refused, message) = await f.json("POST", base + "/configmaps", #"{"metadata":{"name":"late"}}"#)
        #expect(refused == 403)
        #expect(message["message"]?.stringValue?.contains("being terminated") == true)
        // The kubelet's final delete removes the pod, and with it the namespace.
        #expect(await f.json("DELETE", base + "/pods/bound?gracePeriodSeconds=0").0 == 200)
        #expect(await f.json("GET", "/api/v1/namespaces/doomed").0 == 404)
        #expect(await f.json("DELETE", "/api/v1/namespaces/default").0 == 403)
    }
}
