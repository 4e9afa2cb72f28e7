import KubeAPI
import NetAddr

/// What kube-apiserver does to a Service before storing it: defaults, validation, and the cluster
/// IPs and node ports it allocates. The allocations are reserved in `allocator`; the caller
/// releases `reserved` if the write fails and `freed` once it succeeds.
struct ServiceAdmission {
    let allocator: ServiceAllocator

    struct Outcome {
        var service: Service
        /// Newly reserved; to release if the write does not happen.
        var reservedAddresses: [IPAddress] = []
        var reservedPorts: [Int] = []
        /// No longer used by the new object; to release after the write.
        var freedAddresses: [IPAddress] = []
        var freedPorts: [Int] = []
    }

    static let types: Set<String> = ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"]
    static let protocols: Set<String> = ["TCP", "UDP", "SCTP"]

    /// Defaults, validates and allocates for a new Service. Throws 422 with every problem found;
    /// nothing stays reserved when it throws.
    func admitCreate(_ input: Service) throws(Status) -> Outcome {
        var service = input
        Self.applyDefaults(&service)
        try validate(service, old: nil)
        var outcome = Outcome(service: service)
        do {
            try allocate(&outcome, old: nil)
        } catch {
            allocator.release(outcome.reservedAddresses, ports: outcome.reservedPorts)
            throw error
        }
        return outcome
    }

    /// Defaults, validates and allocates for an update over `old`. Values the new object leaves
    /// empty (cluster IPs, node ports) are kept from the old one, as kube-apiserver does.
    func admitUpdate(_ input: Service, old: Service) throws(Status) -> Outcome {
        var service = input
        Self.applyDefaults(&service)
        Self.keepAllocatedValues(&service, old: old)
        Self.dropTypeDependentFields(&service, old: old)
        try validate(service, old: old)
        var outcome = Outcome(service: service)
        do {
            try allocate(&outcome, old: old)
        } catch {
            allocator.release(outcome.reservedAddresses, ports: outcome.reservedPorts)
            throw error
        }
        let kept = Set(ServiceAllocator.clusterIPs(of: outcome.service))
        let keptPorts = Set(ServiceAllocator.nodePorts(of: outcome.service))
        outcome.freedAddresses = ServiceAllocator.clusterIPs(of: old).filter { !kept.contains($0) }
        outcome.freedPorts = ServiceAllocator.nodePorts(of: old).filter { !keptPorts.contains($0) }
        return outcome
    }

    // MARK: defaults

    static func applyDefaults(_ service: inout Service) {
        var spec = service.spec ?? ServiceSpec()
        let type = spec.type ?? "ClusterIP"
        spec.type = type
        if type == "ExternalName" {
            service.spec = spec
            return
        }
        if spec.sessionAffinity == nil { spec.sessionAffinity = "None" }
        if spec.sessionAffinity == "ClientIP" {
            var config = spec.sessionAffinityConfig ?? SessionAffinityConfig()
            var clientIP = config.clientIP ?? ClientIPConfig()
            if clientIP.timeoutSeconds == nil { clientIP.timeoutSeconds = 10800 }
            config.clientIP = clientIP
            spec.sessionAffinityConfig = config
        }
        if spec.internalTrafficPolicy == nil { spec.internalTrafficPolicy = "Cluster" }
        if type == "NodePort" || type == "LoadBalancer", spec.externalTrafficPolicy == nil {
            spec.externalTrafficPolicy = "Cluster"
        }
        if type == "LoadBalancer", spec.allocateLoadBalancerNodePorts == nil { spec.allocateLoadBalancerNodePorts = true }
        if var ports = spec.ports {
            for i in ports.indices {
                if ports[i].protocol == nil { ports[i].protocol = "TCP" }
                if ports[i].targetPort == nil { ports[i].targetPort = .int(ports[i].port) }
            }
            spec.ports = ports
        }
        // A single `clusterIP` is the primary of `clusterIPs`.
        if let ip = spec.clusterIP, !ip.isEmpty, spec.clusterIPs?.isEmpty ?? true { spec.clusterIPs = [ip] }
        service.spec = spec
    }

