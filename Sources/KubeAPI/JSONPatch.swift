/// A patch that could not be applied, with the operation index and JSON pointer at fault.
public struct PatchError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        case invalidPatch, invalidPointer, pathNotFound, testFailed
    }
    public var code: Code
    public var message: String
    public var description: String { message }
}

extension JSONValue {
    /// JSON merge patch (RFC 7386): objects merge key by key, `null` deletes, anything else replaces.
    public func mergePatched(with patch: JSONValue) -> JSONValue {
        guard case .object(let patchObject) = patch else { return patch }
        var target: [String: JSONValue]
        if case .object(let object) = self { target = object } else { target = [:] }
        for (key, value) in patchObject {
            if value == .null {
                target.removeValue(forKey: key)
            } else {
                target[key] = (target[key] ?? .null).mergePatched(with: value)
            }
        }
        return .object(target)
    }

    /// JSON patch (RFC 6902): applies `add`, `remove`, `replace`, `move`, `copy` and `test` in order.
    /// On any failure (including a failed `test`) the document is left unchanged.
    public func jsonPatched(with patch: JSONValue) throws(PatchError) -> JSONValue {
        guard case .array(let operations) = patch else {
            throw PatchError(code: .invalidPatch, message: "a JSON patch must be an array of operations")
        }
        var document = self
        for (index, operation) in operations.enumerated() {
            guard case .object(let op) = operation, let name = op["op"]?.stringValue else {
                throw PatchError(code: .invalidPatch, message: "operation \(index): missing \"op\"")
            }
            func pointer(_ key: String) throws(PatchError) -> [String] {
                guard let text = op[key]?.stringValue else {
                    throw PatchError(code: .invalidPatch, message: "operation \(index) (\(name)): missing \"\(key)\"")
                }
                return try JSONValue.parsePointer(text)
            }
            func value() throws(PatchError) -> JSONValue {
                guard let v = op["value"] else {
                    throw PatchError(code: .invalidPatch, message: "operation \(index) (\(name)): missing \"value\"")
                }
                return v
            }
            switch name {
            case "add": try document.add(at: pointer("path"), try value())
            case "remove": _ = try document.remove(at: pointer("path"))
            case "replace":
                let path = try pointer("path")
                _ = try document.remove(at: path)
                try document.add(at: path, try value())
            case "move":
                let from = try pointer("from"), path = try pointer("path")
                if path.starts(with: from) && path.count > from.count {
                    throw PatchError(code: .invalidPatch, message: "operation \(index) (move): cannot move a value into itself")
                }
                let moved = try document.remove(at: from)
                try document.add(at: path, moved)
            case "copy":
                let copied = try document.value(at: pointer("from"))
                try document.add(at: pointer("path"), copied)
            case "test":
                let path = try pointer("path")
                let expected = try value()
                guard try document.value(at: path) == expected else {
                    throw PatchError(code: .testFailed,
                                     message: "operation \(index) (test): value at \(JSONValue.formatPointer(path)) does not match")
                }
            default:
                throw PatchError(code: .invalidPatch, message: "operation \(index): unknown op \"\(name)\"")
            }
        }
        return document
    }

    // MARK: - JSON pointer (RFC 6901)

    static func parsePointer(_ text: String) throws(PatchError) -> [String] {
        if text.isEmpty { return [] }
        guard text.hasPrefix("/") else {
            throw PatchError(code: .invalidPointer, message: "JSON pointer \"\(text)\" must start with '/'")
        }
        return text.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            String($0).replacing("~1", with: "/").replacing("~0", with: "~")
        }
    }

    static func formatPointer(_ tokens: [String]) -> String {
        tokens.map { "/" + $0.replacing("~", with: "~0").replacing("/", with: "~1") }.joined()
    }

    private static func arrayIndex(_ token: String, count: Int, allowEnd: Bool, path: [String]) throws(PatchError) -> Int {
        if allowEnd && token == "-" { return count }
        guard let i = Int(token), i >= 0, token == String(i), i < count + (allowEnd ? 1 : 0) else {
            throw PatchError(code: .pathNotFound, message: "array index \"\(token)\" out of range at \(formatPointer(path))")
        }
        return i
    }

    /// The value a pointer refers to.
    public func value(at path: [String]) throws(PatchError) -> JSONValue {
        var current = self
        for (depth, token) in path.enumerated() {
            switch current {
            case .object(let o):
                guard let next = o[token] else {
                    throw PatchError(code: .pathNotFound, message: "path \(JSONValue.formatPointer(Array(path[...depth]))) not found")
                }
                current = next
            case .array(let a):
                current = a[try JSONValue.arrayIndex(token, count: a.count, allowEnd: false, path: Array(path[...depth]))]
            default:
                throw PatchError(code: .pathNotFound, message: "path \(JSONValue.formatPointer(Array(path[...depth]))) not found")
            }
        }
        return current
    }

    private mutating func add(at path: [String], _ value: JSONValue) throws(PatchError) {
        guard let token = path.first else { self = value; return }
        let rest = Array(path.dropFirst())
        switch self {
        case .object(var o):
            if rest.isEmpty {
                o[token] = value
            } else {
                guard var child = o[token] else {
                    throw PatchError(code: .pathNotFound, message: "path \(JSONValue.formatPointer(path)) not found")
                }
                o[token] = nil
                try child.add(at: rest, value)
                o[token] = child
            }
            self = .object(o)
        case .array(var a):
            let i = try JSONValue.arrayIndex(token, count: a.count, allowEnd: rest.isEmpty, path: path)
            if rest.isEmpty { a.insert(value, at: i) } else { try a[i].add(at: rest, value) }
            self = .array(a)
        default:
            throw PatchError(code: .pathNotFound, message: "path \(JSONValue.formatPointer(path)) not found")
        }
    }

    private mutating func remove(at path: [String]) throws(PatchError) -> JSONValue {
        guard let token = path.first else {
            throw PatchError(code: .invalidPointer, message: "cannot remove the whole document")
        }
        let rest = Array(path.dropFirst())
        switch self {
        case .object(var o):
            guard var child = o[token] else {
                throw PatchError(code: .pathNotFound, message: "path \(JSONValue.formatPointer(path)) not found")
            }
            let removed: JSONValue
            if rest.isEmpty {
                removed = child
                o[token] = nil
            } else {
                removed = try child.remove(at: rest)
                o[token] = child
            }
            self = .object(o)
            return removed
        case .array(var a):
            let i = try JSONValue.arrayIndex(token, count: a.count, allowEnd: false, path: path)
            let removed = rest.isEmpty ? a.remove(at: i) : try a[i].remove(at: rest)
            self = .array(a)
            return removed
        default:
            throw PatchError(code: .pathNotFound, message: "path \(JSONValue.formatPointer(path)) not found")
        }
    }
}
