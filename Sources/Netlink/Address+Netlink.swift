#if canImport(Glibc)
import Glibc
#endif
internal import CMnl
import NetAddr

extension RTNetlink {
    /// Adds an address. `noDAD` skips IPv6 duplicate address detection (`IFA_F_NODAD`).
    /// Equivalent to `ip addr add PREFIX dev INDEX [nodad] [label LABEL]`.
    public func addrAdd(_ prefix: IPPrefix, index: Int, noDAD: Bool = false, label: String? = nil,
                        scope: Scope = .universe) throws(NetlinkError) {
        let address = Address(prefix: prefix, index: index, scope: scope, flags: noDAD ? .noDAD : [], label: label)
        if let label, label.utf8.count > 15 {
            throw NetlinkError("RTM_NEWADDR", address.description, errno: EINVAL, kernelMessage: "label too long")
        }
        try execute("RTM_NEWADDR", { describe(address) }, flags: NLM_F_CREATE | NLM_F_EXCL,
                    type: Int32(RTM_NEWADDR)) { address.encode($0) }
    }

    /// Removes an address. Equivalent to `ip addr del PREFIX dev INDEX`.
    public func addrDel(_ prefix: IPPrefix, index: Int) throws(NetlinkError) {
        let address = Address(prefix: prefix, index: index)
        try execute("RTM_DELADDR", { describe(address) }, type: Int32(RTM_DELADDR)) { address.encode($0) }
    }

    /// Addresses, optionally only of one family and/or one interface.
    /// Equivalent to `ip [-4|-6] addr show [dev INDEX]`.
    public func addrList(family: IPFamily? = nil, index: Int? = nil) throws(NetlinkError) -> [Address] {
        var result: [Address] = []
        try execute("RTM_GETADDR", { "dump" }, flags: NLM_F_DUMP, type: Int32(RTM_GETADDR), build: { m in
            m.header(ifaddrmsg(ifa_family: UInt8(family?.rawValue ?? Int(AF_UNSPEC)), ifa_prefixlen: 0,
                               ifa_flags: 0, ifa_scope: 0, ifa_index: 0))
        }) { msg in
            guard let a = Address(parsing: msg) else { return }
            if let family, a.family != family { return }
            if let index, a.index != index { return }
            result.append(a)
        }
        return result
    }

    private func describe(_ a: Address) -> String { "\(a.prefix) dev \(interfaceName(a.index))" }

    /// The name of `index` for error messages, or `#INDEX` when it cannot be read.
    func interfaceName(_ index: Int) -> String {
        (try? linkGet(index: index))??.name ?? "#\(index)"
    }
}

extension Address {
    func encode(_ m: MessageWriter) {
        m.header(ifaddrmsg(ifa_family: UInt8(prefix.family.rawValue), ifa_prefixlen: UInt8(prefix.length),
                           ifa_flags: UInt8(truncatingIfNeeded: flags.rawValue), ifa_scope: scope.rawValue,
                           ifa_index: UInt32(index)))
        // As iproute2: IFA_LOCAL is the address, IFA_ADDRESS the same (no peer).
        m.put(IFA_LOCAL, address: prefix.address)
        m.put(IFA_ADDRESS, address: prefix.address)
        if !flags.isEmpty { m.put(IFA_FLAGS, flags.rawValue) }
        if let label { m.put(IFA_LABEL, string: label) }
    }

    /// Decodes an `RTM_NEWADDR` message; nil for anything else.
    init?(parsing msg: Message) {
        guard msg.type == Int32(RTM_NEWADDR), let h = msg.header(ifaddrmsg.self) else { return nil }
        var local: IPAddress?, address: IPAddress?, flags = UInt32(h.ifa_flags), label: String?
        msg.forEachAttribute(after: ifaddrmsg.self) { a in
            switch a.type {
            case IFA_LOCAL: local = a.address
            case IFA_ADDRESS: address = a.address
            case IFA_FLAGS: flags = a.u32 ?? flags
            case IFA_LABEL: label = a.string
            default: break
            }
        }
        // On point-to-point links IFA_ADDRESS is the peer; IFA_LOCAL is ours when present.
        guard let ip = local ?? address, Int(h.ifa_prefixlen) <= ip.bitWidth else { return nil }
        self.init(prefix: IPPrefix(address: ip, length: Int(h.ifa_prefixlen)), index: Int(h.ifa_index),
                  scope: Scope(rawValue: h.ifa_scope), flags: AddressFlags(rawValue: flags), label: label)
    }
}