    /// kube-apiserver's "patch allocated values": an update that omits the cluster IPs or a
    /// port's nodePort keeps the ones already allocated.
    static func keepAllocatedValues(_ service: inout Service, old: Service) {
        guard var spec = service.spec, let oldSpec = old.spec, spec.type != "ExternalName", oldSpec.type != "ExternalName" else { return }
        if (spec.clusterIP ?? "").isEmpty, spec.clusterIPs?.isEmpty ?? true {
            spec.clusterIP = oldSpec.clusterIP
            spec.clusterIPs = oldSpec.clusterIPs
            if spec.ipFamilies == nil { spec.ipFamilies = oldSpec.ipFamilies }
            if spec.ipFamilyPolicy == nil { spec.ipFamilyPolicy = oldSpec.ipFamilyPolicy }
        }
        let needsNodePorts = spec.type == "NodePort" || (spec.type == "LoadBalancer" && spec.allocateLoadBalancerNodePorts != false)
        if needsNodePorts, var ports = spec.ports {
            let oldPorts = oldSpec.ports ?? []
            for i in ports.indices where ports[i].nodePort == nil {
                let match = oldPorts.first { $0.port == ports[i].port && ($0.protocol ?? "TCP") == ports[i].protocol }
                    ?? oldPorts.first { $0.name != nil && $0.name == ports[i].name }
                ports[i].nodePort = match?.nodePort
            }
            spec.ports = ports
        }
        if spec.type == "LoadBalancer", spec.externalTrafficPolicy == "Local", spec.healthCheckNodePort == nil {
            spec.healthCheckNodePort = oldSpec.healthCheckNodePort
        }
        service.spec = spec
    }

    /// kube-apiserver's "drop type-dependent fields": when the type changes so that node ports,
    /// the health check port or the external traffic policy no longer apply, the values the old
    /// object had (which a patch carries over) are dropped instead of failing validation.
    static func dropTypeDependentFields(_ service: inout Service, old: Service) {
        guard var spec = service.spec, let oldSpec = old.spec, spec.type != oldSpec.type else { return }
        let type = spec.type ?? "ClusterIP"
        if type == "ClusterIP" || type == "ExternalName" {
            let oldPorts = Set((oldSpec.ports ?? []).compactMap(\.nodePort))
            spec.ports = spec.ports.map { $0.map { var p = $0; if let n = p.nodePort, oldPorts.contains(n) { p.nodePort = nil }; return p } }
            if spec.externalTrafficPolicy == oldSpec.externalTrafficPolicy { spec.externalTrafficPolicy = nil }
        }
        if type != "LoadBalancer", spec.healthCheckNodePort == oldSpec.healthCheckNodePort { spec.healthCheckNodePort = nil }
        if type != "LoadBalancer", spec.allocateLoadBalancerNodePorts == oldSpec.allocateLoadBalancerNodePorts {
            spec.allocateLoadBalancerNodePorts = nil
        }
        service.spec = spec
    }

    // MARK: validation

