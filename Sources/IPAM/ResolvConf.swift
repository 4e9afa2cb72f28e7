import CNI

/// Reading a resolv.conf-style file into the DNS block of a CNI result, as host-local does
/// for its `resolvConf` key.
public enum ResolvConf {
    /// Parses `nameserver`, `domain`, `search` and `options` lines; `#` and `;` start comments.
    public static func parse(_ text: String) -> CNIResult.DNS {
        var dns = CNIResult.DNS()
        for line in text.split(whereSeparator: \.isNewline) {
            let content = line.prefix { $0 != "#" && $0 != ";" }
            let fields = content.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let keyword = fields.first, fields.count > 1 else { continue }
            let values = Array(fields.dropFirst())
            switch keyword {
            case "nameserver": dns.nameservers.append(values[0])
            case "domain": dns.domain = values[0]
            case "search": dns.search += values
            case "options": dns.options += values
            default: continue
            }
        }
        return dns
    }

    /// Reads and parses the file at `path`.
    /// - Throws: code 5 naming the path when it cannot be read.
    public static func load(path: String) throws(CNIError) -> CNIResult.DNS {
        do {
            return parse(String(decoding: try FileDescriptor.readAll(path: path), as: UTF8.self))
        } catch {
            throw CNIError(CNIError.ioFailure, "resolvConf \(path): \(error)")
        }
    }
}
