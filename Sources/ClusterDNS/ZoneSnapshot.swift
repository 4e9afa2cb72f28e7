import DNSWire
import NetAddr

/// One immutable version of the cluster zone: every name that exists, with its RRsets
/// already in wire form. Built from a `ClusterState` off the query path; server threads
/// only read it.
public final class ZoneSnapshot: Sendable {
    public let options: ZoneOptions
    let table: NameTable
    /// The zone's SOA from TYPE onward (owner written as a pointer per response).
    let soaRest: [UInt8]
    public let synced: Bool
    public let serial: UInt32
    /// Number of names in the table (empty non-terminals included).
    public var nameCount: Int { table.count }
    /// Pod IP → namespace, for autopath.
    let podNamespaces: [IPAddress: String]

    init(options: ZoneOptions, table: NameTable, soaRest: [UInt8], synced: Bool, serial: UInt32,
         podNamespaces: [IPAddress: String]) {
        self.options = options
        self.table = table
        self.soaRest = soaRest
        self.synced = synced
        self.serial = serial
        self.podNamespaces = podNamespaces
    }

    /// The namespace of the pod with address `ip`, if known.
    public func namespace(ofPod ip: IPAddress) -> String? { podNamespaces[ip] }

    /// Builds the snapshot of `state`. Deterministic for a given state and serial.
    public static func build(_ state: ClusterState, options: ZoneOptions, serial: UInt32) -> ZoneSnapshot {
        var b = ZoneBuilder(options: options)
        b.build(state)
        let z = b.zone
        let soa = RecordEncoder.soaRest(mname: RecordEncoder.name(["ns", "dns"] + b.zoneLabels)!,
                                        rname: RecordEncoder.name(["hostmaster"] + b.zoneLabels)!,
                                        serial: serial, ttl: options.ttl)
        b.table.add(z, type: .soa, rr: [0xC0, 0x0C] + soa)
        var podNS: [IPAddress: String] = [:]
        for (key, p) in state.pods {
            let ns = String(key.prefix { $0 != "/" })
            for ip in p.ips { podNS[ip] = ns }
        }
        return ZoneSnapshot(options: options, table: b.table.build(), soaRest: soa, synced: state.synced,
                            serial: serial, podNamespaces: podNS)
    }
}

/// Turns `ClusterState` into `NameTable` entries (Kubernetes DNS specification 1.1.0).
struct ZoneBuilder {
    let options: ZoneOptions
    let zoneLabels: [String]
    let zone: [UInt8]
    var table = NameTableBuilder()
    var ttl: UInt32 { options.ttl }

    init(options: ZoneOptions) {
        self.options = options
        zoneLabels = options.zoneLabels
        zone = RecordEncoder.name(zoneLabels)!
    }

    mutating func build(_ state: ClusterState) {
        table.add(zone, type: .ns, rr: RecordEncoder.rr(.ns, ttl: ttl, rdata: RecordEncoder.name(["ns", "dns"] + zoneLabels)!))
        table.add(RecordEncoder.name(["dns-version"] + zoneLabels)!, type: .txt, rr: RecordEncoder.txt("1.1.0", ttl: ttl))
        table.touch(RecordEncoder.name(["svc"] + zoneLabels)!)
        var namespaces = state.namespaces
        for key in state.services.keys { namespaces.insert(String(key.prefix { $0 != "/" })) }
        if options.pods != .disabled {
            table.touch(RecordEncoder.name(["pod"] + zoneLabels)!)
            for key in state.pods.keys { namespaces.insert(String(key.prefix { $0 != "/" })) }
        }
        for ns in namespaces where options.serves(namespace: ns) {
            if let n = RecordEncoder.name([ns, "svc"] + zoneLabels) { table.touch(n) }
            if options.pods != .disabled, let n = RecordEncoder.name([ns, "pod"] + zoneLabels) { table.touch(n) }
        }
        // Pods that ask for `hostname.subdomain` records, by "namespace/subdomain".
        var bySubdomain: [String: [ClusterState.PodInfo]] = [:]
        for (key, p) in state.pods {
            let ns = key.prefix { $0 != "/" }
            if options.pods == .verified && options.serves(namespace: String(ns)) {
                for ip in p.ips { addPod(ip, namespace: String(ns)) }
            }
            if let sub = p.subdomain, p.hostname != nil, !p.ips.isEmpty {
                bySubdomain["\(ns)/\(sub)", default: []].append(p)
            }
        }
        for (key, svc) in state.services {
            let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
            guard parts.count == 2, options.serves(namespace: parts[0]),
                  let owner = RecordEncoder.name([parts[1], parts[0], "svc"] + zoneLabels) else { continue }
            switch svc.kind {
            case .clusterIP(let ips):
                addClusterIP(owner, ips: ips, ports: svc.ports)
            case .externalName(let target):
                if let t = RecordEncoder.name([target.hasSuffix(".") ? String(target.dropLast()) : target]) {
                    table.add(owner, type: .cname, rr: RecordEncoder.rr(.cname, ttl: ttl, rdata: t))
                }
            case .headless:
                let slices = (state.slicesByService[key] ?? []).sorted().compactMap { state.slices[$0] }
                addHeadless(owner, slices: slices, publishNotReady: svc.publishNotReady,
                            pods: bySubdomain[key] ?? [])
            }
        }
        addAncestors()
    }