    func validate(_ service: Service, old: Service?) throws(Status) {
        var causes: [StatusCause] = []
        func invalid(_ field: String, _ message: String, required: Bool = false) {
            causes.append(StatusCause(reason: required ? "FieldValueRequired" : "FieldValueInvalid",
                                      message: message, field: field))
        }
        let spec = service.spec ?? ServiceSpec()
        let type = spec.type ?? "ClusterIP"
        if !Self.types.contains(type) {
            causes.append(StatusCause(reason: "FieldValueNotSupported",
                                      message: "Unsupported value: \"\(type)\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\"",
                                      field: "spec.type"))
        }
        let headless = spec.clusterIP == "None"
        if type == "ExternalName" {
            let name = spec.externalName ?? ""
            if name.isEmpty {
                invalid("spec.externalName", "Required value", required: true)
            } else {
                for problem in Validation.dns1123Subdomain(name.hasSuffix(".") ? String(name.dropLast()) : name) {
                    invalid("spec.externalName", "Invalid value: \"\(name)\": \(problem)")
                }
            }
        } else {
            if (spec.ports ?? []).isEmpty, !headless { invalid("spec.ports", "Required value", required: true) }
            if headless, type != "ClusterIP" {
                invalid("spec.clusterIP", "Invalid value: \"None\": may be None only when `type` is `ClusterIP`")
            }
        }
        var names = Set<String>()
        var seen = Set<String>()
        let ports = spec.ports ?? []
        for (i, port) in ports.enumerated() {
            let field = "spec.ports[\(i)]"
            if ports.count > 1, (port.name ?? "").isEmpty {
                invalid(field + ".name", "Required value", required: true)
            }
            if let name = port.name, !name.isEmpty {
                for problem in Validation.dns1123Label(name) { invalid(field + ".name", "Invalid value: \"\(name)\": \(problem)") }
                if !names.insert(name).inserted {
                    causes.append(StatusCause(reason: "FieldValueDuplicate", message: "Duplicate value: \"\(name)\"", field: field + ".name"))
                }
            }
            if !(1...65535).contains(port.port) {
                invalid(field + ".port", "Invalid value: \(port.port): must be between 1 and 65535, inclusive")
            }
            let proto = port.protocol ?? "TCP"
            if !Self.protocols.contains(proto) {
                causes.append(StatusCause(reason: "FieldValueNotSupported",
                                          message: "Unsupported value: \"\(proto)\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
                                          field: field + ".protocol"))
            }
            if !seen.insert("\(port.port)/\(proto)").inserted {
                causes.append(StatusCause(reason: "FieldValueDuplicate", message: "Duplicate value: {\"port\":\(port.port),\"protocol\":\"\(proto)\"}",
                                          field: field))
            }
            switch port.targetPort {
            case .int(let n)? where !(1...65535).contains(n):
                invalid(field + ".targetPort", "Invalid value: \(n): must be between 1 and 65535, inclusive")
            case .string(let s)? where Validation.portName(s).count > 0:
                invalid(field + ".targetPort", "Invalid value: \"\(s)\": \(Validation.portName(s).joined(separator: "; "))")
            default: break
            }
            if let nodePort = port.nodePort {
                if type == "ClusterIP" || type == "ExternalName" {
                    causes.append(StatusCause(reason: "FieldValueForbidden", message: "Forbidden: may not be used when `type` is '\(type)'",
                                              field: field + ".nodePort"))
                } else if !allocator.configuration.nodePorts.contains(Int(nodePort)) {
                    let r = allocator.configuration.nodePorts
                    invalid(field + ".nodePort", "Invalid value: \(nodePort): provided port is not in the valid range. The range of valid ports is \(r.lowerBound)-\(r.upperBound)")
                }
            }
        }
        if let affinity = spec.sessionAffinity, !["None", "ClientIP"].contains(affinity) {
            causes.append(StatusCause(reason: "FieldValueNotSupported",
                                      message: "Unsupported value: \"\(affinity)\": supported values: \"ClientIP\", \"None\"",
                                      field: "spec.sessionAffinity"))
        }
        if let timeout = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds, !(1...86400).contains(timeout) {
            invalid("spec.sessionAffinityConfig.clientIP.timeoutSeconds", "Invalid value: \(timeout): must be greater than 0 and less than 86400")
        }
        for (field, value) in [("spec.externalTrafficPolicy", spec.externalTrafficPolicy), ("spec.internalTrafficPolicy", spec.internalTrafficPolicy)] {
            if let value, !["Cluster", "Local"].contains(value) {
                causes.append(StatusCause(reason: "FieldValueNotSupported",
                                          message: "Unsupported value: \"\(value)\": supported values: \"Cluster\", \"Local\"", field: field))
            }
        }
        if spec.externalTrafficPolicy != nil, type == "ClusterIP" || type == "ExternalName" {
            invalid("spec.externalTrafficPolicy", "Invalid value: \"\(spec.externalTrafficPolicy!)\": may only be set when `type` is 'NodePort' or 'LoadBalancer'")
        }
        for (i, ip) in (spec.externalIPs ?? []).enumerated() where IPAddress(ip) == nil {
            invalid("spec.externalIPs[\(i)]", "Invalid value: \"\(ip)\": must be a valid IP address")
        }
        for (i, range) in (spec.loadBalancerSourceRanges ?? []).enumerated() where IPPrefix(range.trimmingCharacters(in: .whitespaces)) == nil {
            invalid("spec.loadBalancerSourceRanges[\(i)]", "Invalid value: \"\(range)\": must be a valid CIDR")
        }
        if let policy = spec.ipFamilyPolicy, !["SingleStack", "PreferDualStack", "RequireDualStack"].contains(policy) {
            causes.append(StatusCause(reason: "FieldValueNotSupported",
                                      message: "Unsupported value: \"\(policy)\": supported values: \"PreferDualStack\", \"RequireDualStack\", \"SingleStack\"",
                                      field: "spec.ipFamilyPolicy"))
        }
        for (i, family) in (spec.ipFamilies ?? []).enumerated() where !["IPv4", "IPv6"].contains(family) {
            causes.append(StatusCause(reason: "FieldValueNotSupported",
                                      message: "Unsupported value: \"\(family)\": supported values: \"IPv4\", \"IPv6\"",
                                      field: "spec.ipFamilies[\(i)]"))
        }
        let ips = spec.clusterIPs ?? []
        if let ip = spec.clusterIP, !ip.isEmpty, let first = ips.first, first != ip {
            invalid("spec.clusterIPs[0]", "Invalid value: \"\(first)\": must be the same value as spec.clusterIP")
        }
        for (i, ip) in ips.enumerated() where ip != "None" && IPAddress(ip) == nil {
            invalid("spec.clusterIPs[\(i)]", "Invalid value: \"\(ip)\": must be empty, 'None', or a valid IP address")
        }
        // Cluster IPs are immutable, but for a change to or from ExternalName.
        if let old, let oldSpec = old.spec, oldSpec.type != "ExternalName", type != "ExternalName",
           let oldIP = oldSpec.clusterIP, !oldIP.isEmpty, let newIP = spec.clusterIP, newIP != oldIP {
            invalid("spec.clusterIP", "Invalid value: \"\(newIP)\": field is immutable")
        }
        if !causes.isEmpty { throw .invalid(Service.resource, name: service.name, causes: causes) }
    }

