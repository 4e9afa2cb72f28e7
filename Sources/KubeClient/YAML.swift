import Foundation
import KubeAPI

/// A YAML error with the 1-based line it was found on.
public struct YAMLError: Error, Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    public var message: String
    public var description: String { "YAML line \(line): \(message)" }
}

/// The YAML subset that kubeconfig files use, read into a `JSONValue`.
///
/// Block mappings and sequences (including a sequence written at its key's indentation, as
/// kubectl writes `clusters:`), sequences of mappings, plain, single- and double-quoted scalars,
/// `|`/`>` block scalars, flow collections (`{}`, `[a, b]`, and so JSON itself), comments and a
/// leading `---`. Anchors, aliases, tags and multiple documents are refused with a clear error.
/// Plain `true`/`false` become booleans, integers become numbers, `null`/`~`/empty become null.
public enum YAML {
    public static func parse(_ text: String) throws(YAMLError) -> JSONValue {
        // JSON is YAML; a multi-line JSON document is read as JSON.
        if text.drop(while: { $0.isWhitespace }).first == "{" {
            do { return try KubeJSON.decode(JSONValue.self, from: Data(text.utf8)) } catch {
                throw YAMLError(line: 1, message: "invalid JSON: \(error)")
            }
        }
        var parser = YAMLBlockParser(lines: try YAMLLine.split(text))
        return try parser.document()
    }
}

/// One meaningful line: indentation, content without comment, and its number.
struct YAMLLine {
    var indent: Int
    var content: Substring
    var number: Int

    static func split(_ text: String) throws(YAMLError) -> [YAMLLine] {
        var lines: [YAMLLine] = []
        var number = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            var line = raw
            if line.hasSuffix("\r") { line = line.dropLast() }
            let indent = line.prefix { $0 == " " }.count
            var content = line.dropFirst(indent)
            if content.first == "\t" { throw YAMLError(line: number, message: "tab in indentation") }
            content = stripComment(content)
            while content.last == " " || content.last == "\t" { content = content.dropLast() }
            if content.isEmpty { continue }
            lines.append(YAMLLine(indent: indent, content: content, number: number))
        }
        return lines
    }

    /// Drops a `#` comment that starts the line or follows whitespace, outside quotes.
    static func stripComment(_ s: Substring) -> Substring {
        var quote: Character?
        var previous: Character = " "
        var index = s.startIndex
        while index < s.endIndex {
            let c = s[index]
            if let q = quote {
                if c == q { quote = nil }
                if c == "\\" && q == "\"" { index = s.index(after: index) }
            } else if c == "\"" || c == "'" {
                if previous == " " || previous == "\t" || previous == ":" || previous == "[" || previous == "{"
                    || previous == "," || previous == "-" { quote = c }
            } else if c == "#" && (previous == " " || previous == "\t") {
                return s[s.startIndex..<index]
            }
            if index < s.endIndex { previous = s[index]; index = s.index(after: index) }
        }
        return s
    }
}

/// A line-oriented recursive-descent parser over `YAMLLine`s.
struct YAMLBlockParser {
    var lines: [YAMLLine]
    var index = 0

    mutating func document() throws(YAMLError) -> JSONValue {
        if let first = lines.first, first.content == "---" { lines.removeFirst() }
        guard let first = lines.first else { return .null }
        let value = try block(indent: first.indent)
        if index < lines.count {
            let line = lines[index]
            if line.content == "---" || line.content == "..." {
                throw YAMLError(line: line.number, message: "only one document is supported")
            }
            throw YAMLError(line: line.number, message: "unexpected indentation")
        }
        return value
    }

    mutating func block(indent: Int) throws(YAMLError) -> JSONValue {
        let line = lines[index]
        if Self.isSequenceItem(line.content) { return try sequence(indent: indent) }
        if YAMLScalar.splitKey(line.content) != nil { return try mapping(indent: indent) }
        // A lone scalar or flow collection as the whole block.
        index += 1
        return try YAMLScalar.inline(line.content, line: line.number)
    }

