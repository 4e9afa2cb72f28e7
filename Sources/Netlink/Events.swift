#if canImport(Glibc)
import Glibc
#endif
internal import CMnl
import NetAddr

extension RTNetlink {
    /// Waits until the link named `name` exists and satisfies `predicate`, and returns it.
    ///
    /// Subscribes to `RTNLGRP_LINK` on a second socket before reading the current state, so a
    /// change between the check and the wait is never lost; then `poll(2)`s to the deadline,
    /// testing every `RTM_NEWLINK`. Throws `ETIMEDOUT` (`wait link NAME: Connection timed out`).
    public func waitForLink(named name: String, timeout: Duration,
                            until predicate: (Link) -> Bool) throws(NetlinkError) -> Link {
        try validateName(name, "wait link")
        return try waitFor("wait link", name, groups: [UInt32(RTNLGRP_LINK.rawValue)], timeout: timeout,
                           current: { () throws(NetlinkError) in try linkGet(named: name).flatMap { predicate($0) ? $0 : nil } },
                           event: { msg in Link(parsing: msg).flatMap { $0.name == name && predicate($0) ? $0 : nil } })
    }

    /// Waits until the link with this index exists and satisfies `predicate`; see
    /// `waitForLink(named:timeout:until:)`.
    public func waitForLink(index: Int, timeout: Duration,
                            until predicate: (Link) -> Bool) throws(NetlinkError) -> Link {
        try waitFor("wait link", "#\(index)", groups: [UInt32(RTNLGRP_LINK.rawValue)], timeout: timeout,
                    current: { () throws(NetlinkError) in try linkGet(index: index).flatMap { predicate($0) ? $0 : nil } },
                    event: { msg in Link(parsing: msg).flatMap { $0.index == index && predicate($0) ? $0 : nil } })
    }

    /// Waits until `address` on interface `index` has finished duplicate address detection
    /// (is no longer `tentative`), subscribing to `RTNLGRP_IPV6_IFADDR`/`RTNLGRP_IPV4_IFADDR`
    /// first. Throws `EADDRNOTAVAIL` when DAD failed and `ETIMEDOUT` at the deadline.
    public func waitForAddressReady(_ address: IPAddress, index: Int,
                                    timeout: Duration) throws(NetlinkError) -> Address {
        let group = address.isIPv4 ? RTNLGRP_IPV4_IFADDR : RTNLGRP_IPV6_IFADDR
        // Settled: DAD passed or failed (a failed address stays tentative and gets dadfailed).
        let settled = { (a: Address) -> Bool in
            a.prefix.address == address && a.index == index && (!a.isTentative || a.flags.contains(.dadFailed))
        }
        let found = try waitFor("wait address", "\(address) dev #\(index)", groups: [UInt32(group.rawValue)],
                                timeout: timeout,
                                current: { () throws(NetlinkError) in
                                    try addrList(family: address.family, index: index).first(where: settled)
                                },
                                event: { msg in Address(parsing: msg).flatMap { settled($0) ? $0 : nil } })
        if found.flags.contains(.dadFailed) {
            throw NetlinkError("wait address", "\(address) dev \(interfaceName(index))", errno: EADDRNOTAVAIL,
                               kernelMessage: "duplicate address detection failed")
        }
        return found
    }

    /// The subscribe-then-check-then-poll loop shared by every wait.
    func waitFor<T>(_ operation: String, _ object: String, groups: [UInt32], timeout: Duration,
                            current: () throws(NetlinkError) -> T?,
                            event: (Message) -> T?) throws(NetlinkError) -> T {
        let events = try RTNetlink(entering: netns, groups: groups)
        let deadline = ContinuousClock.now + timeout
        if let value = try current() { return value }
        while true {
            let remaining = deadline - ContinuousClock.now
            if remaining <= .zero { throw NetlinkError(operation, object, errno: ETIMEDOUT) }
            var pfd = pollfd(fd: events.fileDescriptor, events: Int16(POLLIN), revents: 0)
            let rc = poll(&pfd, 1, Int32(clamping: milliseconds(remaining)))
            if rc < 0 && errno != EINTR { throw NetlinkError("poll", object, errno: errno) }
            if rc <= 0 { continue }
            var found: T?
            let status = events.drainEvents { msg in
                if found == nil { found = event(msg) }
            }
            if let found { return found }
            // The kernel dropped events for us (socket buffer full): re-read the state.
            if status == ENOBUFS, let value = try current() { return value }
        }
    }

    private func milliseconds(_ d: Duration) -> Int64 {
        let (seconds, attoseconds) = d.components
        return seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
    }
}
