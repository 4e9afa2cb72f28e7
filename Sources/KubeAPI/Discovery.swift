/// Discovery documents (`/api`, `/apis`, `/api/v1`, `/apis/apps/v1`), built from a registry so
/// that what the API server advertises and what it routes can never disagree.
public enum Discovery {
    /// `GET /api`: `{"kind":"APIVersions","versions":["v1"],...}`.
    public static func coreVersions(serverAddress: String = "0.0.0.0:6443") -> JSONValue {
        ["kind": "APIVersions", "versions": ["v1"],
         "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": .string(serverAddress)]]]
    }

    /// `GET /apis`: every named group with its versions, preferred version first.
    public static func groupList(_ registry: ResourceRegistry) -> JSONValue {
        var order: [String] = []
        var versions: [String: [String]] = [:]
        for (group, version) in registry.groupVersions where !group.isEmpty {
            if versions[group] == nil { order.append(group) }
            versions[group, default: []].append(version)
        }
        let groups: [JSONValue] = order.map { group in
            let list = versions[group]!.map { JSONValue.object(["groupVersion": .string("\(group)/\($0)"), "version": .string($0)]) }
            return ["name": .string(group), "versions": .array(list), "preferredVersion": list[0]]
        }
        return ["kind": "APIGroupList", "apiVersion": "v1", "groups": .array(groups)]
    }

    /// `GET /api/v1` or `GET /apis/<group>/<version>`: the resources and their subresources.
    public static func resourceList(_ registry: ResourceRegistry, group: String, version: String) -> JSONValue {
        var resources: [JSONValue] = []
        for info in registry.resources(group: group, version: version) {
            var entry: [String: JSONValue] = [
                "name": .string(info.resource), "singularName": .string(info.singular),
                "namespaced": .bool(info.namespaced), "kind": .string(info.kind),
                "verbs": .array(info.verbs.map(JSONValue.string)),
            ]
            if !info.shortNames.isEmpty { entry["shortNames"] = .array(info.shortNames.map(JSONValue.string)) }
            if !info.categories.isEmpty { entry["categories"] = .array(info.categories.map(JSONValue.string)) }
            resources.append(.object(entry))
            for sub in info.subresources {
                let verbs: [JSONValue] = sub == "status" || sub == "scale" ? ["get", "patch", "update"] : sub == "log" ? ["get"] : ["create"]
                resources.append(["name": .string("\(info.resource)/\(sub)"), "singularName": "",
                                  "namespaced": .bool(info.namespaced), "kind": .string(sub == "scale" ? "Scale" : info.kind),
                                  "verbs": .array(verbs)])
            }
        }
        let groupVersion = group.isEmpty ? version : "\(group)/\(version)"
        return ["kind": "APIResourceList", "apiVersion": "v1", "groupVersion": .string(groupVersion),
                "resources": .array(resources)]
    }
}
