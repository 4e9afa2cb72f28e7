/// One entry of the question section.
public struct DNSQuestion: Hashable, Sendable {
    public var name: DNSName
    public var type: DNSType
    public var `class`: DNSClass
    public init(name: DNSName, type: DNSType, class: DNSClass = .in) {
        self.name = name
        self.type = type
        self.class = `class`
    }
}
