import FoundationEssentials
import CLinux
import KubeAPI

/// Kubernetes objects from a JSON file: an array of objects, or a `List` (`{"items": […]}`,
/// as `kubectl get -o json` prints). Kinds other than Service, EndpointSlice, Pod and
/// Namespace are skipped.
public enum Fixture {
    public struct Error: Swift.Error, CustomStringConvertible {
        public var description: String
    }

    public static func objects(from data: Data) throws -> [any KubeObject] {
        let root = try JSONValue(json: data)
        guard let items = root.arrayValue ?? root["items"]?.arrayValue else {
            throw Error(description: "fixture: expected a JSON array of objects or a List with items")
        }
        var out: [any KubeObject] = []
        out.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            do {
                switch item["kind"]?.stringValue {
                case "Service": out.append(try item.decode(as: Service.self))
                case "EndpointSlice": out.append(try item.decode(as: EndpointSlice.self))
                case "Pod": out.append(try item.decode(as: Pod.self))
                case "Namespace": out.append(try item.decode(as: Namespace.self))
                default: continue
                }
            } catch {
                throw Error(description: "fixture: item \(i): \(error)")
            }
        }
        return out
    }
}

extension ClusterZone {
    /// Applies every object of a fixture as an upsert, marks the zone synced and waits for
    /// the snapshot. Returns the number of objects applied.
    @discardableResult
    public func load(fixture data: Data) throws -> Int {
        let objects = try Fixture.objects(from: data)
        // One update, so the whole file costs one rebuild.
        update { state in
            for o in objects { state.upsert(any: o) }
            state.markSynced()
        }
        flush()
        return objects.count
    }
}

extension ClusterZone {
    /// Returns freed heap to the system (after a large initial load, so that resident
    /// memory shows the zone rather than the decoder's garbage).
    public static func releaseFreeMemory() { _ = trellis_malloc_trim() }
}
