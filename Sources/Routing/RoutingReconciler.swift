import NetAddr
import Netlink

/// What one reconciliation pass changed, in the order it did it, and what failed.
public struct ReconcileReport: Sendable, Equatable {
    public var changes: [String] = []
    public var errors: [RoutingError] = []
    public init() {}
}

/// Applies a `RoutingPlan` to the kernel, idempotently.
///
/// - Ownership: routes carrying `config.routeProtocol`, and the VTEP device named
///   `config.vtepName` with every neighbour and FDB entry on it. Nothing else is touched.
/// - Order: FDB and neighbour entries before the routes that need them; stale routes before
///   the stale neighbour and FDB entries they used. Packets never hit a route whose next hop
///   cannot be resolved.
/// - Level-triggered: each pass diffs the whole desired state against a fresh dump, so an
///   entry deleted by hand is back after the next pass.
///
/// Not thread-safe: one pass at a time (`NodeRouter` serialises them).
public final class RoutingReconciler: @unchecked Sendable {
    public let kernel: any RoutingKernel
    public let config: RoutingConfig
    /// The VTEP as last created by this process: options the kernel cannot be asked for
    /// (VNI, port, local address) are compared against it.
    private var applied: VTEP?

    public init(kernel: any RoutingKernel, config: RoutingConfig) {
        self.kernel = kernel
        self.config = config
    }

    private var proto: RouteProtocol { RouteProtocol(rawValue: config.routeProtocol) }

    /// One pass: VTEP, then the add phase, then the delete phase. Keeps going past errors.
    public func apply(_ plan: RoutingPlan) -> ReconcileReport {
        var report = ReconcileReport()
        var vtepIndex: Int?
        if let vtep = plan.vtep {
            var changes: [String] = []
            vtepIndex = step(&report, "vtep", vtep.name) { () throws(NetlinkError) in try ensureVTEP(vtep, &changes) }
            report.changes += changes
            guard vtepIndex != nil else { return report }
        }
        var devices: [String: Int] = [:]
        if let vtep = plan.vtep, let vtepIndex { devices[vtep.name] = vtepIndex }
        for name in Set(plan.routes.map(\.device)) where devices[name] == nil {
            devices[name] = step(&report, "get link", name) { () throws(NetlinkError) in try kernel.linkGet(named: name)?.index } ?? nil
        }
        let ours = step(&report, "list routes", "proto \(proto)") { () throws(NetlinkError) in
            try kernel.routeList(family: nil, table: Route.mainTable).filter { $0.proto == proto }
        } ?? []
        let wantedRoutes = plan.routes.compactMap { r in
            devices[r.device].map { Route(destination: r.destination, gateway: r.gateway, outputIndex: $0, isOnLink: r.onLink, proto: proto) }
        }
        var staleNeighbors: [Neighbor] = [], staleFDB: [FDBEntry] = []
        if let vtep = plan.vtep, let index = vtepIndex {
            let wantedFDB = plan.fdb.map { FDBEntry(mac: $0.mac, index: index, destination: $0.destination, state: .permanent, flags: .self_) }
            let wantedNeighbors = plan.neighbors.map { Neighbor(address: $0.address, index: index, mac: $0.mac, state: .permanent) }
            let fdb = step(&report, "list fdb", vtep.name) { () throws(NetlinkError) in
                try kernel.fdbList(index: index, masterIndex: nil).filter { $0.destination != nil }
            } ?? []
            let neighbors = step(&report, "list neighbours", vtep.name) { () throws(NetlinkError) in
                try kernel.neighList(family: nil, index: index).filter { $0.state.contains(.permanent) }
            } ?? []
            for e in wantedFDB where !fdb.contains(where: { $0.mac == e.mac && $0.destination == e.destination }) {
                change(&report, "add fdb \(e.mac) dst \(e.destination!)") { () throws(NetlinkError) in try kernel.fdbReplace(e) }
            }
            for n in wantedNeighbors where !neighbors.contains(where: { $0.address == n.address && $0.mac == n.mac }) {
                change(&report, "add neigh \(n.address) lladdr \(n.mac!)") { () throws(NetlinkError) in try kernel.neighReplace(n) }
            }
            staleFDB = fdb.filter { e in !wantedFDB.contains { $0.mac == e.mac && $0.destination == e.destination } }
            staleNeighbors = neighbors.filter { n in !wantedNeighbors.contains { $0.address == n.address } }
        }
        for r in wantedRoutes where !ours.contains(where: { Self.sameRoute($0, r) }) {
            change(&report, "add route \(describe(r, plan))") { () throws(NetlinkError) in try kernel.routeReplace(r) }
        }
        for r in ours where !wantedRoutes.contains(where: { $0.destination == r.destination }) {
            change(&report, "del route \(r.destination)") { () throws(NetlinkError) in try kernel.routeDel(r) }
        }
        for n in staleNeighbors {
            change(&report, "del neigh \(n.address)") { () throws(NetlinkError) in try kernel.neighDel(n.address, index: n.index) }
        }
        for e in staleFDB {
            change(&report, "del fdb \(e.mac) dst \(e.destination!)") { () throws(NetlinkError) in try kernel.fdbDel(e) }
        }
        if plan.vtep == nil { removeVTEP(&report) }
        return report
    }

