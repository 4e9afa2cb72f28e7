import KubeAPI

/// Scalars, keys and flow collections of the YAML subset `YAML` reads.
enum YAMLScalar {
    /// Splits `key: rest` (or `key:`) at the first `:` that is followed by a space or the end,
    /// outside quotes. Nil when the content is not a mapping entry.
    static func splitKey(_ content: Substring) -> (Substring, Substring)? {
        guard let first = content.first, first != "{", first != "[" else { return nil }
        var index = content.startIndex
        if first == "\"" || first == "'" {
            // Skip the quoted key.
            index = content.index(after: index)
            while index < content.endIndex, content[index] != first {
                if content[index] == "\\" && first == "\"" { index = content.index(after: index) }
                if index < content.endIndex { index = content.index(after: index) }
            }
            guard index < content.endIndex else { return nil }
            index = content.index(after: index)
        }
        while index < content.endIndex {
            if content[index] == ":" {
                let next = content.index(after: index)
                if next == content.endIndex || content[next] == " " {
                    let key = content[content.startIndex..<index]
                    var rest = content[next...]
                    while rest.first == " " { rest = rest.dropFirst() }
                    return (key, rest)
                }
            }
            index = content.index(after: index)
        }
        return nil
    }

    static func key(_ raw: Substring, line: Int) throws(YAMLError) -> String {
        var text = raw
        while text.last == " " { text = text.dropLast() }
        if text.first == "\"" || text.first == "'" {
            var reader = FlowReader(text: text, line: line)
            let value = try reader.quoted()
            guard reader.atEnd else { throw YAMLError(line: line, message: "text after quoted key") }
            return value
        }
        if text.first == "?" { throw YAMLError(line: line, message: "complex keys are not supported") }
        return String(text)
    }

    /// A value written on the key's line: a quoted or plain scalar or a flow collection.
    static func inline(_ text: Substring, line: Int) throws(YAMLError) -> JSONValue {
        if let c = text.first, c == "&" || c == "*" || c == "!" {
            throw YAMLError(line: line, message: "anchors, aliases and tags are not supported")
        }
        var reader = FlowReader(text: text, line: line)
        let value = try reader.value(plainStopsAt: [])
        reader.skipSpaces()
        guard reader.atEnd else { throw YAMLError(line: line, message: "unexpected text after value: \"\(reader.rest)\"") }
        return value
    }

    /// What a plain scalar means: null, boolean, integer or string.
    static func plain(_ text: Substring) -> JSONValue {
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        default:
            if let n = Int64(text) { return .int(n) }
            return .string(String(text))
        }
    }
}

/// Reads one inline value: quoted strings, plain scalars and (nested) flow collections.
struct FlowReader {
    var text: Substring
    var line: Int
    var atEnd: Bool { text.isEmpty }
    var rest: Substring { text }

    mutating func skipSpaces() { while text.first == " " { text = text.dropFirst() } }

    mutating func value(plainStopsAt stops: Set<Character>) throws(YAMLError) -> JSONValue {
        skipSpaces()
        switch text.first {
        case "\""?, "'"?: return .string(try quoted())
        case "{"?: return try flowMapping()
        case "["?: return try flowSequence()
        default:
            var end = text.startIndex
            while end < text.endIndex {
                // Inside flow collections `: ` ends a key; a `:` inside a URL does not.
                if text[end] == ":" {
                    guard stops.contains(":") else { end = text.index(after: end); continue }
                    let next = text.index(after: end)
                    if next == text.endIndex || text[next] == " " { break }
                } else if stops.contains(text[end]) {
                    break
                }
                end = text.index(after: end)
            }
            var scalar = text[text.startIndex..<end]
            text = text[end...]
            while scalar.last == " " { scalar = scalar.dropLast() }
            return YAMLScalar.plain(scalar)
        }
    }

    mutating func quoted() throws(YAMLError) -> String {
        guard let q = text.first else { throw YAMLError(line: line, message: "expected a quoted string") }
        text = text.dropFirst()
        var out = ""
        while let c = text.first {
            text = text.dropFirst()
            if c == q {
                if q == "'" && text.first == "'" { out.append("'"); text = text.dropFirst(); continue }
                return out
            }
            if c == "\\" && q == "\"" {
                guard let e = text.first else { break }
                text = text.dropFirst()
                switch e {
                case "n": out.append("\n")
                case "t": out.append("\t")
                case "r": out.append("\r")
                case "0": out.append("\0")
                case "\"", "\\", "/", " ": out.append(e)
                case "u", "x", "U":
                    let count = e == "x" ? 2 : e == "u" ? 4 : 8
                    let hex = text.prefix(count)
                    guard hex.count == count, let code = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(code) else {
                        throw YAMLError(line: line, message: "invalid \\\(e) escape")
                    }
                    out.unicodeScalars.append(scalar)
                    text = text.dropFirst(count)
                default: throw YAMLError(line: line, message: "unsupported escape \\\(e)")
                }
            } else {
                out.append(c)
            }
        }
        throw YAMLError(line: line, message: "unterminated quoted string (multi-line quoted scalars are not supported)")
    }

    mutating func flowSequence() throws(YAMLError) -> JSONValue {
        text = text.dropFirst()
        var items: [JSONValue] = []
        skipSpaces()
        if text.first == "]" { text = text.dropFirst(); return .array(items) }
        while true {
            items.append(try value(plainStopsAt: [",", "]"]))
            skipSpaces()
            switch text.first {
            case ","?: text = text.dropFirst()
            case "]"?: text = text.dropFirst(); return .array(items)
            default: throw YAMLError(line: line, message: "expected , or ] in flow sequence (flow collections must fit on one line)")
            }
        }
    }

    mutating func flowMapping() throws(YAMLError) -> JSONValue {
        text = text.dropFirst()
        var object: [String: JSONValue] = [:]
        skipSpaces()
        if text.first == "}" { text = text.dropFirst(); return .object(object) }
        while true {
            skipSpaces()
            let keyValue = try value(plainStopsAt: [":", ",", "}"])
            let key: String
            switch keyValue {
            case .string(let s): key = s
            case .null: key = ""
            case .bool(let b): key = String(b)
            case .int(let n): key = String(n)
            default: throw YAMLError(line: line, message: "flow mapping keys must be scalars")
            }
            skipSpaces()
            guard text.first == ":" else { throw YAMLError(line: line, message: "expected : after key \"\(key)\" in flow mapping") }
            text = text.dropFirst()
            object[key] = try value(plainStopsAt: [",", "}"])
            skipSpaces()
            switch text.first {
            case ","?: text = text.dropFirst()
            case "}"?: text = text.dropFirst(); return .object(object)
            default: throw YAMLError(line: line, message: "expected , or } in flow mapping (flow collections must fit on one line)")
            }
        }
    }
}
