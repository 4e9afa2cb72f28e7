/// The identity in a verified client certificate, as kube-apiserver reads it: the subject's
/// common name is the user, each organization a group.
public struct ClientCertificateIdentity: Sendable, Hashable {
    public var commonName: String
    public var organizations: [String]

    public init(commonName: String, organizations: [String]) {
        self.commonName = commonName
        self.organizations = organizations
    }

    public var user: UserInfo { UserInfo(name: commonName, groups: organizations).authenticated }

    /// Reads the subject of a DER X.509 certificate: Certificate → TBSCertificate → (version),
    /// serial, signature algorithm, issuer, validity, **subject**. Nil for anything malformed
    /// or a subject without a common name.
    public init?(der: [UInt8]) {
        var reader = DERReader(der)
        guard let certificate = reader.element(tag: 0x30) else { return nil }
        var cert = DERReader(certificate)
        guard let tbs = cert.element(tag: 0x30) else { return nil }
        var fields = DERReader(tbs)
        if fields.peekTag == 0xA0 { _ = fields.element(tag: 0xA0) }         // [0] version
        guard fields.element(tag: 0x02) != nil,                              // serialNumber
              fields.element(tag: 0x30) != nil,                              // signature
              fields.element(tag: 0x30) != nil,                              // issuer
              fields.element(tag: 0x30) != nil,                              // validity
              let subject = fields.element(tag: 0x30) else { return nil }
        var cn: String?
        var orgs: [String] = []
        var names = DERReader(subject)
        while let set = names.element(tag: 0x31) {                           // RelativeDistinguishedName
            var attributes = DERReader(set)
            while let attribute = attributes.element(tag: 0x30) {
                var parts = DERReader(attribute)
                guard let oid = parts.element(tag: 0x06), let (_, value) = parts.anyElement() else { continue }
                let text = String(decoding: value, as: UTF8.self)
                if oid == [0x55, 0x04, 0x03] { cn = text }                   // 2.5.4.3 commonName
                if oid == [0x55, 0x04, 0x0A] { orgs.append(text) }           // 2.5.4.10 organizationName
            }
        }
        guard let cn, !cn.isEmpty else { return nil }
        self.init(commonName: cn, organizations: orgs)
    }
}

/// A minimal DER walker over definite-length elements.
struct DERReader {
    private let bytes: [UInt8]
    private var index = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }
    init(_ slice: ArraySlice<UInt8>) { self.bytes = Array(slice) }

    var peekTag: UInt8? { index < bytes.count ? bytes[index] : nil }

    /// The next element's content if its tag is `tag`; otherwise nil and nothing consumed.
    mutating func element(tag: UInt8) -> ArraySlice<UInt8>? {
        guard peekTag == tag, let (_, content) = anyElement() else { return nil }
        return content
    }

    /// The next element's tag and content.
    mutating func anyElement() -> (UInt8, ArraySlice<UInt8>)? {
        guard index + 2 <= bytes.count else { return nil }
        let tag = bytes[index]
        var i = index + 1
        var length = Int(bytes[i])
        i += 1
        if length & 0x80 != 0 {
            let count = length & 0x7F
            guard count >= 1, count <= 4, i + count <= bytes.count else { return nil }
            length = 0
            for _ in 0..<count { length = length << 8 | Int(bytes[i]); i += 1 }
        }
        guard length >= 0, i + length <= bytes.count else { return nil }
        index = i + length
        return (tag, bytes[i..<(i + length)])
    }
}
