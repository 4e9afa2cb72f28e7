import APIServer
import Foundation
import KubeAPI
import Testing

@Suite struct ResourceHandlerTests {
    static let service = #"{"apiVersion":"v1","kind":"Service","metadata":{"name":"web","labels":{"app":"web"}},"spec":{"ports":[{"port":80}],"selector":{"app":"web"}},"status":{"loadBalancer":{"ingress":[{"ip":"1.2.3.4"}]}}}"#

    /// (method, URI, body, content type) -> HTTP status and Status reason, after `web` was created in `default`.
    static let errors: [(String, String, String, String, Int, String)] = [
        ("GET", "/api/v1/namespaces/default/services/nope", "", "application/json", 404, "NotFound"),
        ("GET", "/api/v1/namespaces/default/widgets", "", "application/json", 404, "NotFound"),
        ("POST", "/api/v1/namespaces/default/services", "{not json", "application/json", 400, "BadRequest"),
        ("POST", "/api/v1/namespaces/default/services", "[1]", "application/json", 400, "BadRequest"),
        ("POST", "/api/v1/namespaces/default/services", #"{"metadata":{"name":"Bad_Name"}}"#, "application/json", 422, "Invalid"),
        ("POST", "/api/v1/namespaces/default/services", #"{"metadata":{}}"#, "application/json", 422, "Invalid"),
        ("POST", "/api/v1/namespaces/default/services", #"{"kind":"Pod","metadata":{"name":"a"}}"#, "application/json", 400, "BadRequest"),
        ("POST", "/api/v1/namespaces/default/services", #"{"metadata":{"name":"a","namespace":"other"}}"#, "application/json", 400, "BadRequest"),
        ("POST", "/apis/apps/v1/namespaces/default/deployments", #"{"metadata":{"name":"d"},"spec":{"replicas":"two"}}"#, "application/json", 400, "BadRequest"),
        ("PATCH", "/api/v1/namespaces/default/services/web", #"{"spec":{"ports":"eighty"}}"#, "application/merge-patch+json", 400, "BadRequest"),
        ("POST", "/api/v1/namespaces/missing/services", #"{"metadata":{"name":"a"}}"#, "application/json", 404, "NotFound"),
        ("POST", "/api/v1/namespaces/default/services", service, "application/json", 409, "AlreadyExists"),
        ("PUT", "/api/v1/namespaces/default/services/web", #"{"metadata":{"name":"web","resourceVersion":"1"}}"#, "application/json", 409, "Conflict"),
        ("PUT", "/api/v1/namespaces/default/services/web", #"{"metadata":{"name":"web"}}"#, "application/json", 422, "Invalid"),
        ("PUT", "/api/v1/namespaces/default/services/web", #"{"metadata":{"name":"other","resourceVersion":"1"}}"#, "application/json", 400, "BadRequest"),
        ("PATCH", "/api/v1/namespaces/default/services/web", "{}", "application/apply-patch+yaml", 415, "UnsupportedMediaType"),
        ("PATCH", "/api/v1/namespaces/default/services/web", "{}", "text/plain", 415, "UnsupportedMediaType"),
        ("PATCH", "/api/v1/namespaces/default/services/web", "{", "application/merge-patch+json", 400, "BadRequest"),
        ("PATCH", "/api/v1/namespaces/default/services/web", #"{"metadata":{"resourceVersion":"1"}}"#, "application/merge-patch+json", 409, "Conflict"),
        ("PATCH", "/api/v1/namespaces/default/services/web", #"[{"op":"test","path":"/spec/x","value":1}]"#, "application/json-patch+json", 422, "Invalid"),
        ("PATCH", "/api/v1/namespaces/default/services/nope", "{}", "application/merge-patch+json", 404, "NotFound"),
        ("DELETE", "/api/v1/namespaces/default/services/nope", "", "application/json", 404, "NotFound"),
        ("PUT", "/api/v1/namespaces/default/services", "{}", "application/json", 405, "MethodNotAllowed"),
        ("GET", "/api/v1/pods?fieldSelector=spec.bogus%3Dx", "", "application/json", 400, "BadRequest"),
        ("GET", "/api/v1/pods?labelSelector=a%20in", "", "application/json", 400, "BadRequest"),
        ("GET", "/api/v1/namespaces/default/services?watch=1&resourceVersion=abc", "", "application/json", 400, "BadRequest"),
    ]

    @Test(arguments: errors)
    func failure(_ method: String, _ uri: String, _ body: String, _ contentType: String, _ code: Int, _ reason: String) async throws {
        let f = try await PipelineFixture()
        #expect(await f.json("POST", "/api/v1/namespaces/default/services", Self.service).0 == 201)
        let (status, json) = await f.json(method, uri, body, contentType: contentType)
        #expect(status == code)
        #expect(json["kind"] == "Status")
        #expect(json["reason"]?.stringValue == reason)
        #expect(json["code"] == .int(Int64(code)))
    }

    @Test func invalidNameHasCauses() async throws {
        let f = try await PipelineFixture()
        let (status, json) = await f.json("POST", "/api/v1/namespaces/default/configmaps", #"{"metadata":{"name":"Bad_Name","labels":{"a":"b c"}}}"#)
        #expect(status == 422)
        let causes = json[path: "details.causes"]?.arrayValue ?? []
        #expect(causes.map { $0["field"]?.stringValue } == ["metadata.name", "metadata.labels"])
        #expect(json["message"]?.stringValue?.hasPrefix(#"ConfigMap "Bad_Name" is invalid: ["#) == true)
    }

    @Test func createSetsSystemFieldsAndClearsStatus() async throws {
        let f = try await PipelineFixture()
        let (status, created) = await f.json("POST", "/api/v1/namespaces/default/services", Self.service)
        #expect(status == 201)
        #expect(created[path: "metadata.uid"]?.stringValue?.count == 36)
        #expect(created[path: "metadata.creationTimestamp"]?.stringValue?.hasSuffix("Z") == true)
        #expect(created[path: "metadata.namespace"] == "default")
        #expect(created[path: "metadata.generation"] == 1)
        #expect(created["status"] == nil)
        let rv = created[path: "metadata.resourceVersion"]?.stringValue
        let (_, got) = await f.json("GET", "/api/v1/namespaces/default/services/web")
        #expect(got == created)
        #expect(rv == String(f.store.currentRevision))
    }

    @Test func generateName() async throws {
        let f = try await PipelineFixture()
        let (status, created) = await f.json("POST", "/api/v1/namespaces/default/configmaps", #"{"metadata":{"generateName":"cm-"}}"#)
        #expect(status == 201)
        let name = created[path: "metadata.name"]?.stringValue ?? ""
        #expect(name.hasPrefix("cm-") && name.count == 8)
    }

    @Test func updateBumpsGenerationOnlyForSpecAndKeepsStatus() async throws {
        let f = try await PipelineFixture()
        var (_, object) = await f.json("POST", "/apis/apps/v1/namespaces/default/deployments",
                                       #"{"metadata":{"name":"d"},"spec":{"replicas":1}}"#)
        // Labels only: same generation.
        (_, object) = await f.json("PATCH", "/apis/apps/v1/namespaces/default/deployments/d", #"{"metadata":{"labels":{"a":"b"}}}"#,
                                   contentType: "application/merge-patch+json")
        #expect(object[path: "metadata.generation"] == 1)
        // Spec and status through the main resource: generation bumps, status ignored.
        (_, object) = await f.json("PATCH", "/apis/apps/v1/namespaces/default/deployments/d", #"{"spec":{"replicas":2},"status":{"replicas":9}}"#,
                                   contentType: "application/merge-patch+json")
        #expect(object[path: "metadata.generation"] == 2)
        #expect(object[path: "spec.replicas"] == 2)
        #expect(object["status"] == nil)
        // Status subresource: only status changes.
        (_, object) = await f.json("PATCH", "/apis/apps/v1/namespaces/default/deployments/d/status", #"{"spec":{"replicas":5},"status":{"replicas":2}}"#,
                                   contentType: "application/merge-patch+json")
        #expect(object[path: "status.replicas"] == 2)
        #expect(object[path: "spec.replicas"] == 2)
        #expect(object[path: "metadata.generation"] == 2)
        // PUT with the current resourceVersion works; the same PUT again is stale.
        let put = String(decoding: KubeJSON.encode(object.mergePatched(with: ["spec": ["replicas": 3]])), as: UTF8.self)
        let (s1, updated) = await f.json("PUT", "/apis/apps/v1/namespaces/default/deployments/d", put)
        #expect(s1 == 200)
        #expect(updated[path: "metadata.generation"] == 3)
        #expect(updated[path: "status.replicas"] == 2)
        #expect(await f.json("PUT", "/apis/apps/v1/namespaces/default/deployments/d", put).0 == 409)
    }

    @Test func strategicMergePatchDropsDirectives() async throws {
        let f = try await PipelineFixture()
        _ = await f.json("POST", "/api/v1/namespaces/default/services", Self.service)
        let (status, object) = await f.json("PATCH", "/api/v1/namespaces/default/services/web",
            #"{"$setElementOrder/ports":[{"port":81}],"spec":{"ports":[{"port":81}]}}"#, contentType: "application/strategic-merge-patch+json")
        #expect(status == 200)
        #expect(object["$setElementOrder/ports"] == nil)
        #expect(object[path: "spec.ports.0.port"] == 81)
    }

    @Test func listWithSelectorsAndPages() async throws {
        let f = try await PipelineFixture()
        for i in 0..<7 {
            let body = #"{"metadata":{"name":"p\#(i)","labels":{"parity":"\#(i % 2 == 0 ? "even" : "odd")"}},"spec":{"nodeName":"n\#(i % 3)"}}"#
            #expect(await f.json("POST", "/api/v1/namespaces/default/pods", body).0 == 201)
        }
        _ = await f.json("POST", "/api/v1/namespaces/kube-system/pods", #"{"metadata":{"name":"sys"},"spec":{"nodeName":"n0"}}"#)
        func names(_ json: JSONValue) -> [String] { (json["items"]?.arrayValue ?? []).compactMap { $0[path: "metadata.name"]?.stringValue } }

        let (_, all) = await f.json("GET", "/api/v1/pods")
        #expect(names(all).count == 8)
        #expect(all["kind"] == "PodList")
        #expect(all[path: "metadata.resourceVersion"]?.stringValue == String(f.store.currentRevision))
        #expect(names(await f.json("GET", "/api/v1/namespaces/default/pods?labelSelector=parity%3Deven").1) == ["p0", "p2", "p4", "p6"])
        #expect(names(await f.json("GET", "/api/v1/pods?fieldSelector=spec.nodeName%3Dn0").1) == ["p0", "p3", "p6", "sys"])  // key order: namespace, then name
        #expect(names(await f.json("GET", "/api/v1/pods?fieldSelector=metadata.namespace%3Dkube-system").1) == ["sys"])
        #expect(names(await f.json("GET", "/api/v1/namespaces/default/pods?fieldSelector=metadata.name!%3Dp0,spec.nodeName%3Dn0&labelSelector=parity%3Deven").1) == ["p6"])

        var seen: [String] = []
        var uri = "/api/v1/namespaces/default/pods?limit=3&labelSelector=parity"
        while true {
            let (status, page) = await f.json("GET", uri)
            #expect(status == 200)
            seen += names(page)
            guard let token = page[path: "metadata.continue"]?.stringValue else { break }
            #expect(names(page).count == 3)
            uri = "/api/v1/namespaces/default/pods?limit=3&labelSelector=parity&continue=" + token.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        }
        #expect(seen == (0..<7).map { "p\($0)" })
    }

    @Test func watchTranslatesThroughSelectors() async throws {
        let f = try await PipelineFixture()
        let start = f.store.currentRevision
        let response = await f.send("GET", "/api/v1/namespaces/default/configmaps?watch=1&labelSelector=app%3Dweb&resourceVersion=\(start)")
        guard case .stream(let stream) = response.body else { Issue.record("not a stream"); return }
        _ = await f.json("POST", "/api/v1/namespaces/default/configmaps", #"{"metadata":{"name":"a"}}"#)
        _ = await f.json("PATCH", "/api/v1/namespaces/default/configmaps/a", #"{"metadata":{"labels":{"app":"web"}}}"#, contentType: "application/merge-patch+json")
        _ = await f.json("PATCH", "/api/v1/namespaces/default/configmaps/a", #"{"data":{"k":"v"}}"#, contentType: "application/merge-patch+json")
        _ = await f.json("PATCH", "/api/v1/namespaces/default/configmaps/a", #"{"metadata":{"labels":{"app":"db"}}}"#, contentType: "application/merge-patch+json")
        _ = await f.json("DELETE", "/api/v1/namespaces/default/configmaps/a")
        var types: [String] = []
        for try await line in stream {
            let event = try JSONValue(text: String(decoding: line, as: UTF8.self))
            types.append(event["type"]?.stringValue ?? "?")
            if types.count == 3 { break }
        }
        // Created unlabelled: invisible; labelled: ADDED; data change: MODIFIED; relabelled: DELETED.
        #expect(types == ["ADDED", "MODIFIED", "DELETED"])
    }

    @Test func watchFromZeroSendsStateThenBookmarks() async throws {
        let f = try await PipelineFixture(bookmarkInterval: .milliseconds(100))
        let response = await f.send("GET", "/api/v1/namespaces?watch=true&resourceVersion=0&allowWatchBookmarks=true")
        guard case .stream(let stream) = response.body else { Issue.record("not a stream"); return }
        var types: [String] = []
        var bookmarkVersion: String?
        for try await line in stream {
            let event = try JSONValue(text: String(decoding: line, as: UTF8.self))
            types.append(event["type"]?.stringValue ?? "?")
            if event["type"] == "BOOKMARK" { bookmarkVersion = event[path: "object.metadata.resourceVersion"]?.stringValue; break }
        }
        #expect(types == ["ADDED", "ADDED", "ADDED", "ADDED", "BOOKMARK"])
        #expect(bookmarkVersion == String(f.store.currentRevision))
    }

    @Test func watchTimeoutEndsStream() async throws {
        let f = try await PipelineFixture()
        let response = await f.send("GET", "/api/v1/pods?watch=1&timeoutSeconds=1&resourceVersion=\(f.store.currentRevision)")
        guard case .stream(let stream) = response.body else { Issue.record("not a stream"); return }
        // The stream must end on its own (a hang guard, not a timing check: load only delays it)
        // and must not end before the requested timeout.
        let started = ContinuousClock.now
        let ended = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask { for try await _ in stream {}; return true }
            group.addTask { try await Task.sleep(for: .seconds(120)); return false }
            let first = try await group.next() ?? false
            group.cancelAll()
            return first
        }
        #expect(ended, "the watch with timeoutSeconds=1 never ended")
        #expect(ContinuousClock.now - started >= .milliseconds(900))
    }

    @Test func expiredWatchIsGone() async throws {
        let f = try await PipelineFixture()
        _ = await f.json("POST", "/api/v1/namespaces/default/configmaps", #"{"metadata":{"name":"a"}}"#)
        try await f.store.compact(before: f.store.currentRevision)
        let (status, json) = await f.json("GET", "/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=1")
        #expect(status == 410)
        #expect(json["reason"] == "Expired")
    }

    @Test func deleteReturnsObjectAndHonoursPreconditions() async throws {
        let f = try await PipelineFixture()
        let (_, created) = await f.json("POST", "/api/v1/namespaces/default/configmaps", #"{"metadata":{"name":"a"}}"#)
        #expect(await f.json("DELETE", "/api/v1/namespaces/default/configmaps/a", #"{"preconditions":{"uid":"x"}}"#).0 == 409)
        let (status, deleted) = await f.json("DELETE", "/api/v1/namespaces/default/configmaps/a")
        #expect(status == 200)
        #expect(deleted == created)
        #expect(await f.json("GET", "/api/v1/namespaces/default/configmaps/a").0 == 404)
    }

    @Test func discoveryDocuments() async throws {
        let f = try await PipelineFixture()
        #expect(await f.json("GET", "/version").1["gitVersion"] == "v1.32.0-trellis")
        #expect(await f.json("GET", "/api").1["versions"] == ["v1"])
        let groups = await f.json("GET", "/apis").1["groups"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        #expect(groups.contains("apps") && groups.contains("networking.k8s.io"))
        let apps = await f.json("GET", "/apis/apps/v1").1["resources"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        #expect(apps.contains("deployments") && apps.contains("deployments/status"))
        let response = await f.send("GET", "/api/v1")
        #expect(response.headers.contains { $0 == ("Content-Type", "application/json") })
    }
}
