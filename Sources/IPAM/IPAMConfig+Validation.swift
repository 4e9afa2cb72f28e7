import CNI
import FoundationEssentials
import NetAddr

// Decoding and validation of `IPAMConfig`. Every message names the field as it appears in
// the network config, so `ipam.ranges[1][0].rangeEnd: …` points at the culprit.
extension IPAMConfig {
    typealias LabelledRange = (label: String, range: AddressRange)
    typealias LabelledSet = (label: String, ranges: [LabelledRange])

    static func parse(_ set: [RangeWire], label: String) throws(CNIError) -> LabelledSet {
        var out: [LabelledRange] = []
        for (j, r) in set.enumerated() { out.append(try parse(r, label: "\(label)[\(j)]")) }
        return (label: label, ranges: out)
    }

    static func parse(_ r: RangeWire, label: String) throws(CNIError) -> LabelledRange {
        guard let text = r.subnet else { throw invalid("\(label).subnet", "missing") }
        guard let subnet = IPPrefix(text) else { throw invalid("\(label).subnet", "invalid CIDR \"\(text)\"") }
        func address(_ text: String?, _ field: String) throws(CNIError) -> IPAddress? {
            guard let text else { return nil }
            guard let a = IPAddress(text) else { throw invalid("\(label).\(field)", "invalid IP address \"\(text)\"") }
            return a
        }
        // Keep the subnet as written so `validate` can reject host bits.
        var range = AddressRange(subnet: subnet.network, rangeStart: try address(r.rangeStart, "rangeStart"),
                                 rangeEnd: try address(r.rangeEnd, "rangeEnd"), gateway: try address(r.gateway, "gateway"))
        range.subnet = subnet
        return (label: label, range: range)
    }

    static func validate(name: String, dataDir: String, sets: [LabelledSet]) throws(CNIError) {
        if let problem = networkNameProblem(name) { throw invalid("name", problem) }
        if dataDir.isEmpty { throw invalid("ipam.dataDir", "empty") }
        if sets.isEmpty { throw invalid("ipam.ranges", "no IP ranges specified") }
        for set in sets {
            guard let first = set.ranges.first else { throw invalid(set.label, "empty range set") }
            for (j, r) in set.ranges.enumerated() {
                try validate(r)
                if r.range.family != first.range.family {
                    throw invalid("\(r.label).subnet", "\(r.range.family) range in an \(first.range.family) range set (mixed address families)")
                }
                for earlier in set.ranges[..<j] where earlier.range.overlaps(r.range) {
                    throw invalid(r.label, "range \(r.range.rangeStart)-\(r.range.rangeEnd) overlaps \(earlier.label)")
                }
            }
        }
        for (i, set) in sets.enumerated() {
            for earlier in sets[..<i] where RangeSet(earlier.ranges.map(\.range)).overlaps(RangeSet(set.ranges.map(\.range))) {
                throw invalid(set.label, "range set overlaps \(earlier.label)")
            }
        }
    }

    private static func validate(_ r: LabelledRange) throws(CNIError) {
        let s = r.range.subnet, label = r.label
        if s.length > s.address.bitWidth - 2 {
            throw invalid("\(label).subnet", "network \(s) too small to allocate from")
        }
        if s != s.network {
            throw invalid("\(label).subnet", "\(s) has host bits set; the network address is \(s.network)")
        }
        func inside(_ a: IPAddress, _ field: String) throws(CNIError) {
            if !s.contains(a) { throw invalid("\(label).\(field)", "\(a) not in network \(s)") }
        }
        try inside(r.range.gateway, "gateway")
        try inside(r.range.rangeStart, "rangeStart")
        try inside(r.range.rangeEnd, "rangeEnd")
        if r.range.rangeEnd < r.range.rangeStart {
            throw invalid("\(label).rangeEnd", "\(r.range.rangeEnd) is before rangeStart \(r.range.rangeStart)")
        }
    }

    /// Why `name` cannot be a directory name under `dataDir`, or nil if it can.
    static func networkNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "empty" }
        if name == "." || name == ".." { return "\"\(name)\" cannot name a directory" }
        if name.utf8.contains(where: { $0 == UInt8(ascii: "/") || $0 == 0 }) {
            return "\"\(name)\" contains '/' or NUL"
        }
        if name.utf8.count > 255 { return "longer than 255 bytes" }
        return nil
    }
}

// The JSON shapes, all strings so that errors can name the field.
struct RangeWire: Decodable {
    var subnet: String?
    var rangeStart: String?
    var rangeEnd: String?
    var gateway: String?
}

struct NetworkConfigWire: Decodable {
    struct IPAM: Decodable {
        var subnet: String?
        var rangeStart: String?
        var rangeEnd: String?
        var gateway: String?
        var ranges: [[RangeWire]]?
        var routes: [RouteWire]?
        var dataDir: String?
        var resolvConf: String?
    }
    struct RouteWire: Decodable {
        var dst: String?
        var gw: String?
    }
    struct Args: Decodable {
        struct CNIArgs: Decodable { var ips: [String]? }
        var cni: CNIArgs?
    }
    struct RuntimeConfig: Decodable {
        var ips: [String]?
        var ipRanges: [[RangeWire]]?
    }

    var name: String?
    var cniVersion: String?
    var ipam: IPAM?
    var args: Args?
    var runtimeConfig: RuntimeConfig?

    static func decode(_ bytes: [UInt8]) throws(CNIError) -> NetworkConfigWire {
        do {
            return try JSONDecoder().decode(NetworkConfigWire.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw describe(error)
        } catch {
            throw CNIError(CNIError.decodeFailure, "network config is not valid JSON", details: "\(error)")
        }
    }

    private static func describe(_ error: DecodingError) -> CNIError {
        func path(_ keys: [any CodingKey]) -> String {
            keys.reduce("") { text, key in
                if let i = key.intValue { return text + "[\(i)]" }
                return text.isEmpty ? key.stringValue : text + "." + key.stringValue
            }
        }
        switch error {
        case .typeMismatch(let type, let c):
            return IPAMConfig.invalid(path(c.codingPath), "expected \(type)")
        case .valueNotFound(let type, let c):
            return IPAMConfig.invalid(path(c.codingPath), "expected \(type), found null")
        case .keyNotFound(let key, let c):
            return IPAMConfig.invalid(path(c.codingPath + [key]), "missing")
        case .dataCorrupted(let c):
            return CNIError(CNIError.decodeFailure, "network config is not valid JSON", details: c.debugDescription)
        @unknown default:
            return CNIError(CNIError.decodeFailure, "network config could not be decoded", details: "\(error)")
        }
    }
}