    mutating func addClusterIP(_ owner: [UInt8], ips: [IPAddress], ports: [ClusterState.Port]) {
        table.touch(owner)
        for ip in ips {
            let (t, rr) = RecordEncoder.address(ip, ttl: ttl)
            table.add(owner, type: t, rr: rr)
            table.add(RecordEncoder.reverseName(ip), type: .ptr, rr: RecordEncoder.rr(.ptr, ttl: ttl, rdata: owner))
        }
        for p in ports {
            guard let n = srvName(p, owner) else { continue }
            table.add(n, type: .srv, rr: RecordEncoder.srv(port: p.port, target: owner, ttl: ttl))
        }
    }

    func srvName(_ p: ClusterState.Port, _ owner: [UInt8]) -> [UInt8]? {
        guard let prefix = RecordEncoder.name(["_" + p.name, "_" + p.proto.lowercased()]) else { return nil }
        let n = prefix.dropLast() + owner
        return n.count <= 255 ? Array(n) : nil
    }

    mutating func addHeadless(_ owner: [UInt8], slices: [ClusterState.SliceInfo], publishNotReady: Bool,
                              pods: [ClusterState.PodInfo]) {
        var seen = Set<IPAddress>()
        for slice in slices {
            for e in slice.endpoints where e.ready || publishNotReady {
                guard seen.insert(e.address).inserted else { continue }
                let label = endpointLabel(e)
                guard let host = RecordEncoder.name([label]).map({ Array($0.dropLast()) + owner }),
                      host.count <= 255 else { continue }
                let (t, rr) = RecordEncoder.address(e.address, ttl: ttl)
                table.add(owner, type: t, rr: rr)
                table.add(host, type: t, rr: rr)
                table.add(RecordEncoder.reverseName(e.address), type: .ptr, rr: RecordEncoder.rr(.ptr, ttl: ttl, rdata: host))
                for p in slice.ports {
                    guard let n = srvName(p, owner) else { continue }
                    table.add(n, type: .srv, rr: RecordEncoder.srv(port: p.port, target: host, ttl: ttl))
                }
            }
        }
        // A headless Service with no (ready) endpoints does not exist: NXDOMAIN.
        guard !seen.isEmpty else { return }
        for p in pods {
            guard let h = p.hostname, let host = RecordEncoder.name([h]).map({ Array($0.dropLast()) + owner }),
                  host.count <= 255 else { continue }
            for ip in p.ips {
                let (t, rr) = RecordEncoder.address(ip, ttl: ttl)
                table.add(host, type: t, rr: rr)
            }
        }
    }

    func endpointLabel(_ e: ClusterState.EndpointInfo) -> String {
        if let h = e.hostname, !h.isEmpty, h.utf8.count <= 63 { return h }
        if options.endpointNames == .podName, let p = e.podName, !p.isEmpty, p.utf8.count <= 63 { return p }
        return RecordEncoder.ipLabel(e.address)
    }

    mutating func addPod(_ ip: IPAddress, namespace: String) {
        guard let n = RecordEncoder.name([RecordEncoder.ipLabel(ip), namespace, "pod"] + zoneLabels) else { return }
        let (t, rr) = RecordEncoder.address(ip, ttl: ttl)
        table.add(n, type: t, rr: rr)
    }

    /// Every name between a record's owner and the zone exists (an empty non-terminal
    /// answers NODATA, not NXDOMAIN: RFC 8020). Reverse names are not in the zone.
    mutating func addAncestors() {
        let keys = table.entries.keys.filter { $0.count > zone.count && $0.suffix(zone.count).elementsEqual(zone) }
        for k in keys {
            var p = RecordEncoder.parent(k)
            while let q = p, q.count > zone.count {
                table.touch(q)
                p = RecordEncoder.parent(q)
            }
        }
    }
}
