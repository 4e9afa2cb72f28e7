import Foundation
import KubeAPI
import Store

/// The RBAC objects the authorizer decides from, as plain values: Roles and ClusterRoles by
/// name (Roles per namespace) and the bindings. `StoreMirror` keeps one current from a watch on
/// the four RBAC prefixes; `authorize` and `rules` are pure functions of it.
public struct RBACSnapshot: Sendable, Equatable {
    public var clusterRoles: [String: [PolicyRule]] = [:]
    /// namespace -> name -> rules
    public var roles: [String: [String: [PolicyRule]]] = [:]
    public var clusterRoleBindings: [String: ClusterRoleBinding] = [:]
    /// namespace -> name -> binding
    public var roleBindings: [String: [String: RoleBinding]] = [:]

    public init() {}

    public init(clusterRoles: [ClusterRole] = [], roles: [Role] = [], clusterRoleBindings: [ClusterRoleBinding] = [],
                roleBindings: [RoleBinding] = []) {
        for role in clusterRoles { self.clusterRoles[role.metadata.name ?? ""] = role.rules ?? [] }
        for role in roles { self.roles[role.metadata.namespace ?? "", default: [:]][role.metadata.name ?? ""] = role.rules ?? [] }
        for binding in clusterRoleBindings { self.clusterRoleBindings[binding.metadata.name ?? ""] = binding }
        for binding in roleBindings {
            self.roleBindings[binding.metadata.namespace ?? "", default: [:]][binding.metadata.name ?? ""] = binding
        }
    }

    /// The store prefixes of the four kinds, each ending in `/`.
    public static let prefixes = [ClusterRole.resource, Role.resource, ClusterRoleBinding.resource, RoleBinding.resource]
        .map { RegistryKey.prefix(resource: $0.qualifiedResource) }
}

extension RBACSnapshot: MirrorState {
    /// Applies one stored object (nil: deleted) under one of `prefixes`. An object that does not
    /// decode is left out, as if absent: it can grant nothing.
    public mutating func apply(key: String, value: [UInt8]?) {
        guard let (prefix, rest) = Self.split(key) else { return }
        let parts = rest.split(separator: "/", maxSplits: 1).map(String.init)
        func decode<T: JSONFastDecodable>(_ type: T.Type) -> T? {
            value.flatMap { try? KubeJSON.decode(T.self, from: Data($0)) }
        }
        switch prefix {
        case Self.prefixes[0]:
            clusterRoles[rest] = decode(ClusterRole.self).map { $0.rules ?? [] }
        case Self.prefixes[2]:
            clusterRoleBindings[rest] = decode(ClusterRoleBinding.self)
        case Self.prefixes[1] where parts.count == 2:
            roles[parts[0], default: [:]][parts[1]] = decode(Role.self).map { $0.rules ?? [] }
            if roles[parts[0]]?.isEmpty == true { roles[parts[0]] = nil }
        case Self.prefixes[3] where parts.count == 2:
            roleBindings[parts[0], default: [:]][parts[1]] = decode(RoleBinding.self)
            if roleBindings[parts[0]]?.isEmpty == true { roleBindings[parts[0]] = nil }
        default: break
        }
    }

    public mutating func reset(prefix: String) {
        switch prefix {
        case Self.prefixes[0]: clusterRoles = [:]
        case Self.prefixes[1]: roles = [:]
        case Self.prefixes[2]: clusterRoleBindings = [:]
        case Self.prefixes[3]: roleBindings = [:]
        default: break
        }
    }

    private static func split(_ key: String) -> (String, String)? {
        for prefix in prefixes where key.hasPrefix(prefix) { return (prefix, String(key.dropFirst(prefix.count))) }
        return nil
    }
}
