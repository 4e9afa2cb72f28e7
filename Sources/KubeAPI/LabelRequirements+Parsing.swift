extension LabelRequirements {
    /// Parses the string form used by `?labelSelector=` and `kubectl -l`:
    /// `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (z)`, `a` (exists), `!a`, `a>1`, `a<1`,
    /// separated by commas. The empty string selects everything.
    public init(parsing text: String) throws(SelectorError) {
        var lexer = SelectorLexer(text)
        var requirements: [LabelRequirement] = []
        do throws(SelectorError) {
            if lexer.peek() == .end {
                self.init([])
                return
            }
            while true {
                requirements.append(try Self.parseRequirement(&lexer))
                switch lexer.next() {
                case .end:
                    self.init(requirements)
                    return
                case .comma:
                    if lexer.peek() == .end { throw SelectorError("found '', expected: identifier after ','") }
                case let token:
                    throw SelectorError("found '\(token.text)', expected: ',' or 'end of string'")
                }
            }
        } catch {
            throw SelectorError("unable to parse requirement: \(error.message) (selector \"\(text)\")")
        }
    }

    private static func parseRequirement(_ lexer: inout SelectorLexer) throws(SelectorError) -> LabelRequirement {
        var token = lexer.next()
        if token == .bang {
            guard case .identifier(let key) = lexer.next() else {
                throw SelectorError("found '\(lexer.last.text)', expected: identifier after '!'")
            }
            let next = lexer.peek()
            guard next == .end || next == .comma else {
                throw SelectorError("found '\(next.text)', expected: ',' or 'end of string'")
            }
            return try LabelRequirement.make(key: key, operator: .doesNotExist, values: [])
        }
        guard case .identifier(let key) = token else {
            throw SelectorError("found '\(token.text)', expected: !, identifier, or 'end of string'")
        }
        token = lexer.peek()
        if token == .end || token == .comma {
            return try LabelRequirement.make(key: key, operator: .exists, values: [])
        }
        _ = lexer.next()
        let op: LabelRequirement.Operator
        switch token {
        case .equals, .doubleEquals: op = .equals
        case .notEquals: op = .notEquals
        case .identifier("in"): op = .in
        case .identifier("notin"): op = .notIn
        case .greater: op = .greaterThan
        case .less: op = .lessThan
        default:
            throw SelectorError("found '\(token.text)', expected: in, notin, =, ==, !=, gt, lt")
        }
        if op == .in || op == .notIn {
            guard lexer.next() == .openParen else { throw SelectorError("found '\(lexer.last.text)', expected: '('") }
            // As apimachinery's parseIdentifiersList: a set, where `(x,)`, `(,x)` and `(x,,y)`
            // also hold the empty value, and `()` is empty (rejected by `make`).
            var values = Set<String>()
            if lexer.peek() == .closeParen {
                _ = lexer.next()
                return try LabelRequirement.make(key: key, operator: op, values: [])
            }
            var expectValue = true
            while true {
                switch lexer.next() {
                case .identifier(let v) where expectValue:
                    values.insert(v)
                    expectValue = false
                case .comma:
                    if expectValue { values.insert("") }
                    expectValue = true
                case .closeParen:
                    if expectValue { values.insert("") }
                    return try LabelRequirement.make(key: key, operator: op, values: values.sorted())
                default:
                    throw SelectorError("found '\(lexer.last.text)', expected: ',' or ')'")
                }
            }
        }
        switch lexer.peek() {
        case .identifier(let v):
            _ = lexer.next()
            return try LabelRequirement.make(key: key, operator: op, values: [v])
        case .end, .comma:
            return try LabelRequirement.make(key: key, operator: op, values: [""])
        case let other:
            throw SelectorError("found '\(other.text)', expected: identifier")
        }
    }
}

/// Tokens of the selector string language.
enum SelectorToken: Equatable {
    case identifier(String), comma, bang, equals, doubleEquals, notEquals, openParen, closeParen, greater, less, end

    var text: String {
        switch self {
        case .identifier(let s): return s
        case .comma: return ","
        case .bang: return "!"
        case .equals: return "="
        case .doubleEquals: return "=="
        case .notEquals: return "!="
        case .openParen: return "("
        case .closeParen: return ")"
        case .greater: return ">"
        case .less: return "<"
        case .end: return ""
        }
    }
}

struct SelectorLexer {
    private let chars: [Character]
    private var position = 0
    private(set) var last: SelectorToken = .end

    init(_ text: String) { chars = Array(text) }

    mutating func peek() -> SelectorToken {
        let saved = position
        let savedLast = last
        let token = next()
        position = saved
        last = savedLast
        return token
    }

    mutating func next() -> SelectorToken {
        while position < chars.count, chars[position].isWhitespace { position += 1 }
        guard position < chars.count else { last = .end; return .end }
        let c = chars[position]
        position += 1
        let token: SelectorToken
        switch c {
        case ",": token = .comma
        case "(": token = .openParen
        case ")": token = .closeParen
        case ">": token = .greater
        case "<": token = .less
        case "!":
            if position < chars.count, chars[position] == "=" { position += 1; token = .notEquals } else { token = .bang }
        case "=":
            if position < chars.count, chars[position] == "=" { position += 1; token = .doubleEquals } else { token = .equals }
        default:
            var word = String(c)
            while position < chars.count, !chars[position].isWhitespace, !",()!=<>".contains(chars[position]) {
                word.append(chars[position])
                position += 1
            }
            token = .identifier(word)
        }
        last = token
        return token
    }
}
