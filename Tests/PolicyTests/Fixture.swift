import KubeAPI
import NetAddr
@testable import Policy

/// The upstream e2e suite's cluster: namespaces x, y, z, pods a, b, c in each, every pod
/// serving 80 and 81 over TCP and UDP with named ports `serve-<port>-<proto>`.
enum Fixture {
    static let namespaces = ["x", "y", "z"]
    static let podNames = ["a", "b", "c"]
    static let node = "node-1"
    static let nodeIP = "10.244.0.1"
    static let podCIDR = "10.244.0.0/24"
    static let external = IPAddress("192.168.77.2")!

    static func ip(_ ns: String, _ pod: String) -> IPAddress {
        let n = namespaces.firstIndex(of: ns)! + 1, p = podNames.firstIndex(of: pod)! + 1
        return IPAddress("10.244.0.\(n * 10 + p)")!
    }

    static func pod(_ ns: String, _ name: String, labels: [String: String]? = nil, ip: IPAddress? = nil) -> Pod {
        var p = Pod()
        p.metadata = ObjectMeta(name: name, namespace: ns, labels: labels ?? ["pod": name])
        var c = Container(name: "srv", image: "none")
        c.ports = [80, 81].flatMap { port in
            ["TCP", "UDP"].map { ContainerPort(name: "serve-\(port)-\($0.lowercased())", containerPort: Int32(port), protocol: $0) }
        }
        var spec = PodSpec(containers: [c])
        spec.nodeName = node
        p.spec = spec
        var st = PodStatus()
        st.phase = "Running"
        st.podIP = "\(ip ?? Self.ip(ns, name))"
        st.hostIP = nodeIP
        p.status = st
        return p
    }

    static func namespace(_ name: String, labels: [String: String]? = nil) -> Namespace {
        var n = Namespace()
        n.metadata = ObjectMeta(name: name, labels: labels ?? ["ns": name])
        return n
    }

    static var pods: [Pod] { namespaces.flatMap { ns in podNames.map { pod(ns, $0) } } }
    static var allNamespaces: [Namespace] { namespaces.map { namespace($0) } }

    static func sel(_ labels: [String: String]) -> LabelSelector { LabelSelector(matchLabels: labels) }
    static let all = LabelSelector()

    static func np(_ ns: String, _ name: String, select: LabelSelector = LabelSelector(),
                   ingress: [NetworkPolicyIngressRule]? = nil, egress: [NetworkPolicyEgressRule]? = nil,
                   types: [String]? = nil) -> NetworkPolicy {
        var p = NetworkPolicy()
        p.metadata = ObjectMeta(name: name, namespace: ns)
        var s = NetworkPolicySpec()
        s.podSelector = select
        s.ingress = ingress
        s.egress = egress
        s.policyTypes = types
        p.spec = s
        return p
    }

    static func from(_ peers: [NetworkPolicyPeer]? = nil, ports: [NetworkPolicyPort]? = nil) -> NetworkPolicyIngressRule {
        var r = NetworkPolicyIngressRule()
        r.from = peers
        r.ports = ports
        return r
    }

    static func to(_ peers: [NetworkPolicyPeer]? = nil, ports: [NetworkPolicyPort]? = nil) -> NetworkPolicyEgressRule {
        var r = NetworkPolicyEgressRule()
        r.to = peers
        r.ports = ports
        return r
    }

    static func peer(pods: LabelSelector? = nil, ns: LabelSelector? = nil) -> NetworkPolicyPeer {
        var p = NetworkPolicyPeer()
        p.podSelector = pods
        p.namespaceSelector = ns
        return p
    }

    static func block(_ cidr: String, except: [String]? = nil) -> NetworkPolicyPeer {
        var p = NetworkPolicyPeer()
        p.ipBlock = IPBlock(cidr: cidr, except: except)
        return p
    }

    static func port(_ port: IntOrString?, _ proto: String? = nil, end: Int32? = nil) -> NetworkPolicyPort {
        var p = NetworkPolicyPort()
        p.port = port
        p.protocol = proto
        p.endPort = end
        return p
    }

    // ClusterNetworkPolicy builders.
    static func cnp(_ name: String, tier: String = "Admin", priority: Int32, subject: LabelSelector,
                    ingress: [ClusterNetworkPolicy.IngressRule] = [],
                    egress: [ClusterNetworkPolicy.EgressRule] = []) -> ClusterNetworkPolicy {
        var c = ClusterNetworkPolicy()
        c.metadata = ObjectMeta(name: name)
        c.spec.tier = tier
        c.spec.priority = priority
        c.spec.subject.namespaces = subject
        c.spec.ingress = ingress
        c.spec.egress = egress
        return c
    }

    static func cnpIn(_ action: String, fromNamespaces: LabelSelector, tcp port: Int32? = nil) -> ClusterNetworkPolicy.IngressRule {
        var r = ClusterNetworkPolicy.IngressRule()
        r.action = action
        var p = ClusterNetworkPolicy.IngressPeer()
        p.namespaces = fromNamespaces
        r.from = [p]
        if let port { r.protocols = [tcpMatch(port)] }
        return r
    }

    static func cnpEg(_ action: String, toNamespaces: LabelSelector? = nil, networks: [String]? = nil,
                      tcp port: Int32? = nil) -> ClusterNetworkPolicy.EgressRule {
        var r = ClusterNetworkPolicy.EgressRule()
        r.action = action
        var p = ClusterNetworkPolicy.EgressPeer()
        p.namespaces = toNamespaces
        p.networks = networks
        r.to = [p]
        if let port { r.protocols = [tcpMatch(port)] }
        return r
    }

    static func tcpMatch(_ port: Int32) -> ClusterNetworkPolicy.ProtocolMatch {
        var m = ClusterNetworkPolicy.ProtocolMatch()
        var pm = ClusterNetworkPolicy.PortMatch()
        var p = ClusterNetworkPolicy.Port()
        p.number = port
        pm.destinationPort = p
        m.tcp = pm
        return m
    }

    static func model(_ nps: [NetworkPolicy], _ cnps: [ClusterNetworkPolicy] = [], pods: [Pod]? = nil,
                      namespaces: [Namespace]? = nil) -> PolicyModel {
        PolicyModel(pods: pods ?? Self.pods, namespaces: namespaces ?? allNamespaces, networkPolicies: nps,
                    clusterNetworkPolicies: cnps)
    }

    static func flow(_ from: String, _ to: String, _ port: UInt16, _ proto: L4Proto = .tcp) -> Flow {
        Flow(source: address(from), destination: address(to), port: port, proto: proto)
    }

    /// `x/a`, `node`, `ext` or a literal address.
    static func address(_ s: String) -> IPAddress {
        if s == "node" { return IPAddress(nodeIP)! }
        if s == "ext" { return external }
        if let a = IPAddress(s) { return a }
        let parts = s.split(separator: "/").map(String.init)
        return ip(parts[0], parts[1])
    }
}
