import DNSWire
import Synchronization

/// A bounded cache of upstream responses (never of cluster-zone answers). Entries keep
/// the response bytes and age their TTLs on the way out; the oldest entry goes first
/// when the cache is full.
public final class ResponseCache: Sendable {
    public struct Limits: Sendable {
        public var capacity: Int
        public var maxTTL: UInt32
        public var maxNegativeTTL: UInt32
        public init(capacity: Int = 10_000, maxTTL: UInt32 = 3600, maxNegativeTTL: UInt32 = 1800) {
            self.capacity = capacity
            self.maxTTL = maxTTL
            self.maxNegativeTTL = maxNegativeTTL
        }
    }

    struct Key: Hashable, Sendable {
        var name: DNSName
        var type: UInt16
        var `class`: UInt16
        var dnssecOK: Bool
        var checkingDisabled: Bool

        init(_ q: DNSQuery) {
            name = q.question.name.lowercased()
            type = q.question.type.rawValue
            self.class = q.question.class.rawValue
            dnssecOK = q.edns?.dnssecOK ?? false
            checkingDisabled = q.header.checkingDisabled
        }
    }

    struct Entry: Sendable {
        var bytes: [UInt8]
        var ttlOffsets: [Int]
        var stored: ContinuousClock.Instant
        var ttl: UInt32
    }

    struct State: ~Copyable {
        var entries: [Key: Entry] = [:]
        var order: [Key] = []
        var head = 0
    }

    public let limits: Limits
    let state = Mutex(State())

    public init(limits: Limits = Limits()) { self.limits = limits }

    public var count: Int { state.withLock { $0.entries.count } }

    /// Stores `response` (upstream bytes) for `query` if it is cacheable: NOERROR with
    /// answers (min TTL), or NXDOMAIN/NODATA with an SOA (negative TTL); never truncated.
    func store(_ response: [UInt8], for query: DNSQuery) {
        guard limits.capacity > 0, let scan = MessageScan(response), !scan.truncated else { return }
        let ttl: UInt32
        if scan.rcode == 0 && scan.answers > 0, let t = scan.minTTL {
            ttl = min(t, limits.maxTTL)
        } else if scan.rcode == 0 || scan.rcode == 3, let t = scan.negativeTTL {
            ttl = min(t, limits.maxNegativeTTL)
        } else {
            return
        }
        guard ttl > 0 else { return }
        let key = Key(query)
        let entry = Entry(bytes: response, ttlOffsets: scan.ttlOffsets, stored: .now, ttl: ttl)
        state.withLock { s in
            if s.entries.updateValue(entry, forKey: key) != nil { return }
            if s.order.count < limits.capacity {
                s.order.append(key)
            } else {
                s.entries[s.order[s.head]] = nil
                s.order[s.head] = key
                s.head = (s.head + 1) % s.order.count
            }
        }
    }

    /// A cached response for `query` with TTLs aged and the query's id, or nil.
    func lookup(_ query: DNSQuery) -> [UInt8]? {
        let key = Key(query)
        let now = ContinuousClock.now
        guard let e = state.withLock({ $0.entries[key] }) else { return nil }
        let age = now - e.stored
        let aged = UInt32(clamping: age.components.seconds)
        guard aged < e.ttl else { return nil }
        var out = e.bytes
        for o in e.ttlOffsets {
            let t = UInt32(out[o]) << 24 | UInt32(out[o + 1]) << 16 | UInt32(out[o + 2]) << 8 | UInt32(out[o + 3])
            let n = t > aged ? t - aged : 0
            out[o] = UInt8(n >> 24); out[o + 1] = UInt8((n >> 16) & 0xFF)
            out[o + 2] = UInt8((n >> 8) & 0xFF); out[o + 3] = UInt8(n & 0xFF)
        }
        return out
    }
}