    static func isSequenceItem(_ content: Substring) -> Bool { content == "-" || content.hasPrefix("- ") }

    mutating func mapping(indent: Int) throws(YAMLError) -> JSONValue {
        var object: [String: JSONValue] = [:]
        while index < lines.count, lines[index].indent >= indent {
            let line = lines[index]
            if line.indent > indent { throw YAMLError(line: line.number, message: "unexpected indentation") }
            if Self.isSequenceItem(line.content) { break }
            guard let entry = YAMLScalar.splitKey(line.content) else {
                throw YAMLError(line: line.number, message: "expected \"key: value\", found \"\(line.content)\"")
            }
            let (key, rest) = entry
            let name = try YAMLScalar.key(key, line: line.number)
            if object[name] != nil { throw YAMLError(line: line.number, message: "duplicate key \"\(name)\"") }
            index += 1
            object[name] = try value(after: rest, indent: indent, line: line.number)
        }
        return .object(object)
    }

    /// The value of `key: rest`: inline, a block scalar, or the following more-indented block
    /// (or a sequence at the key's own indentation).
    mutating func value(after rest: Substring, indent: Int, line: Int) throws(YAMLError) -> JSONValue {
        if rest.hasPrefix("|") || rest.hasPrefix(">") { return try blockScalar(header: rest, indent: indent, line: line) }
        if !rest.isEmpty { return try YAMLScalar.inline(rest, line: line) }
        guard index < lines.count else { return .null }
        let next = lines[index]
        if next.indent > indent { return try block(indent: next.indent) }
        if next.indent == indent && Self.isSequenceItem(next.content) { return try sequence(indent: indent) }
        return .null
    }

    mutating func sequence(indent: Int) throws(YAMLError) -> JSONValue {
        var items: [JSONValue] = []
        while index < lines.count, lines[index].indent == indent, Self.isSequenceItem(lines[index].content) {
            let line = lines[index]
            let after = line.content.dropFirst()
            let spaces = after.prefix { $0 == " " }.count
            let item = after.dropFirst(spaces)
            if item.isEmpty {
                index += 1
                if index < lines.count, lines[index].indent > indent {
                    items.append(try block(indent: lines[index].indent))
                } else {
                    items.append(.null)
                }
            } else if Self.isSequenceItem(item) || YAMLScalar.splitKey(item) != nil {
                // `- key: v` opens a mapping whose indentation is the column of `key`.
                lines[index] = YAMLLine(indent: indent + 1 + spaces, content: item, number: line.number)
                items.append(try block(indent: indent + 1 + spaces))
            } else {
                index += 1
                items.append(try YAMLScalar.inline(item, line: line.number))
            }
        }
        if index < lines.count, lines[index].indent > indent {
            throw YAMLError(line: lines[index].number, message: "unexpected indentation")
        }
        return .array(items)
    }

    /// `|`, `|-`, `>`, `>-`: the following more-indented lines, kept (literal) or folded.
    /// Blank lines inside the scalar are not seen by this line splitter and are dropped.
    mutating func blockScalar(header: Substring, indent: Int, line: Int) throws(YAMLError) -> JSONValue {
        let literal = header.first == "|"
        let chomp = header.dropFirst()
        guard chomp.isEmpty || chomp == "-" || chomp == "+" else {
            throw YAMLError(line: line, message: "unsupported block scalar header \"\(header)\"")
        }
        var parts: [String] = []
        guard index < lines.count, lines[index].indent > indent else { return .string("") }
        let inner = lines[index].indent
        while index < lines.count, lines[index].indent >= inner {
            let l = lines[index]
            parts.append(String(repeating: " ", count: l.indent - inner) + l.content)
            index += 1
        }
        var text = parts.joined(separator: literal ? "\n" : " ")
        if chomp != "-" { text += "\n" }
        return .string(text)
    }
}
