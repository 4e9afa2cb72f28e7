/// coordination.k8s.io/v1 Lease: leader election and node heartbeats.
public struct Lease: KubeObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata = ObjectMeta()
    public var spec: Spec?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public static let resource = ResourceInfo(group: "coordination.k8s.io", version: "v1", kind: "Lease",
                                              resource: "leases", namespaced: true)
    public static let fields: FieldTable<Lease> = .object([.field("spec", \.spec)])

    public struct Spec: FieldCodable {
        public var holderIdentity: String?
        public var leaseDurationSeconds: Int32?
        public var acquireTime: MicroTime?
        public var renewTime: MicroTime?
        public var leaseTransitions: Int32?
        public var strategy: String?
        public var preferredHolder: String?
        public var unknownFields: UnknownFields = [:]
        public init() {}
        public static let fields: FieldTable<Spec> = [
            .field("holderIdentity", \.holderIdentity), .field("leaseDurationSeconds", \.leaseDurationSeconds),
            .field("acquireTime", \.acquireTime), .field("renewTime", \.renewTime),
            .field("leaseTransitions", \.leaseTransitions), .field("strategy", \.strategy),
            .field("preferredHolder", \.preferredHolder),
        ]

        /// Whether the lease has run out at `now` (no renew time or duration counts as expired).
        public func isExpired(at now: MicroTime) -> Bool {
            guard let renewTime, let leaseDurationSeconds else { return true }
            return renewTime.microsecondsSince1970 + Int64(leaseDurationSeconds) * 1_000_000 < now.microsecondsSince1970
        }
    }
}

/// scheduling.k8s.io/v1 PriorityClass.
public struct PriorityClass: KubeObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata = ObjectMeta()
    public var value: Int32 = 0
    public var globalDefault: Bool?
    public var description: String?
    /// `PreemptLowerPriority` (default) or `Never`.
    public var preemptionPolicy: String?
    public var unknownFields: UnknownFields = [:]

    public init() {}
    public static let resource = ResourceInfo(group: "scheduling.k8s.io", version: "v1", kind: "PriorityClass",
                                              resource: "priorityclasses", namespaced: false, shortNames: ["pc"])
    public static let fields: FieldTable<PriorityClass> = .object([
        .field("value", \.value), .field("globalDefault", \.globalDefault), .field("description", \.description),
        .field("preemptionPolicy", \.preemptionPolicy),
    ])
}