    /// Removes everything this daemon owns: its routes, then the VTEP (with its entries).
    public func removeAll() -> ReconcileReport {
        var report = ReconcileReport()
        let ours = step(&report, "list routes", "proto \(proto)") { () throws(NetlinkError) in
            try kernel.routeList(family: nil, table: Route.mainTable).filter { $0.proto == proto }
        } ?? []
        for r in ours {
            change(&report, "del route \(r.destination)") { () throws(NetlinkError) in try kernel.routeDel(r) }
        }
        removeVTEP(&report)
        return report
    }

    static func sameRoute(_ a: Route, _ b: Route) -> Bool {
        a.destination == b.destination && a.gateway == b.gateway && a.outputIndex == b.outputIndex && a.isOnLink == b.isOnLink
    }

    private func describe(_ r: Route, _ plan: RoutingPlan) -> String {
        let device = plan.routes.first { $0.destination == r.destination }?.device ?? "?"
        return "\(r.destination) via \(r.gateway!) dev \(device)\(r.isOnLink ? " onlink" : "")"
    }

    // MARK: VTEP

    private func ensureVTEP(_ vtep: VTEP, _ changes: inout [String]) throws(NetlinkError) -> Int {
        var link = try kernel.linkGet(named: vtep.name)
        if let existing = link {
            guard existing.kind == "vxlan" else {
                throw NetlinkError("vtep", vtep.name, errno: 17, kernelMessage: "exists but is a \(existing.kind ?? "device of unknown kind"), not vxlan")
            }
            if let applied, applied.vni != vtep.vni || applied.port != vtep.port || applied.local != vtep.local || applied.underlay != vtep.underlay {
                try kernel.linkDel(index: existing.index)
                changes.append("del vtep \(vtep.name) (options changed)")
                link = nil
            }
        }
        if link == nil {
            guard let underlay = try kernel.linkGet(named: vtep.underlay) else {
                throw NetlinkError("vtep", vtep.name, errno: 19, kernelMessage: "underlay \(vtep.underlay) not found")
            }
            let options = VXLANOptions(vni: vtep.vni, local: vtep.local, underlayIndex: underlay.index, port: vtep.port, learning: false)
            try kernel.linkAdd(.vxlan(name: vtep.name, mtu: vtep.mtu, mac: vtep.mac, options))
            changes.append("add \(vtep)")
            link = try kernel.linkGet(named: vtep.name)
        }
        guard let link else { throw NetlinkError("vtep", vtep.name, errno: 19, kernelMessage: "vanished after creation") }
        applied = vtep
        if link.mtu != vtep.mtu {
            try kernel.linkSetMTU(index: link.index, vtep.mtu)
            changes.append("set \(vtep.name) mtu \(vtep.mtu)")
        }
        if link.mac != vtep.mac {
            try kernel.linkSetMAC(index: link.index, vtep.mac)
            changes.append("set \(vtep.name) address \(vtep.mac)")
        }
        if !link.isUp {
            try kernel.linkSetUp(index: link.index)
            changes.append("set \(vtep.name) up")
        }
        let addresses = try kernel.addrList(family: nil, index: link.index).filter { $0.scope == .universe }
        for a in vtep.addresses where !addresses.contains(where: { $0.prefix == a }) {
            try kernel.addrAdd(a, index: link.index, noDAD: true, label: nil, scope: .universe)
            changes.append("add address \(a) dev \(vtep.name)")
        }
        for a in addresses where !vtep.addresses.contains(a.prefix) {
            try kernel.addrDel(a.prefix, index: link.index)
            changes.append("del address \(a.prefix) dev \(vtep.name)")
        }
        return link.index
    }

    private func removeVTEP(_ report: inout ReconcileReport) {
        guard let link = step(&report, "get link", config.vtepName, { () throws(NetlinkError) in try kernel.linkGet(named: config.vtepName) }) ?? nil,
              link.kind == "vxlan" else { return }
        change(&report, "del vtep \(config.vtepName)") { () throws(NetlinkError) in try kernel.linkDel(index: link.index) }
        applied = nil
    }

    // MARK: Error funnel

    private func step<T>(_ report: inout ReconcileReport, _ operation: String, _ object: String,
                         _ body: () throws(NetlinkError) -> T) -> T? {
        do { return try body() } catch {
            report.errors.append(RoutingError(operation, object, "\(error)"))
            return nil
        }
    }

    /// A write: recorded as a change when it worked; a missing object on delete is fine.
    private func change(_ report: inout ReconcileReport, _ what: String, _ body: () throws(NetlinkError) -> Void) {
        do {
            try body()
            report.changes.append(what)
        } catch where error.isNotFound && what.hasPrefix("del ") {
            return
        } catch {
            report.errors.append(RoutingError("apply", what, "\(error)"))
        }
    }
}
