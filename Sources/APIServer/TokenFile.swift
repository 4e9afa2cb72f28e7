import Foundation

/// kube-apiserver's `--token-auth-file`: CSV lines `token,user,uid[,"group1,group2"]`.
public struct TokenFile: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var token: BearerToken
        public var user: UserInfo
    }

    public var entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries }

    /// Parses the file's text. As kube-apiserver: at least three columns per record, an empty
    /// token is skipped, a later duplicate token wins. Blank lines and `#` comments are skipped.
    public init(parsing text: String, path: String = "token file") throws(TokenFileError) {
        entries = []
        var line = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            line += 1
            let record = raw.hasSuffix("\r") ? raw.dropLast() : raw
            if record.allSatisfy({ $0 == " " || $0 == "\t" }) || record.hasPrefix("#") { continue }
            guard let fields = Self.csvFields(record) else {
                throw TokenFileError(path: path, line: line, message: "unterminated quoted field")
            }
            guard fields.count >= 3 else {
                throw TokenFileError(path: path, line: line,
                                     message: "must have at least 3 columns (token, user name, user uid), found \(fields.count)")
            }
            if fields[0].isEmpty { continue }
            let groups = fields.count >= 4 && !fields[3].isEmpty ? fields[3].split(separator: ",").map(String.init) : []
            let entry = Entry(token: BearerToken(fields[0]), user: UserInfo(name: fields[1], uid: fields[2], groups: groups))
            entries.removeAll { $0.token == entry.token }
            entries.append(entry)
        }
    }

    public init(contentsOf path: String) throws(TokenFileError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TokenFileError(path: path, line: 0, message: "cannot be read")
        }
        try self.init(parsing: String(decoding: data, as: UTF8.self), path: path)
    }

    /// The file's text.
    public var text: String {
        entries.map { entry in
            let user = entry.user
            var line = "\(entry.token.text),\(user.name),\(user.uid)"
            if !user.groups.isEmpty { line += ",\"\(user.groups.joined(separator: ","))\"" }
            return line + "\n"
        }.joined()
    }

    /// The token of the first user in `system:masters`, for an admin kubeconfig.
    public var adminToken: BearerToken? {
        entries.first { $0.user.groups.contains(UserInfo.mastersGroup) }?.token
    }

    /// A file with one new random token for user `admin` in `system:masters`.
    public static func generatedAdmin() -> TokenFile {
        TokenFile(entries: [Entry(token: .random(), user: UserInfo(name: "admin", uid: "admin", groups: [UserInfo.mastersGroup]))])
    }

    /// RFC 4180 fields (quotes around a field, `""` for a quote, spaces after a comma skipped
    /// as Go's `TrimLeadingSpace`); nil for an unterminated quote.
    static func csvFields(_ line: Substring) -> [String]? {
        var fields: [String] = []
        var field = ""
        var inQuotes = false, atFieldStart = true
        var chars = line.makeIterator()
        var pending: Character? = nil
        while let c = pending ?? chars.next() {
            pending = nil
            if inQuotes {
                if c == "\"" {
                    let next = chars.next()
                    if next == "\"" { field.append("\"") } else { inQuotes = false; pending = next }
                } else { field.append(c) }
                continue
            }
            if atFieldStart && c == " " { continue }
            if atFieldStart && c == "\"" { inQuotes = true; atFieldStart = false; continue }
            atFieldStart = false
            if c == "," { fields.append(field); field = ""; atFieldStart = true } else { field.append(c) }
        }
        if inQuotes { return nil }
        fields.append(field)
        return fields
    }
}

public struct TokenFileError: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var line: Int
    public var message: String
    public var description: String { line > 0 ? "\(path):\(line): \(message)" : "\(path): \(message)" }
}
