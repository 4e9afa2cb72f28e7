import APIServer
import Foundation
import KubeAPI
import Testing
import TestSupport

/// kubectl v1.32 against the in-process server on a real socket. Serialized: each test runs
/// several kubectl processes, and the machine has two cores.
@Suite(.serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/kubectl"), "needs kubectl"))
struct KubectlTests {
    static let manifest = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: x, labels: {app: web}}
        spec:
          replicas: 2
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              containers:
              - name: nginx
                image: nginx:1.27
                ports: [{containerPort: 80}]
                futureField: kept
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: x}
        spec:
          selector: {app: web}
          ports: [{port: 80, targetPort: 8080, protocol: TCP}]
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: deny, namespace: x}
        spec:
          podSelector: {}
          policyTypes: [Ingress]
          ingress:
          - from: [{podSelector: {matchLabels: {role: client}}}]
        """

    @Test func session() async throws {
        try await withServer { s in
        let manifestPath = s.dir.path + "/manifest.yaml"
        try Self.manifest.write(toFile: manifestPath, atomically: true, encoding: .utf8)

        #expect(try await s.kubectl(["version"]).stdout.contains("Server Version: v1.32.0-trellis"))
        #expect(try await s.kubectl(["create", "namespace", "x"]).stdout == "namespace/x created\n")

        // Without OpenAPI, client-side validation cannot run: kubectl says so and stops.
        let validated = try await s.kubectl(["apply", "-f", manifestPath], check: false)
        #expect(validated.status != 0 && validated.stderr.contains("failed to download openapi"))
        let applied = try await s.kubectl(["apply", "--validate=false", "-f", manifestPath])
        #expect(applied.stdout.contains("deployment.apps/web created"))
        #expect(applied.stdout.contains("service/web created"))
        #expect(applied.stdout.contains("networkpolicy.networking.k8s.io/deny created"))

        let got = try JSONValue(text: try await s.kubectl(["get", "deploy,svc,netpol", "-n", "x", "-o", "json"]).stdout)
        let items = got["items"]?.arrayValue ?? []
        #expect(items.map { $0["kind"]?.stringValue ?? "" } == ["Deployment", "Service", "NetworkPolicy"])
        #expect(items[0][path: "spec.replicas"] == 2)
        #expect(items[0][path: "spec.template.spec.containers.0.futureField"] == "kept")
        #expect(items[0][path: "metadata.generation"] == 1)
        #expect(items[1][path: "spec.ports.0.targetPort"] == 8080)
        #expect(items[2][path: "spec.ingress.0.from.0.podSelector.matchLabels.role"] == "client")
        #expect(items[2][path: "metadata.annotations"]?["kubectl.kubernetes.io/last-applied-configuration"] != nil)

        // Re-apply with a change: kubectl sends a strategic merge patch.
        try Self.manifest.replacingOccurrences(of: "replicas: 2", with: "replicas: 3").write(toFile: manifestPath, atomically: true, encoding: .utf8)
        let reapplied = try await s.kubectl(["apply", "--validate=false", "-f", manifestPath])
        #expect(reapplied.stdout.contains("deployment.apps/web configured"))
        #expect(reapplied.stdout.contains("service/web unchanged"))
        let deployment = try JSONValue(text: try await s.kubectl(["get", "deploy", "web", "-n", "x", "-o", "json"]).stdout)
        #expect(deployment[path: "spec.replicas"] == 3)
        #expect(deployment[path: "metadata.generation"] == 2)
        // `kubectl scale` goes through the scale subresource.
        #expect(try await s.kubectl(["scale", "deploy", "web", "-n", "x", "--replicas=5"]).stdout == "deployment.apps/web scaled\n")
        let scaled = try JSONValue(text: try await s.kubectl(["get", "deploy", "web", "-n", "x", "-o", "json"]).stdout)
        #expect(scaled[path: "spec.replicas"] == 5)

        #expect(try await s.kubectl(["label", "svc", "web", "-n", "x", "tier=front"]).stdout == "service/web labeled\n")
        #expect(try await s.kubectl(["annotate", "svc", "web", "-n", "x", "note=hello"]).stdout == "service/web annotated\n")
        _ = try await s.kubectl(["patch", "svc", "web", "-n", "x", "--type", "merge", "-p", #"{"spec":{"selector":{"app":"web2"}}}"#])
        _ = try await s.kubectl(["patch", "svc", "web", "-n", "x", "--type", "json", "-p", #"[{"op":"replace","path":"/spec/ports/0/port","value":81}]"#])
        let service = try JSONValue(text: try await s.kubectl(["get", "svc", "web", "-n", "x", "-o", "json"]).stdout)
        #expect(service[path: "metadata.labels.tier"] == "front")
        #expect(service[path: "metadata.annotations.note"] == "hello")
        #expect(service[path: "spec.selector.app"] == "web2")
        #expect(service[path: "spec.ports.0.port"] == 81)

        let selected = try await s.kubectl(["get", "svc", "-A", "-l", "tier=front", "-o", "name"])
        #expect(selected.stdout == "service/web\n")
        let byField = try await s.kubectl(["get", "ns", "--field-selector", "metadata.name=x", "-o", "name"])
        #expect(byField.stdout == "namespace/x\n")

        let resources = try await s.kubectl(["api-resources", "-o", "name"]).stdout
        for info in ResourceRegistry.builtin.all {
            #expect(resources.contains(info.group.isEmpty ? "\(info.resource)\n" : "\(info.resource).\(info.group)\n"))
        }

        #expect(try await s.kubectl(["delete", "-f", manifestPath]).stdout.contains("service \"web\" deleted"))
        #expect(try await s.kubectl(["get", "svc,deploy,netpol", "-n", "x", "-o", "name"]).stdout == "")
        #expect(try await s.kubectl(["delete", "namespace", "x"]).stdout == "namespace \"x\" deleted\n")
        let missing = try await s.kubectl(["get", "ns", "x"], check: false)
        #expect(missing.status != 0 && missing.stderr.contains(#"namespaces "x" not found"#))
        }
    }

    @Test func watchSeesAddedModifiedDeleted() async throws {
        try await withServer { s in
        _ = try await s.kubectl(["create", "namespace", "x"])
        let out = s.dir.path + "/watch.json"
        let watcher = try BackgroundProcess(["sh", "-c", "exec kubectl --kubeconfig \(s.kubeconfig) get svc -n x -w --output-watch-events -o json > \(out) 2>&1"])
        defer { watcher.stop() }
        // The watcher is running once its (empty) list has been served; give it a moment to connect.
        try await Task.sleep(for: .milliseconds(700))
        let service = #"{"apiVersion":"v1","kind":"Service","metadata":{"name":"w","namespace":"x"},"spec":{"ports":[{"port":80}]}}"#
        _ = try await s.kubectl(["create", "--validate=false", "-f", "-"], stdin: service)
        _ = try await s.kubectl(["label", "svc", "w", "-n", "x", "a=b"])
        _ = try await s.kubectl(["delete", "svc", "w", "-n", "x"])
        let seen = try await offPool {
            eventually(timeout: 10) {
                let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
                return text.contains(#""type": "DELETED""#) || text.contains(#""type":"DELETED""#)
            }
        }
        watcher.stop()
        let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        #expect(seen, "watch output: \(text)")
        let compact = text.replacingOccurrences(of: " ", with: "")
        #expect(compact.contains(#""type":"ADDED""#) && compact.contains(#""type":"MODIFIED""#) && compact.contains(#""type":"DELETED""#),
                "watch output: \(text)")
        }
    }

    /// kubectl's typed create commands send protobuf, which the server reads for four kinds.
    @Test func typedCreateCommands() async throws {
        try await withServer { s in
            _ = try await s.kubectl(["create", "namespace", "y", "--dry-run=none"])
            _ = try await s.kubectl(["create", "configmap", "c", "-n", "y", "--from-literal=a=b", "--from-literal=k=v"])
            _ = try await s.kubectl(["create", "secret", "generic", "s", "-n", "y", "--from-literal=a=b"])
            _ = try await s.kubectl(["create", "serviceaccount", "sa", "-n", "y"])
            let got = try JSONValue(text: try await s.kubectl(["get", "cm,secret,sa", "-n", "y", "-o", "json"]).stdout)
            #expect(got[path: "items.0.data"] == ["a": "b", "k": "v"])
            #expect(got[path: "items.1.data.a"] == "Yg==")
            #expect(got[path: "items.1.type"] == "Opaque")
            #expect(got[path: "items.2.metadata.name"] == "sa")
            let deployment = try await s.kubectl(["create", "deployment", "d", "-n", "y", "--image=nginx"], check: false)
            #expect(deployment.status != 0 && deployment.stderr.contains("send application/json"))
        }
    }

    @Test func rawHTTPStatuses() async throws {
        try await withServer { s in
        let cm = #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"k":"v"}}"#
        let created = try await s.curl("POST", "/api/v1/namespaces/default/configmaps", body: cm)
        #expect(created.status == 201)
        let object = try JSONValue(text: created.body)
        let rv = object[path: "metadata.resourceVersion"]?.stringValue ?? ""

        // 409 on a stale resourceVersion.
        let update = #"{"metadata":{"name":"c","resourceVersion":"\#(rv)"},"data":{"k":"2"}}"#
        #expect(try await s.curl("PUT", "/api/v1/namespaces/default/configmaps/c", body: update).status == 200)
        let stale = try await s.curl("PUT", "/api/v1/namespaces/default/configmaps/c", body: update)
        #expect(stale.status == 409)
        #expect(try JSONValue(text: stale.body)["reason"] == "Conflict")

        // 422 with causes on a bad name.
        let bad = try await s.curl("POST", "/api/v1/namespaces/default/configmaps", body: #"{"metadata":{"name":"No_Good"}}"#)
        #expect(bad.status == 422)
        let badStatus = try JSONValue(text: bad.body)
        #expect(badStatus[path: "details.causes.0.field"] == "metadata.name")
        #expect(badStatus[path: "details.causes.0.reason"] == "FieldValueInvalid")

        // 400 on bad JSON; 404 on an unknown resource; 405 on a wrong method.
        #expect(try await s.curl("POST", "/api/v1/namespaces/default/configmaps", body: "{").status == 400)
        #expect(try await s.curl("GET", "/api/v1/widgets").status == 404)
        #expect(try await s.curl("POST", "/api/v1/namespaces/default/configmaps/c", body: "{}").status == 405)
        #expect(try await s.curl("GET", "/openapi/v2").status == 404)
        #expect(try await s.curl("POST", "/api/v1/namespaces/default/configmaps", body: String(repeating: " ", count: 3 * 1024 * 1024 + 1)).status == 413)

        // 410 on a watch from a compacted revision.
        try await s.store.compact(before: s.store.currentRevision)
        let gone = try await s.curl("GET", "/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=1", maxTime: 5)
        #expect(gone.status == 410)
        #expect(try JSONValue(text: gone.body)["reason"] == "Expired")

        // A watch streams chunked events and ends at timeoutSeconds.
        let watch = try await s.curl("GET", "/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=0&timeoutSeconds=1", maxTime: 5)
        #expect(watch.status == 200)
        #expect(watch.body.hasPrefix(#"{"object":"#) && watch.body.contains(#""type":"ADDED""#))
        }
    }
}
