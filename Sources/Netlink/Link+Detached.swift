#if canImport(Glibc)
import Glibc
#endif
internal import CMnl

extension RTNetlink {
    /// Deletes link `index`, returning as soon as the kernel has unregistered it (it is gone
    /// from the namespace, its name is free and `RTM_DELLINK` has been broadcast).
    ///
    /// The kernel answers an `RTM_DELLINK` request only after `rcu_barrier()` in
    /// `netdev_run_todo` (about 20 ms per veth on Linux 6.18 here), which is memory reclamation
    /// the caller does not need to wait for. So the request is sent by a short-lived grandchild
    /// process on its own socket (double fork: no zombie, stdio closed so a runtime reading
    /// our stdout sees EOF), while this process waits for the unregistration event.
    ///
    /// Only for single-threaded processes such as a CNI plugin binary: the child runs Swift
    /// code after `fork`. Equivalent in effect to `ip link del dev INDEX`.
    public func linkDelUnregistered(index: Int, timeout: Duration = .seconds(5)) throws(NetlinkError) {
        let sender = try RTNetlink(entering: netns, groups: [])
        let child = fork()
        if child == 0 {
            let grandchild = fork()
            if grandchild == 0 {
                let null = open("/dev/null", O_RDWR)
                if null >= 0 { dup2(null, 0); dup2(null, 1); dup2(null, 2) }
                _ = try? sender.linkDel(index: index)
                _exit(0)
            }
            _exit(grandchild < 0 ? 1 : 0)
        }
        var status: Int32 = 0
        if child > 0 { while waitpid(child, &status, 0) < 0 && errno == EINTR {} }
        if child < 0 || status != 0 {
            // No process to hand the request to: do it here and wait the full time.
            try linkDel(index: index)
            return
        }
        try waitFor("wait link gone", "#\(index)", groups: [UInt32(RTNLGRP_LINK.rawValue)], timeout: timeout,
                    current: { () throws(NetlinkError) in try linkGet(index: index) == nil ? () : nil },
                    event: { msg in
                        // Link(parsing:) reads RTM_NEWLINK only; a deletion is recognized by its header.
                        guard msg.type == Int32(RTM_DELLINK), let h = msg.header(ifinfomsg.self) else { return nil }
                        return Int(h.ifi_index) == index ? () : nil
                    })
    }
}
