import Foundation
import KubeAPI
import Testing

@Suite("Quantity")
struct QuantityTests {
    @Test(arguments: [
        ("100m", Int64(100), "100m"),
        ("1", 1000, "1"),
        ("2", 2000, "2"),
        ("1000m", 1000, "1"),
        ("0.1", 100, "100m"),
        ("1.5", 1500, "1500m"),
        ("3800m", 3800, "3800m"),
        ("1k", 1_000_000, "1k"),
        ("1e3", 1_000_000, "1e3"),
        ("1Ki", 1_024_000, "1Ki"),
        ("1024Mi", 1_073_741_824_000, "1Gi"),
        ("1.5Gi", 1_610_612_736_000, "1536Mi"),
        ("1536", 1_536_000, "1536"),
        ("500M", 500_000_000_000, "500M"),
        ("0", 0, "0"),
        ("1n", 1, "1n"),
        ("10u", 1, "10u"),
        ("+5", 5000, "5"),
        ("-100m", -100, "-100m"),
        ("16374652Ki", 16_767_643_648_000, "16374652Ki"),
    ])
    func parse(_ text: String, _ milli: Int64, _ canonical: String) throws {
        let q = try #require(Quantity(parsing: text))
        #expect(q.milliValue == milli)
        #expect(q.canonical == canonical)
        #expect(q.description == text)
        #expect(Quantity(parsing: q.canonical) == q)
    }

    @Test(arguments: ["", "m", "1.2.3", "1Qi", "abc", "1 Gi", ".", "1ee3", "99999999999999999999Ei"])
    func rejects(_ text: String) {
        #expect(Quantity(parsing: text) == nil)
    }

    @Test func compare() {
        #expect(Quantity("1Gi") == Quantity("1024Mi"))
        #expect(Quantity("1") == Quantity("1000m"))
        #expect(Quantity("250m") < Quantity("1"))
        #expect(Quantity("3800m") < Quantity("4"))
        #expect(Quantity("15862652Ki") > Quantity("256Mi"))
        #expect(Quantity("-1") < Quantity("0"))
        #expect(Quantity("250m") + Quantity("1750m") == Quantity("2"))
        #expect(Quantity("4") - Quantity("250m") == Quantity("3750m"))
        #expect(Quantity(milliValue: 1500).canonical == "1500m")
        #expect(Quantity(1_073_741_824, format: .binarySI).canonical == "1Gi")
        #expect(Quantity("1.0001m").milliValue == 2)
        #expect(Quantity("1.5").value == 2)
    }

    @Test func codesAsWrittenAndAcceptsNumbers() throws {
        let q = try JSONDecoder().decode([String: Quantity].self, from: Data(#"{"cpu":"0.5","pods":110}"#.utf8))
        #expect(q["cpu"] == Quantity("500m"))
        #expect(q["pods"] == Quantity("110"))
        #expect(String(decoding: try JSONEncoder().encode(q["cpu"]), as: UTF8.self) == #""0.5""#)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(Quantity.self, from: Data(#""lots""#.utf8))
        }
    }

    @Test(arguments: [
        (IntOrString.string("25%"), 10, true, 3),
        (.string("25%"), 10, false, 2),
        (.int(1), 10, true, 1),
        (.string("100%"), 3, false, 3),
    ])
    func intOrStringScaling(_ value: IntOrString, _ total: Int, _ roundUp: Bool, _ expected: Int) {
        #expect(value.scaled(total: total, roundUp: roundUp) == expected)
    }
}
