/// A domain name in uncompressed wire form (length-prefixed labels ending in the root
/// label), stored inline: building, copying and comparing one never allocates.
///
/// `==` compares bytes exactly, so a name keeps the case it arrived with (RFC 4343: echo
/// the question as asked). Use `matches(_:)` / `lowercased()` for DNS comparisons.
public struct DNSName: Hashable, Sendable, CustomStringConvertible {
    /// Longest name in wire form, root label included (RFC 1035 §2.3.4).
    public static let maxWireLength = 255
    /// Longest label (RFC 1035 §2.3.4).
    public static let maxLabelLength = 63

    @usableFromInline var storage: InlineArray<255, UInt8>
    @usableFromInline var length: UInt8

    /// The root name `.`.
    public static let root = DNSName()

    /// The root name `.`.
    public init() {
        storage = InlineArray(repeating: 0)
        length = 1
    }

    /// Parses a text name such as `"kube-dns.kube-system.svc.cluster.local."`.
    /// A missing final dot is accepted; `\.`, `\\` and `\DDD` escapes are understood.
    public init(_ text: String) throws(DNSWireError) {
        self.init()
        length = 0
        let chars = Array(text.utf8)
        if chars == [UInt8(ascii: ".")] { length = 1; return }
        var label: [UInt8] = []
        var i = 0
        func flush(_ at: Int) throws(DNSWireError) {
            if label.isEmpty { throw DNSWireError(.badName, at: at) }
            if label.count > DNSName.maxLabelLength { throw DNSWireError(.labelTooLong, at: at) }
            if Int(length) + 1 + label.count + 1 > DNSName.maxWireLength { throw DNSWireError(.nameTooLong, at: at) }
            storage[Int(length)] = UInt8(label.count)
            for (k, b) in label.enumerated() { storage[Int(length) + 1 + k] = b }
            length += UInt8(1 + label.count)
            label.removeAll(keepingCapacity: true)
        }
        while i < chars.count {
            let c = chars[i]
            if c == UInt8(ascii: ".") {
                try flush(i)
                i += 1
            } else if c == UInt8(ascii: "\\") {
                guard i + 1 < chars.count else { throw DNSWireError(.badName, at: i) }
                let d = chars[i + 1]
                if d >= 0x30 && d <= 0x39 {
                    guard i + 3 < chars.count else { throw DNSWireError(.badName, at: i) }
                    var v = 0
                    for k in 1...3 {
                        let x = chars[i + k]
                        guard x >= 0x30 && x <= 0x39 else { throw DNSWireError(.badName, at: i + k) }
                        v = v * 10 + Int(x - 0x30)
                    }
                    guard v <= 255 else { throw DNSWireError(.badName, at: i) }
                    label.append(UInt8(v))
                    i += 4
                } else {
                    label.append(d)
                    i += 2
                }
            } else {
                label.append(c)
                i += 1
            }
        }
        if !label.isEmpty { try flush(chars.count) }
        storage[Int(length)] = 0
        length += 1
    }

    /// Length in wire form, root label included (1 for the root).
    public var wireLength: Int { Int(length) }

    /// Byte `i` of the wire form.
    @inlinable public subscript(wire i: Int) -> UInt8 { storage[i] }

    /// Number of labels, not counting the root.
    public var labelCount: Int {
        var n = 0, i = 0
        while storage[i] != 0 { n += 1; i += 1 + Int(storage[i]) }
        return n
    }

    /// Case-insensitive equality (ASCII only, RFC 4343 §3).
    public func matches(_ other: DNSName) -> Bool {
        guard length == other.length else { return false }
        for i in 0..<Int(length) where DNSName.fold(storage[i]) != DNSName.fold(other.storage[i]) {
            return false
        }
        return true
    }

    /// True if this name equals `zone` or lies below it, ignoring ASCII case.
    public func isSubdomain(of zone: DNSName) -> Bool {
        var i = 0
        let skip = Int(length) - Int(zone.length)
        guard skip >= 0 else { return false }
        while i < skip { i += 1 + Int(storage[i]) }  // walk label boundaries only
        guard i == skip else { return false }
        for k in 0..<Int(zone.length) where DNSName.fold(storage[skip + k]) != DNSName.fold(zone.storage[k]) {
            return false
        }
        return true
    }

    /// The same name with ASCII letters lowered: a key for case-insensitive tables.
    public func lowercased() -> DNSName {
        var copy = self
        for i in 0..<Int(length) { copy.storage[i] = DNSName.fold(storage[i]) }
        return copy
    }

    @inline(__always) static func fold(_ b: UInt8) -> UInt8 {
        (b >= 0x41 && b <= 0x5A) ? b | 0x20 : b
    }

    /// Dotted text with a final dot; bytes outside printable ASCII and `.`/`\` escaped.
    public var description: String {
        if length <= 1 { return "." }
        var out = ""
        var i = 0
        while storage[i] != 0 {
            let n = Int(storage[i])
            for k in 1...n {
                let b = storage[i + k]
                if b == UInt8(ascii: ".") || b == UInt8(ascii: "\\") {
                    out += "\\" + String(UnicodeScalar(b))
                } else if b > 0x20 && b < 0x7F {
                    out.unicodeScalars.append(UnicodeScalar(b))
                } else {
                    let s = String(b)
                    out += "\\" + String(repeating: "0", count: 3 - s.count) + s
                }
            }
            out += "."
            i += 1 + n
        }
        return out
    }

    public static func == (a: DNSName, b: DNSName) -> Bool {
        guard a.length == b.length else { return false }
        for i in 0..<Int(a.length) where a.storage[i] != b.storage[i] { return false }
        return true
    }

    public func hash(into h: inout Hasher) {
        for i in 0..<Int(length) { h.combine(storage[i]) }
    }
}

extension DNSName: ExpressibleByStringLiteral {
    /// For literals in code and tests; traps on an invalid literal.
    public init(stringLiteral value: String) {
        do { try self.init(value) } catch { preconditionFailure("invalid DNS name literal \(value): \(error)") }
    }
}
