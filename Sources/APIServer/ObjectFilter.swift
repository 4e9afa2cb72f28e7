import KubeAPI

/// The `labelSelector` and `fieldSelector` of a list or watch, applied to JSON objects.
struct ObjectFilter: Sendable {
    var labels: LabelRequirements
    var fields: FieldSelector
    /// The object name of a watch on one item's URL.
    var name: String?

    /// Field-selector fields kube-apiserver supports beyond `metadata.name` and `metadata.namespace`.
    static let extraFields: [String: Set<String>] = [
        "pods": ["spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
                 "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName"],
        "events": ["involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
                   "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
                   "reason", "reportingComponent", "source", "type"],
        "secrets": ["type"],
        "namespaces": ["status.phase"],
        "nodes": ["spec.unschedulable"],
        "replicasets": ["status.replicas"],
    ]

    init(labels: LabelRequirements = LabelRequirements(), fields: FieldSelector = FieldSelector()) {
        self.labels = labels
        self.fields = fields
    }

    /// From a request's query; 400 for a selector that does not parse or names an unsupported field.
    init(query: [String: String], resource: ResourceInfo, name: String? = nil) throws(Status) {
        do {
            labels = try LabelRequirements(parsing: query["labelSelector"] ?? "")
            fields = try FieldSelector(parsing: query["fieldSelector"] ?? "")
        } catch {
            throw .badRequest("unable to parse requirement: \(error)")
        }
        let supported = Set(["metadata.name", "metadata.namespace"]).union(Self.extraFields[resource.resource] ?? [])
        if let field = fields.unsupportedFields(supported).first {
            throw .badRequest("field label not supported: \(field)")
        }
        self.name = name
    }

    var isEmpty: Bool { labels.isEmpty && fields.requirements.isEmpty && name == nil }

    func matches(_ object: ObjectDocument) -> Bool {
        if isEmpty { return true }
        if let name, object.name != name { return false }
        return labels.matches(object.labels) && fields.matches { object.fieldValue($0) }
    }
}
