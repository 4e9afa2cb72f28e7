import Foundation
import KubeAPI
import Testing

/// Fixture files under Tests/KubeAPITests/Fixtures, found through #filePath.
enum Fixture {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func data(_ name: String) throws -> Data {
        try Data(contentsOf: directory.appendingPathComponent(name))
    }

    static func json(_ name: String) throws -> JSONValue { try JSONValue(json: data(name)) }

    static func decode<T: Decodable>(_ type: T.Type, _ name: String) throws -> T {
        try JSONDecoder().decode(T.self, from: data(name))
    }
}

/// A fixture and the kind it holds, so tables can run the same checks over every kind.
struct KindFixture: Sendable, CustomTestStringConvertible {
    let file: String
    let decodeEncode: @Sendable (Data) throws -> (first: any Equatable & Sendable, again: Bool, encoded: Data)
    /// Whether `KubeJSON.decode` (the fast path) gives the same value as `JSONDecoder`.
    let fastMatchesFoundation: @Sendable (Data) throws -> Bool
    /// Whether `KubeJSON.encode` (the fast path) writes the same JSON as `JSONEncoder`, and
    /// the exact bytes of the fast encoding.
    let fastEncodeMatchesFoundation: @Sendable (Data) throws -> (same: Bool, fast: Data)

    init<T: KubeObject>(_ file: String, _ type: T.Type) {
        self.file = file
        decodeEncode = { data in
            let decoded = try JSONDecoder().decode(T.self, from: data)
            let encoded = try JSONEncoder().encode(decoded)
            let redecoded = try JSONDecoder().decode(T.self, from: encoded)
            return (decoded, decoded == redecoded, encoded)
        }
        fastEncodeMatchesFoundation = { data in
            let value = try JSONDecoder().decode(T.self, from: data)
            let fast = KubeJSON.encode(value)
            let reference = try JSONEncoder().encode(value)
            let same = try JSONDecoder().decode(JSONValue.self, from: fast) == JSONDecoder().decode(JSONValue.self, from: reference)
            return (same, fast)
        }
        fastMatchesFoundation = { data in
            try KubeJSON.decode(T.self, from: data) == JSONDecoder().decode(T.self, from: data)
        }
    }

    var testDescription: String { file }

    static let all: [KindFixture] = [
        KindFixture("pod.json", Pod.self),
        KindFixture("service.json", Service.self),
        KindFixture("endpointslice.json", EndpointSlice.self),
        KindFixture("networkpolicy.json", NetworkPolicy.self),
        KindFixture("deployment.json", Deployment.self),
        KindFixture("clusternetworkpolicy.json", ClusterNetworkPolicy.self),
        KindFixture("lease.json", Lease.self),
        KindFixture("role.json", Role.self),
        KindFixture("clusterrole.json", ClusterRole.self),
        KindFixture("rolebinding.json", RoleBinding.self),
        KindFixture("clusterrolebinding.json", ClusterRoleBinding.self),
        KindFixture("node.json", Node.self),
    ]
}

extension JSONValue {
    /// Adds `key: value` to every object in the tree (but not inside `except` paths).
    func injecting(_ key: String, _ value: JSONValue) -> JSONValue {
        switch self {
        case .object(let o):
            var copy = o.mapValues { $0.injecting(key, value) }
            copy[key] = value
            return .object(copy)
        case .array(let a):
            return .array(a.map { $0.injecting(key, value) })
        default:
            return self
        }
    }
}
