// swift-tools-version:6.0
import PackageDescription

// Trellis: a Kubernetes networking stack. See docs/ARCHITECTURE.md for the module map.
let package = Package(
    name: "Trellis",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "trellis-bridge", targets: ["trellis-bridge"]),
        .executable(name: "trellis-ipam", targets: ["trellis-ipam"]),
        .executable(name: "trellis-hostgw", targets: ["trellis-hostgw"]),
        .executable(name: "trellis-vxlan", targets: ["trellis-vxlan"]),
        .executable(name: "trellis-bgp", targets: ["trellis-bgp"]),
        .executable(name: "trellis", targets: ["Trellis"]),
        .library(name: "TrellisNetworking", targets: ["NetAddr", "NetNS", "Netlink", "CNI", "IPAM", "PodNetwork"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        // C libraries: system library targets with tiny shims for macros.
        .systemLibrary(name: "CMnl", path: "Sources/CMnl", pkgConfig: "libmnl", providers: [.apt(["libmnl-dev"])]),
        .systemLibrary(name: "CNftnl", path: "Sources/CNftnl", pkgConfig: "libnftnl", providers: [.apt(["libnftnl-dev"])]),
        .systemLibrary(name: "CBPF", path: "Sources/CBPF", pkgConfig: "libbpf", providers: [.apt(["libbpf-dev"])]),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CIPSet", path: "Sources/CIPSet", pkgConfig: "libipset", providers: [.apt(["libipset-dev"])]),

        // Pure values shared by every module: IP addresses, prefixes, MACs.
        .target(name: "NetAddr"),
        // Kernel interfaces.
        .target(name: "CLinux"),
        .target(name: "NetNS", dependencies: ["CLinux"]),
        .target(name: "Netlink", dependencies: ["CMnl", "NetAddr", "NetNS"]),
        .target(name: "NFTables", dependencies: ["CNftnl", "NetAddr", "NetNS"]),
        // CNI runtime and IPAM (kernel-free).
        .target(name: "CNI", dependencies: ["CLinux", "NetAddr"]),
        .target(name: "IPAM", dependencies: ["CNI", "NetAddr"]),
        // Pod networking: pure plans + apply through Netlink/NFTables.
        .target(name: "PodNetwork", dependencies: ["CNI", "IPAM", "NetAddr", "NetNS", "Netlink", "NFTables"]),

        // Kubernetes API: object model, codecs, selectors (pure).
        .target(name: "KubeAPI", dependencies: ["NetAddr"]),

        // API server storage: revisioned objects with watch, SQLite (WAL) by default.
        .target(name: "Store", dependencies: [
            "CSQLite",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),

        // DNS wire format (RFC 1035, EDNS0): pure, allocation-light, never crashes on input.
        .target(name: "DNSWire"),

        // The embedded API server: Kubernetes REST over HTTP on SwiftNIO.
        .target(name: "APIServer", dependencies: [
            "KubeAPI", "NetAddr", "NetNS", "Store",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        // Kubernetes API client: kubeconfig/in-cluster config, list+watch, shared informers,
        // work queue, leader election. Works against kube-apiserver and `trellis apiserver`.
        .target(name: "KubeClient", dependencies: [
            "KubeAPI",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOTLS", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        // Prometheus metrics and health endpoints shared by the daemons.
        .target(name: "Telemetry", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        // Cluster DNS: the Kubernetes DNS records, server, forwarder, cache.
        .target(name: "ClusterDNS", dependencies: ["DNSWire", "KubeAPI", "NetAddr", "CLinux", "Telemetry"]),
        // Service proxy: the backend-independent plan (pure) and the kernel backends.
        .target(name: "ServiceProxy", dependencies: ["CLinux", "KubeAPI", "NetAddr", "NetNS", "Netlink", "NFTables", "Telemetry"]),
        // NetworkPolicy: evaluator (pure), compiler and nftables backend.
        .target(name: "Policy", dependencies: ["KubeAPI", "NetAddr", "NetNS", "NFTables", "Telemetry"]),

        // Control-plane companions: controllers and scheduler as pure reconcilers plus their loops.
        .target(name: "Controllers", dependencies: ["KubeAPI", "KubeClient", "NetAddr"]),

        // Multi-node pod networking: host-gw, vxlan and BGP route reconciliation (`trellis routing`).
        .target(name: "Routing", dependencies: ["KubeAPI", "NetAddr", "NetNS", "Netlink", "Telemetry",
                                                .product(name: "NIOCore", package: "swift-nio"),
                                                .product(name: "NIOPosix", package: "swift-nio")]),
        // CNI plugins over the node's pod CIDR from `trellis routing` (hostgw, vxlan): bridge semantics.
        // Also trellis-bgp: routed veths with host routes and proxy ARP, no bridge.
        .target(name: "SubnetPlugins", dependencies: ["CNI", "IPAM", "NetAddr", "NetNS", "Netlink", "PodNetwork"]),
        // The kubelet: pods as network namespaces (CNI) running their containers' commands as processes.
        .target(name: "Kubelet", dependencies: ["KubeAPI", "NetAddr", "NetNS", "Netlink", "CNI", "CLinux"]),

        // The `trellis` command.
        .executableTarget(name: "Trellis", dependencies: [
            "APIServer", "KubeClient", "Controllers", "Kubelet", "Routing", "SubnetPlugins", "ClusterDNS", "ServiceProxy", "Policy", "Telemetry",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),

        // CNI plugin binaries: each main is one call into a library.
        .executableTarget(name: "trellis-bridge", dependencies: ["PodNetwork"], path: "Plugins/bridge"),
        .executableTarget(name: "trellis-ipam", dependencies: ["IPAM", "CNI"], path: "Plugins/ipam"),
        .executableTarget(name: "trellis-hostgw", dependencies: ["SubnetPlugins", "CNI"], path: "Plugins/hostgw"),
        .executableTarget(name: "trellis-vxlan", dependencies: ["SubnetPlugins", "CNI"], path: "Plugins/vxlan"),
        .executableTarget(name: "trellis-bgp", dependencies: ["SubnetPlugins", "CNI"], path: "Plugins/bgp"),
        // Benchmarks (scripts/bench-*.sh build them in release mode).
        .executableTarget(name: "proxy-bench", dependencies: ["ServiceProxy", "KubeAPI", "NFTables", "NetAddr", "NetNS"],
                          path: "Benchmarks/ProxyBench"),

        // Tests. Root-only kernel tests make and remove their own namespaces.
        .target(name: "TestSupport", dependencies: ["CLinux", "NetNS"], path: "Tests/TestSupport"),
        .testTarget(name: "NetAddrTests", dependencies: ["NetAddr"]),
        .testTarget(name: "NetNSTests", dependencies: ["NetNS", "TestSupport"]),
        .testTarget(name: "NetlinkTests", dependencies: ["Netlink", "NetNS", "NetAddr", "TestSupport"]),
        .testTarget(name: "NFTablesTests", dependencies: ["NFTables", "NetNS", "NetAddr", "TestSupport"]),
        .testTarget(name: "CNITests", dependencies: ["CNI", "NetAddr"]),
        .testTarget(name: "IPAMTests", dependencies: ["IPAM", "CNI", "NetAddr", "TestSupport"]),
        .testTarget(name: "PodNetworkTests", dependencies: ["PodNetwork", "TestSupport"], exclude: ["Golden"]),
        .testTarget(name: "KubeAPITests", dependencies: ["KubeAPI"], exclude: ["Fixtures"]),
        .testTarget(name: "StoreTests", dependencies: ["Store", "TestSupport"]),
        .testTarget(name: "APIServerTests", dependencies: ["APIServer", "KubeAPI", "Store", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "CLibraryTests", dependencies: ["CBPF", "CIPSet"]),
        .testTarget(name: "DNSWireTests", dependencies: ["DNSWire"]),
        .testTarget(name: "KubeClientTests", dependencies: ["KubeClient", "KubeAPI", "APIServer", "Store", "TestSupport"]),
        .testTarget(name: "ControllersTests", dependencies: ["Controllers", "KubeAPI", "KubeClient", "NetAddr", "APIServer", "Store", "TestSupport"]),
        .testTarget(name: "KubeletTests", dependencies: ["Kubelet", "KubeAPI", "NetAddr", "NetNS", "Netlink", "TestSupport"]),
        .testTarget(name: "RoutingTests", dependencies: ["Routing", "SubnetPlugins", "KubeAPI", "NetAddr", "NetNS", "Netlink", "TestSupport",
                                                        .product(name: "NIOPosix", package: "swift-nio")], exclude: ["Golden"]),
        .testTarget(name: "TelemetryTests", dependencies: ["Telemetry", "TestSupport"]),
        .testTarget(name: "ClusterDNSTests", dependencies: ["ClusterDNS", "DNSWire", "KubeAPI", "NetAddr", "TestSupport"]),
        .testTarget(name: "ServiceProxyTests", dependencies: ["ServiceProxy", "KubeAPI", "NetAddr", "NetNS", "Netlink", "NFTables", "TestSupport"], exclude: ["Golden"]),
        .testTarget(name: "PolicyTests", dependencies: ["Policy", "KubeAPI", "NetAddr", "NetNS", "Netlink", "NFTables", "TestSupport"]),
        .testTarget(name: "PluginTests", dependencies: ["CNI", "IPAM", "NetAddr", "NetNS", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