    // MARK: allocation

    private func allocate(_ outcome: inout Outcome, old: Service?) throws(Status) {
        var spec = outcome.service.spec ?? ServiceSpec()
        let type = spec.type ?? "ClusterIP"
        let oldIPs = Set(old.map(ServiceAllocator.clusterIPs(of:)) ?? [])
        let oldPorts = Set(old.map(ServiceAllocator.nodePorts(of:)) ?? [])
        func fail(_ field: String, _ message: String) -> Status {
            .invalid(Service.resource, name: outcome.service.name, causes: [StatusCause(reason: "FieldValueInvalid", message: message, field: field)])
        }

        if type == "ExternalName" {
            spec.clusterIP = nil
            spec.clusterIPs = nil
            spec.ipFamilies = nil
            spec.ipFamilyPolicy = nil
            spec.ports = spec.ports.map { $0.map { var p = $0; p.nodePort = nil; return p } }
            outcome.service.spec = spec
            return
        }

        // Families: from ipFamilies if given, else the cluster's primary (and secondary for dual stack).
        let policy = spec.ipFamilyPolicy ?? "SingleStack"
        var families: [IPFamily] = (spec.ipFamilies ?? []).compactMap { $0 == "IPv4" ? .v4 : $0 == "IPv6" ? .v6 : nil }
        if families.isEmpty, let given = spec.clusterIPs?.compactMap({ IPAddress($0)?.family }), !given.isEmpty { families = given }
        if families.isEmpty { families = [allocator.families[0]] }
        if policy != "SingleStack", families.count == 1, let other = allocator.families.first(where: { $0 != families[0] }) {
            families.append(other)
        }
        if policy == "SingleStack", families.count > 1 {
            throw fail("spec.ipFamilies", "Invalid value: \(spec.ipFamilies ?? []): when spec.ipFamilyPolicy is SingleStack, only one IP family may be given")
        }
        if policy == "RequireDualStack", Set(families).count < 2 || allocator.families.count < 2 {
            throw fail("spec.ipFamilyPolicy", "Invalid value: \"RequireDualStack\": this cluster is not configured for dual-stack services")
        }
        if policy == "PreferDualStack" { families = families.filter { allocator.range($0) != nil } }
        for family in families where allocator.range(family) == nil {
            throw fail("spec.ipFamilies", "Invalid value: \"\(family == .v4 ? "IPv4" : "IPv6")\": not configured on this cluster")
        }
        spec.ipFamilies = families.map { $0 == .v4 ? "IPv4" : "IPv6" }
        spec.ipFamilyPolicy = policy

        if spec.clusterIP == "None" {
            spec.clusterIPs = ["None"]
        } else {
            var assigned: [String] = []
            let requested = spec.clusterIPs ?? []
            for (i, family) in families.enumerated() {
                if i < requested.count, !requested[i].isEmpty {
                    guard let ip = IPAddress(requested[i]), ip.family == family else {
                        throw fail("spec.clusterIPs[\(i)]", "Invalid value: \"\(requested[i])\": expected an \(family == .v4 ? "IPv4" : "IPv6") address")
                    }
                    guard let range = allocator.range(family), range.contains(ip), ip != range.first,
                          family == .v6 || ip != range.last else {
                        throw fail("spec.clusterIPs[\(i)]", "Invalid value: \"\(ip)\": provided IP is not in the valid range. The range of valid IPs is \(allocator.range(family).map(String.init(describing:)) ?? "none")")
                    }
                    if !oldIPs.contains(ip) {
                        guard allocator.reserve(ip) else {
                            throw fail("spec.clusterIPs[\(i)]", "Invalid value: \"\(ip)\": provided IP is already allocated")
                        }
                        outcome.reservedAddresses.append(ip)
                    }
                    assigned.append(ip.description)
                } else {
                    guard let ip = allocator.allocate(family) else {
                        throw Status(code: 500, reason: "InternalError",
                                     message: "Internal error occurred: failed to allocate a serviceIP: range is full")
                    }
                    outcome.reservedAddresses.append(ip)
                    assigned.append(ip.description)
                }
            }
            spec.clusterIPs = assigned
            spec.clusterIP = assigned.first
        }

        let needsNodePorts = type == "NodePort" || (type == "LoadBalancer" && spec.allocateLoadBalancerNodePorts != false)
        var ports = spec.ports ?? []
        var usedHere = Set<Int>()
        for i in ports.indices {
            if type == "ClusterIP" { ports[i].nodePort = nil; continue }
            if let given = ports[i].nodePort.map(Int.init) {
                if !oldPorts.contains(given), !usedHere.contains(given) {
                    guard allocator.reserve(port: given) else {
                        throw fail("spec.ports[\(i)].nodePort", "Invalid value: \(given): provided port is already allocated")
                    }
                    outcome.reservedPorts.append(given)
                }
                usedHere.insert(given)
            } else if needsNodePorts {
                guard let port = allocator.allocatePort() else {
                    throw Status(code: 500, reason: "InternalError", message: "Internal error occurred: failed to allocate a nodePort: range is full")
                }
                outcome.reservedPorts.append(port)
                usedHere.insert(port)
                ports[i].nodePort = Int32(port)
            }
        }
        if spec.ports != nil { spec.ports = ports }

        if type == "LoadBalancer", spec.externalTrafficPolicy == "Local" {
            if let given = spec.healthCheckNodePort.map(Int.init) {
                if !oldPorts.contains(given) {
                    guard allocator.reserve(port: given) else {
                        throw fail("spec.healthCheckNodePort", "Invalid value: \(given): provided port is already allocated")
                    }
                    outcome.reservedPorts.append(given)
                }
            } else {
                guard let port = allocator.allocatePort() else {
                    throw Status(code: 500, reason: "InternalError", message: "Internal error occurred: failed to allocate a nodePort: range is full")
                }
                outcome.reservedPorts.append(port)
                spec.healthCheckNodePort = Int32(port)
            }
        } else {
            spec.healthCheckNodePort = nil
        }
        outcome.service.spec = spec
    }
}
