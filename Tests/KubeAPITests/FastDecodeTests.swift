import Foundation
import KubeAPI
import Testing

@Suite("Fast JSON path (KubeJSON) agrees with JSONDecoder")
struct FastDecodeTests {
    @Test(arguments: KindFixture.all)
    func fixtures(_ fixture: KindFixture) throws {
        #expect(try fixture.fastMatchesFoundation(Fixture.data(fixture.file)))
    }

    @Test("with an unknown key in every object", arguments: KindFixture.all)
    func fixturesWithUnknownFields(_ fixture: KindFixture) throws {
        let injected = try Fixture.json(fixture.file).injecting("zzFutureField", ["deep": [1, -2.5e3, nil, "\u{1F600}"]])
        // Labels and quantities cannot hold an object; put a string there instead.
        let data = try JSONEncoder().encode(injected)
        if (try? JSONDecoder().decode(JSONValue.self, from: data)) != nil,
           (try? fixture.decodeEncode(data)) != nil {
            #expect(try fixture.fastMatchesFoundation(data))
        }
        let stringInjected = try JSONEncoder().encode(Fixture.json(fixture.file).injecting("zzFutureField", "1"))
        #expect(try fixture.fastMatchesFoundation(stringInjected))
    }

    @Test func keysInAnyOrderAndEscapedKeys() throws {
        let text = #"{"spec":{"type":"NodePort","ports":[{"port":80,"name":"http"}],"selector":{"a\"b":"c"}},"metadata":{"name":"x"},"kind":"Service","\u0061piVersion":"v1"}"#
        let fast = try KubeJSON.decode(Service.self, from: Data(text.utf8))
        #expect(fast == (try JSONDecoder().decode(Service.self, from: Data(text.utf8))))
        #expect(fast.apiVersion == "v1")
        #expect(fast.spec?.selector == ["a\"b": "c"])
    }

    @Test(arguments: [
        #"{"s":"plain","e":"tab\tquote\"slash\/back\\nl\nuni\u00e9\ud83d\ude00"}"#,
        #"[0,-0,1,-1,9223372036854775807,-9223372036854775808,1.5,-2.5e-3,1E3,12345678901234567890]"#,
        #"  { "a" : [ true , false , null , { } , [ ] ] }  "#,
        #""ünïcödé ✓""#,
        #"{}"#,
        #"[1.0, 2.5e1, 1e0, 1.5e1, -0.0, 1e-2, 100e-2, 1e19]"#,
    ])
    func jsonValues(_ text: String) throws {
        let data = Data(text.utf8)
        #expect(try KubeJSON.decode(JSONValue.self, from: data) == JSONDecoder().decode(JSONValue.self, from: data))
    }

    @Test(arguments: [
        "", "{", #"{"a":}"#, #"{"a":1,}"#, "[1,]", #"{"a" 1}"#, "01", "1.", "-", #""\x""#, #""\ud800""#,
        "tru", "nul", #"{"a":1} x"#, "\"a\u{01}b\"", #"{"metadata":{"name":5}}"#,
    ])
    func malformed(_ text: String) {
        #expect(throws: (any Error).self) { try KubeJSON.decode(Pod.self, from: Data(text.utf8)) }
    }

    @Test func typeErrorsAreReported() {
        #expect(throws: JSONReadError.self) {
            try KubeJSON.decode(Service.self, from: Data(#"{"spec":{"ports":[{"port":99999999999}]}}"#.utf8))
        }
        #expect(throws: JSONReadError.self) {
            try KubeJSON.decode(Pod.self, from: Data(#"{"metadata":{"creationTimestamp":"yesterday"}}"#.utf8))
        }
        #expect(throws: JSONReadError.self) {
            try KubeJSON.decode(Node.self, from: Data(#"{"status":{"capacity":{"cpu":"lots"}}}"#.utf8))
        }
    }

    @Test func listsAndWatchEvents() throws {
        let service = try Fixture.json("service.json")
        let list: JSONValue = ["kind": "ServiceList", "apiVersion": "v1", "metadata": ["resourceVersion": "7"],
                               "items": [service, service]]
        let data = try JSONEncoder().encode(list)
        #expect(try KubeJSON.decode(KubeList<Service>.self, from: data)
                == JSONDecoder().decode(KubeList<Service>.self, from: data))

        for text in [
            #"{"type":"MODIFIED","object":{"kind":"Service","metadata":{"name":"a"}}}"#,
            #"{"object":{"kind":"Service","metadata":{"name":"a"}},"type":"DELETED"}"#,
            #"{"type":"ERROR","object":{"kind":"Status","status":"Failure","reason":"Expired","code":410}}"#,
            #"{"type":"BOOKMARK","object":{"kind":"Service","metadata":{"resourceVersion":"12"}}}"#,
        ] {
            let data = Data(text.utf8)
            #expect(try KubeJSON.decode(WatchEvent<Service>.self, from: data)
                    == JSONDecoder().decode(WatchEvent<Service>.self, from: data), "\(text)")
        }
    }

    @Test func encodeWritesSlashesPlain() throws {
        let text = String(decoding: KubeJSON.encode(ObjectMeta(labels: ["app.kubernetes.io/name": "web"])), as: UTF8.self)
        #expect(text == #"{"labels":{"app.kubernetes.io/name":"web"}}"#)
    }
}
