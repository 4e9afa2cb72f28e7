import Foundation
import KubeAPI
import Testing

@Suite("Fast JSON writer (KubeJSON.encode) agrees with JSONEncoder")
struct FastEncodeTests {
    @Test(arguments: KindFixture.all)
    func fixtures(_ fixture: KindFixture) throws {
        let data = try Fixture.data(fixture.file)
        let (same, fast) = try fixture.fastEncodeMatchesFoundation(data)
        #expect(same)
        // And it is the fixture itself, modulo whitespace and key order.
        #expect(try JSONDecoder().decode(JSONValue.self, from: fast) == JSONDecoder().decode(JSONValue.self, from: data))
    }

    @Test("with an unknown key in every object", arguments: KindFixture.all)
    func fixturesWithUnknownFields(_ fixture: KindFixture) throws {
        let data = try JSONEncoder().encode(Fixture.json(fixture.file).injecting("zzFutureField", "1"))
        #expect(try fixture.fastEncodeMatchesFoundation(data).same)
    }

    @Test func fieldOrderAndSortedMaps() throws {
        var service = Service(metadata: ObjectMeta(name: "web", namespace: "shop", labels: ["b": "2", "a": "1"]))
        service.spec = ServiceSpec()
        service.spec?.ports = [ServicePort(name: "http", port: 80, targetPort: 8080)]
        service.unknownFields["zFuture"] = ["y": 1, "x": [true, nil]]
        let text = String(decoding: KubeJSON.encode(service), as: UTF8.self)
        #expect(text == #"{"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"shop","labels":{"a":"1","b":"2"}},"spec":{"ports":[{"name":"http","protocol":"TCP","port":80,"targetPort":8080}]},"zFuture":{"x":[true,null],"y":1}}"#)
    }

    @Test(arguments: [
        "plain", "", "quote\" back\\ slash/", "ctl\u{01}\u{1F}\n\r\t\u{08}\u{0C}", "é ✓ 😀", "\u{2028}",
    ])
    func strings(_ value: String) throws {
        let data = KubeJSON.encode(JSONValue.string(value))
        #expect(try JSONDecoder().decode(String.self, from: data) == value)
        #expect(try KubeJSON.decode(String.self, from: data) == value)
    }

    @Test func numbersAndSpecials() throws {
        let value: JSONValue = [0, -1, 9_223_372_036_854_775_807, 1.5, -2.5e-3, 1e300, 1000.0, -0.0, .double(.nan)]
        let text = String(decoding: KubeJSON.encode(value), as: UTF8.self)
        #expect(try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
                == [0, -1, 9_223_372_036_854_775_807, 1.5, -2.5e-3, 1e300, 1000, 0, nil])
    }

    @Test func watchEvents() throws {
        let event = WatchEvent(type: .modified, object: Service(metadata: ObjectMeta(name: "a")))
        #expect(String(decoding: KubeJSON.encode(event), as: UTF8.self)
                == #"{"type":"MODIFIED","object":{"apiVersion":"v1","kind":"Service","metadata":{"name":"a"}}}"#)
        let error = WatchEvent<Service>(error: Status(code: 410, reason: "Expired", message: "too old"))
        let decoded = try KubeJSON.decode(WatchEvent<Service>.self, from: KubeJSON.encode(error))
        #expect(decoded == error)
    }
}
