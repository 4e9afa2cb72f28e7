import KubeAPI
import Testing

@Suite("Name and label validation")
struct ValidationTests {
    static let labelMessage = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
    static let subdomainMessage = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"

    @Test(arguments: [
        ("a", [String]()),
        ("web-0", []),
        ("123-abc", []),
        (String(repeating: "a", count: 63), []),
        ("", [labelMessage]),
        ("Web", [labelMessage]),
        ("-web", [labelMessage]),
        ("web-", [labelMessage]),
        ("web.shop", [labelMessage]),
        ("web_0", [labelMessage]),
        (String(repeating: "a", count: 64), ["must be no more than 63 characters"]),
    ])
    func dns1123Label(_ name: String, _ errors: [String]) {
        #expect(Validation.dns1123Label(name) == errors)
    }

    @Test(arguments: [
        ("example.com", [String]()),
        ("web-7d4b9c6f5-x2k8p", []),
        ("a.b.c", []),
        ("", [subdomainMessage]),
        ("a..b", [subdomainMessage]),
        (".a", [subdomainMessage]),
        ("a.", [subdomainMessage]),
        ("A.b", [subdomainMessage]),
        (String(repeating: "a.", count: 127) + "a", ["must be no more than 253 characters"]),
    ])
    func dns1123Subdomain(_ name: String, _ errors: [String]) {
        #expect(Validation.dns1123Subdomain(name) == errors)
    }

    @Test(arguments: [
        ("app", 0),
        ("app.kubernetes.io/name", 0),
        ("kubernetes.io/service-name", 0),
        ("My_Key.v2", 0),
        ("", 1),
        ("/name", 1),
        ("example.com/", 1),
        ("a/b/c", 1),
        ("-app", 1),
        ("Example.com/app", 1),
        (String(repeating: "k", count: 64), 1),
    ])
    func labelKeys(_ key: String, _ errorCount: Int) {
        #expect(Validation.labelKey(key).count == errorCount)
    }

    @Test func labelKeyMessages() {
        #expect(Validation.labelKey("") == ["name part must be non-empty"])
        #expect(Validation.labelKey("/x") == ["prefix part must be non-empty"])
        #expect(Validation.labelKey("Bad.Prefix/x") == ["prefix part " + Self.subdomainMessage])
        #expect(Validation.labelKey("-x") == ["name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"])
        #expect(Validation.labelKey(String(repeating: "k", count: 64)) == ["name part must be no more than 63 characters"])
        #expect(Validation.labelKey("a/b/c")[0].hasSuffix("with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"))
    }

    @Test(arguments: [
        ("", 0), ("prod", 0), ("v1.2_3-x", 0), ("A", 0),
        ("-x", 1), ("x-", 1), ("a b", 1), ("a/b", 1), (String(repeating: "v", count: 64), 1),
    ])
    func labelValues(_ value: String, _ errorCount: Int) {
        #expect(Validation.labelValue(value).count == errorCount)
    }

    @Test func labelValueMessage() {
        #expect(Validation.labelValue("-x") == ["a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"])
        #expect(Validation.labels(["app": "web", "-k": "v"]).count == 1)
    }
}
