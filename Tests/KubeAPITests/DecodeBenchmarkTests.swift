import Foundation
import KubeAPI
import Testing

/// What the service proxy does on start: decode a large list. Printed, not asserted.
@Suite("Decode benchmark")
struct DecodeBenchmarkTests {
    @Test func decodeTenThousandServicesAndSlices() throws {
        let service = try Fixture.json("service.json")
        let slice = try Fixture.json("endpointslice.json")
        func list(_ item: JSONValue, kind: String, apiVersion: String, count: Int) -> JSONValue {
            var items: [JSONValue] = []
            items.reserveCapacity(count)
            for i in 0..<count {
                var object = item.objectValue!
                var meta = object["metadata"]!.objectValue!
                meta["name"] = .string("svc-\(i)")
                object["metadata"] = .object(meta)
                items.append(.object(object))
            }
            return ["kind": .string(kind), "apiVersion": .string(apiVersion),
                    "metadata": ["resourceVersion": "1"], "items": .array(items)]
        }
        let services = try JSONEncoder().encode(list(service, kind: "ServiceList", apiVersion: "v1", count: 10_000))
        let slices = try JSONEncoder().encode(list(slice, kind: "EndpointSliceList", apiVersion: "discovery.k8s.io/v1",
                                                   count: 10_000))
        let clock = ContinuousClock()
        var decodedServices = KubeList<Service>()
        var decodedSlices = KubeList<EndpointSlice>()
        let foundationServices = try clock.measure {
            decodedServices = try JSONDecoder().decode(KubeList<Service>.self, from: services)
        }
        let foundationSlices = try clock.measure {
            decodedSlices = try JSONDecoder().decode(KubeList<EndpointSlice>.self, from: slices)
        }
        var fastServices = KubeList<Service>()
        var fastSlices = KubeList<EndpointSlice>()
        let fastServiceTime = try clock.measure { fastServices = try KubeJSON.decode(KubeList<Service>.self, from: services) }
        let fastSliceTime = try clock.measure { fastSlices = try KubeJSON.decode(KubeList<EndpointSlice>.self, from: slices) }
        var encoded = Data()
        let encodeTime = try clock.measure { encoded = try JSONEncoder().encode(fastServices) }
        var fastEncoded = Data()
        let fastEncodeTime = clock.measure { fastEncoded = KubeJSON.encode(fastServices) }
        #expect(try KubeJSON.decode(ServiceList.self, from: fastEncoded) == fastServices)
        #expect(decodedServices.items.count == 10_000)
        #expect(fastServices == decodedServices)
        #expect(fastSlices == decodedSlices)
        print("""
            KubeAPI decode benchmark (debug build unless -c release):
              10,000 Services       \(services.count / 1024) KiB  KubeJSON \(fastServiceTime)  JSONDecoder \(foundationServices)
              10,000 EndpointSlices \(slices.count / 1024) KiB  KubeJSON \(fastSliceTime)  JSONDecoder \(foundationSlices)
              encode 10,000 Services \(fastEncoded.count / 1024) KiB  KubeJSON \(fastEncodeTime)  JSONEncoder \(encodeTime) (\(encoded.count / 1024) KiB)
            """)
    }
}
