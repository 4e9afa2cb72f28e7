import KubeAPI
import Testing

@Suite("JSON merge patch and JSON patch")
struct PatchTests {
    // RFC 7386, appendix A.
    @Test(arguments: [
        (#"{"a":"b"}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
        (#"{"a":"b"}"#, #"{"b":"c"}"#, #"{"a":"b","b":"c"}"#),
        (#"{"a":"b"}"#, #"{"a":null}"#, #"{}"#),
        (#"{"a":"b","b":"c"}"#, #"{"a":null}"#, #"{"b":"c"}"#),
        (#"{"a":["b"]}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
        (#"{"a":"c"}"#, #"{"a":["b"]}"#, #"{"a":["b"]}"#),
        (#"{"a":{"b":"c"}}"#, #"{"a":{"b":"d","c":null}}"#, #"{"a":{"b":"d"}}"#),
        (#"{"a":[{"b":"c"}]}"#, #"{"a":[1]}"#, #"{"a":[1]}"#),
        (#"["a","b"]"#, #"["c","d"]"#, #"["c","d"]"#),
        (#"{"a":"b"}"#, #"["c"]"#, #"["c"]"#),
        (#"{"a":"foo"}"#, #"null"#, #"null"#),
        (#"{"a":"foo"}"#, #""bar""#, #""bar""#),
        (#"{"e":null}"#, #"{"a":1}"#, #"{"e":null,"a":1}"#),
        (#"[1,2]"#, #"{"a":"b","c":null}"#, #"{"a":"b"}"#),
        (#"{}"#, #"{"a":{"bb":{"ccc":null}}}"#, #"{"a":{"bb":{}}}"#),
    ])
    func mergePatch(_ target: String, _ patch: String, _ result: String) throws {
        #expect(try json(target).mergePatched(with: json(patch)) == json(result))
    }

    // RFC 6902, appendix A.
    @Test(arguments: [
        (#"{"foo":"bar"}"#, #"[{"op":"add","path":"/baz","value":"qux"}]"#, #"{"baz":"qux","foo":"bar"}"#),
        (#"{"foo":["bar","baz"]}"#, #"[{"op":"add","path":"/foo/1","value":"qux"}]"#, #"{"foo":["bar","qux","baz"]}"#),
        (#"{"baz":"qux","foo":"bar"}"#, #"[{"op":"remove","path":"/baz"}]"#, #"{"foo":"bar"}"#),
        (#"{"foo":["bar","qux","baz"]}"#, #"[{"op":"remove","path":"/foo/1"}]"#, #"{"foo":["bar","baz"]}"#),
        (#"{"baz":"qux","foo":"bar"}"#, #"[{"op":"replace","path":"/baz","value":"boo"}]"#, #"{"baz":"boo","foo":"bar"}"#),
        (#"{"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}}"#,
         #"[{"op":"move","from":"/foo/waldo","path":"/qux/thud"}]"#,
         #"{"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}}"#),
        (#"{"foo":["all","grass","cows","eat"]}"#, #"[{"op":"move","from":"/foo/1","path":"/foo/3"}]"#,
         #"{"foo":["all","cows","eat","grass"]}"#),
        (#"{"baz":"qux","foo":["a",2,"c"]}"#,
         #"[{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2}]"#,
         #"{"baz":"qux","foo":["a",2,"c"]}"#),
        (#"{"foo":"bar"}"#, #"[{"op":"add","path":"/child","value":{"grandchild":{}}}]"#,
         #"{"foo":"bar","child":{"grandchild":{}}}"#),
        (#"{"foo":["bar"]}"#, #"[{"op":"add","path":"/foo/-","value":["abc","def"]}]"#, #"{"foo":["bar",["abc","def"]]}"#),
        (#"{"/":9,"~1":10}"#, #"[{"op":"test","path":"/~01","value":10}]"#, #"{"/":9,"~1":10}"#),
        (#"{"foo":"bar"}"#, #"[{"op":"copy","from":"/foo","path":"/baz"}]"#, #"{"foo":"bar","baz":"bar"}"#),
        (#"{"metadata":{"labels":{"a":"b"}}}"#,
         #"[{"op":"replace","path":"/metadata/labels/a","value":"c"},{"op":"add","path":"/metadata/labels/d","value":"e"}]"#,
         #"{"metadata":{"labels":{"a":"c","d":"e"}}}"#),
    ])
    func jsonPatch(_ document: String, _ patch: String, _ result: String) throws {
        #expect(try json(document).jsonPatched(with: json(patch)) == json(result))
    }

    @Test(arguments: [
        (#"{"baz":"qux"}"#, #"[{"op":"test","path":"/baz","value":"bar"}]"#, PatchError.Code.testFailed),
        (#"{"foo":"bar"}"#, #"[{"op":"add","path":"/baz/bat","value":"qux"}]"#, .pathNotFound),
        (#"{"foo":"bar"}"#, #"[{"op":"remove","path":"/nope"}]"#, .pathNotFound),
        (#"{"foo":"bar"}"#, #"[{"op":"replace","path":"/nope","value":1}]"#, .pathNotFound),
        (#"{"foo":[1]}"#, #"[{"op":"add","path":"/foo/5","value":2}]"#, .pathNotFound),
        (#"{"foo":[1]}"#, #"[{"op":"add","path":"/foo/01","value":2}]"#, .pathNotFound),
        (#"{"foo":"bar"}"#, #"[{"op":"frobnicate","path":"/foo"}]"#, .invalidPatch),
        (#"{"foo":"bar"}"#, #"[{"op":"add","path":"/foo"}]"#, .invalidPatch),
        (#"{"foo":"bar"}"#, #"[{"op":"add","path":"foo","value":1}]"#, .invalidPointer),
        (#"{"foo":"bar"}"#, #"{"op":"add"}"#, .invalidPatch),
        (#"{"a":{"b":1}}"#, #"[{"op":"move","from":"/a","path":"/a/c"}]"#, .invalidPatch),
    ])
    func jsonPatchErrors(_ document: String, _ patch: String, _ code: PatchError.Code) throws {
        let doc = try json(document), p = try json(patch)
        #expect { try doc.jsonPatched(with: p) } throws: { ($0 as? PatchError)?.code == code }
    }

    @Test func failedTestLeavesDocumentUnchanged() throws {
        let doc = try json(#"{"a":1}"#)
        let patch = try json(#"[{"op":"add","path":"/b","value":2},{"op":"test","path":"/a","value":2}]"#)
        #expect(throws: PatchError.self) { try doc.jsonPatched(with: patch) }
        #expect(doc == (try json(#"{"a":1}"#)))
    }

    @Test func patchesATypedObject() throws {
        let service = try Fixture.decode(Service.self, "service.json")
        let patched = try JSONValue(encoding: service)
            .mergePatched(with: ["spec": ["externalTrafficPolicy": "Cluster", "healthCheckNodePort": nil]])
            .decode(as: Service.self)
        #expect(patched.spec?.externalTrafficPolicy == "Cluster")
        #expect(patched.spec?.healthCheckNodePort == nil)
        #expect(patched.spec?.clusterIPs == service.spec?.clusterIPs)
    }

    private func json(_ text: String) throws -> JSONValue { try JSONValue(json: Data(text.utf8)) }
}

import Foundation
