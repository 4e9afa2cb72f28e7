import KubeAPI
import Testing

@Suite("Label and field selectors")
struct SelectorTests {
    static let labels = ["app": "web", "tier": "frontend", "env": "prod", "version": "3"]

    @Test(arguments: [
        (LabelSelector(), true),
        (LabelSelector(matchLabels: [:], matchExpressions: []), true),
        (LabelSelector(matchLabels: ["app": "web"]), true),
        (LabelSelector(matchLabels: ["app": "web", "env": "dev"]), false),
        (LabelSelector(matchExpressions: [.init(key: "tier", operator: "In", values: ["frontend", "backend"])]), true),
        (LabelSelector(matchExpressions: [.init(key: "tier", operator: "NotIn", values: ["frontend"])]), false),
        (LabelSelector(matchExpressions: [.init(key: "missing", operator: "NotIn", values: ["x"])]), true),
        (LabelSelector(matchExpressions: [.init(key: "app", operator: "Exists")]), true),
        (LabelSelector(matchExpressions: [.init(key: "app", operator: "DoesNotExist")]), false),
        (LabelSelector(matchLabels: ["app": "web"], matchExpressions: [.init(key: "gone", operator: "DoesNotExist")]), true),
        // Invalid selectors match nothing.
        (LabelSelector(matchExpressions: [.init(key: "app", operator: "In", values: [])]), false),
        (LabelSelector(matchExpressions: [.init(key: "app", operator: "Equals", values: ["web"])]), false),
        (LabelSelector(matchExpressions: [.init(key: "app", operator: "Exists", values: ["web"])]), false),
    ])
    func structured(_ selector: LabelSelector, _ expected: Bool) {
        #expect(selector.matches(Self.labels) == expected)
    }

    @Test(arguments: [
        ("", true),
        ("app=web", true),
        ("app==web", true),
        ("app!=web", false),
        ("app=web,env!=dev", true),
        ("tier in (frontend,backend)", true),
        ("tier in (backend)", false),
        ("tier notin (backend)", true),
        ("env notin (prod, staging)", false),
        ("app", true),
        ("!app", false),
        ("!missing", true),
        ("missing!=x", true),
        ("version>2", true),
        ("version<3", false),
        ("app=web,tier in (frontend),env,!canary", true),
        ("  app = web ,  env  ", true),
        ("app=", false),
        ("example.com/team=net", false),
    ])
    func stringForm(_ text: String, _ expected: Bool) throws {
        let selector = try LabelRequirements(parsing: text)
        #expect(selector.matches(Self.labels) == expected)
    }

    @Test(arguments: [
        ("a=b,c!=d,e in (x,y),f notin (z),g,!h", "a=b,c!=d,e in (x,y),f notin (z),g,!h"),
        ("a==b", "a=b"),
        ("e in ( x , y )", "e in (x,y)"),
        ("e in (y,x,y)", "e in (x,y)"),
        ("e in (x,)", "e in (,x)"),
        ("e notin (,x)", "e notin (,x)"),
    ])
    func roundTripsToCanonicalText(_ text: String, _ canonical: String) throws {
        #expect(try LabelRequirements(parsing: text).description == canonical)
    }

    @Test(arguments: [
        ("a=b,", "found '', expected: identifier after ','"),
        ("a in (x", "found '', expected: ',' or ')'"),
        ("a in x", "found 'x', expected: '('"),
        ("a in (x y)", "found 'y', expected: ',' or ')'"),
        ("a in ()", "for 'in', 'notin' operators, values set can't be empty"),
        ("!", "found '', expected: identifier after '!'"),
        ("a b", "found 'b', expected: in, notin, =, ==, !=, gt, lt"),
        ("a=b c", "found 'c', expected: ',' or 'end of string'"),
        ("=b", "found '=', expected: !, identifier, or 'end of string'"),
        ("a>x", "for 'Gt', 'Lt' operators, exactly one integer value is required"),
        ("-bad=x", "key: Invalid value: \"-bad\""),
        ("a=-bad", "Invalid value: \"-bad\""),
        ("a=(x)", "found '(', expected: identifier"),
    ])
    func stringErrors(_ text: String, _ fragment: String) {
        #expect {
            try LabelRequirements(parsing: text)
        } throws: { error in
            let message = (error as? SelectorError)?.message ?? ""
            return message.contains(fragment) && message.contains("unable to parse requirement")
        }
    }

    @Test func structuredSelectorAsRequirements() throws {
        let selector = LabelSelector(matchLabels: ["b": "2", "a": "1"],
                                     matchExpressions: [.init(key: "c", operator: "NotIn", values: ["x"])])
        #expect(try selector.requirements().description == "a=1,b=2,c notin (x)")
        #expect(throws: SelectorError.self) {
            try LabelSelector(matchExpressions: [.init(key: "c", operator: "Near", values: ["x"])]).requirements()
        }
    }

    @Test(arguments: [
        ("metadata.name=web-7d4b9c6f5-x2k8p", true),
        ("metadata.name==web-7d4b9c6f5-x2k8p", true),
        ("metadata.name!=web-7d4b9c6f5-x2k8p", false),
        ("metadata.namespace=shop,spec.nodeName=node-2", true),
        ("spec.nodeName!=node-1", true),
        ("spec.nodeName=", false),
        ("status.phase=Running", true),
        ("", true),
        ("spec.unsupported=x", false),
    ])
    func fieldSelectors(_ text: String, _ expected: Bool) throws {
        let pod = try Fixture.decode(Pod.self, "pod.json")
        #expect(try FieldSelector(parsing: text).matches(pod) == expected)
    }

    @Test func fieldSelectorOnUnscheduledPodAndClusterScoped() throws {
        let pod = Pod(metadata: ObjectMeta(name: "pending", namespace: "default"))
        #expect(try FieldSelector(parsing: "spec.nodeName=").matches(pod))
        #expect(try FieldSelector(parsing: "spec.nodeName!=").matches(pod) == false)
        let node = try Fixture.decode(Node.self, "node.json")
        #expect(try FieldSelector(parsing: "metadata.name=node-2").matches(node))
        #expect(try FieldSelector(parsing: "spec.nodeName=node-2").matches(node) == false)
        #expect(try FieldSelector(parsing: "a=b,c!=d").unsupportedFields(["a"]) == ["c"])
        #expect(try FieldSelector(parsing: #"metadata.name=a\,b"#).requirements[0].value == "a,b")
    }

    @Test(arguments: ["metadata.name", "a=b,nonsense", ",,x"])
    func fieldSelectorErrors(_ text: String) {
        #expect(throws: SelectorError.self) { try FieldSelector(parsing: text) }
    }
}
