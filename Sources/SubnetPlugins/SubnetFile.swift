import FoundationEssentials
import NetAddr

/// What `trellis routing` tells the CNI plugins of its node: the node's pod CIDRs and the MTU
/// pods must use. Kept at `/run/trellis/subnet.env` by default, in the spirit of flannel's
/// `/run/flannel/subnet.env`:
///
/// ```
/// # Written by trellis routing; read by trellis-hostgw, trellis-vxlan.
/// TRELLIS_MODE=vxlan
/// TRELLIS_SUBNETS=10.244.1.0/24,fd10:244:1::/64
/// TRELLIS_MTU=1450
/// ```
///
/// Unknown keys, blank lines and `#` comments are ignored; the file is replaced atomically.
public struct SubnetFile: Equatable, Sendable {
    public static let defaultPath = "/run/trellis/subnet.env"

    /// `hostgw`, `vxlan` or `hybrid` (informational).
    public var mode: String?
    public var podCIDRs: [IPPrefix]
    public var mtu: Int?

    public init(mode: String? = nil, podCIDRs: [IPPrefix], mtu: Int? = nil) {
        self.mode = mode
        self.podCIDRs = podCIDRs
        self.mtu = mtu
    }

    public var text: String {
        var s = "# Written by trellis routing; read by trellis-hostgw, trellis-vxlan.\n"
        if let mode { s += "TRELLIS_MODE=\(mode)\n" }
        s += "TRELLIS_SUBNETS=\(podCIDRs.map(\.description).joined(separator: ","))\n"
        if let mtu { s += "TRELLIS_MTU=\(mtu)\n" }
        return s
    }

    /// Parses the text; an error names the first bad line.
    public init(parsing text: String) throws(SubnetFileError) {
        self.init(podCIDRs: [])
        // Character-wise: "\r\n" is one Character, a newline like "\n".
        for (n, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = String(raw.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let eq = line.firstIndex(of: "=") else { throw SubnetFileError(line: n + 1, text: line) }
            let value = String(line[line.index(after: eq)...])
            switch line[..<eq] {
            case "TRELLIS_MODE": mode = value
            case "TRELLIS_SUBNETS":
                for part in value.split(separator: ",") {
                    guard let p = IPPrefix(String(part)) else { throw SubnetFileError(line: n + 1, text: line) }
                    podCIDRs.append(p.network)
                }
            case "TRELLIS_MTU":
                guard let m = Int(value), (68...65535).contains(m) else { throw SubnetFileError(line: n + 1, text: line) }
                mtu = m
            default: continue
            }
        }
    }

    public static func read(path: String) throws -> SubnetFile {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return try SubnetFile(parsing: String(decoding: data, as: UTF8.self))
    }

    /// Writes the file atomically (a reader never sees half of it), creating the directory.
    public func write(path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url, options: .atomic)
    }
}

public struct SubnetFileError: Error, Equatable, CustomStringConvertible {
    public var line: Int
    public var text: String
    public init(line: Int, text: String) {
        self.line = line
        self.text = text
    }
    public var description: String { "line \(line): cannot parse \"\(text)\"" }
}
