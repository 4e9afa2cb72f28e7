import APIServer
import ArgumentParser
import Dispatch
import Foundation
import Store

extension Trellis {
    /// `trellis apiserver`: the Kubernetes REST API over a SQLite store.
    struct APIServerCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "apiserver",
            abstract: "Serve the Kubernetes API (HTTPS, bearer tokens, RBAC) from DIR/store.sqlite or etcd.",
            discussion: """
                On first start, generates a cluster CA and a serving certificate in DIR/pki (openssl CLI) unless \
                --tls-cert-file/--tls-private-key-file are given, and an admin token (user admin, group \
                system:masters) in DIR/tokens.csv (mode 0600) unless --token-auth-file is given. Writes \
                DIR/admin.kubeconfig (mode 0600) with the CA and the token of the first system:masters user. \
                Stops gracefully on SIGTERM or SIGINT.
                """)

        @Option(name: .long, help: "Directory for the store and the admin kubeconfig.")
        var dataDir: String

        @Option(name: .long, help: "Address to listen on, HOST:PORT (port 0: any free port).")
        var listen: String = "127.0.0.1:6443"

        @Option(name: .long, help: "Static token file (CSV: token,user,uid,\"group1,group2\"); default DIR/tokens.csv, generated when missing.")
        var tokenAuthFile: String?

        @Option(name: .long, help: "Serving certificate chain (PEM); default: generated in DIR/pki.")
        var tlsCertFile: String?

        @Option(name: .long, help: "Private key of --tls-cert-file (PEM).")
        var tlsPrivateKeyFile: String?

        @Flag(name: .long, help: "Serve plain HTTP (no TLS). kubectl sends no credentials over plain HTTP.")
        var insecureHTTP = false

        @Option(name: .customLong("listen-in-netns"),
                help: "Also listen inside a network namespace: NETNS=HOST:PORT (NETNS a name under /var/run/netns or a path); repeatable.")
        var listenInNetns: [String] = []

        @Option(name: .long, help: "Store in etcd instead of DIR/store.sqlite: comma-separated member URLs (http://HOST:PORT).")
        var etcdServers: String?

        @Option(name: .long, help: "Key prefix in etcd.")
        var etcdPrefix: String = "/trellis"

        @Option(name: .long, help: "Service cluster IP range(s): one CIDR, or one IPv4 and one IPv6 CIDR, comma-separated.")
        var serviceClusterIPRange: String = "10.96.0.0/12"

        @Option(name: .long, help: "Node port range FIRST-LAST.")
        var serviceNodePortRange: String = "30000-32767"

        func validate() throws {
            guard parsedListen != nil else { throw ValidationError("--listen must be HOST:PORT, got \"\(listen)\"") }
            if (tlsCertFile == nil) != (tlsPrivateKeyFile == nil) {
                throw ValidationError("--tls-cert-file and --tls-private-key-file go together")
            }
            if insecureHTTP && tlsCertFile != nil {
                throw ValidationError("--insecure-http and --tls-cert-file exclude each other")
            }
            do {
                _ = try ServiceAllocator.Configuration.parse(serviceCIDRs: serviceClusterIPRange, nodePorts: serviceNodePortRange)
            } catch {
                throw ValidationError("\(error)")
            }
            if let etcdServers, etcdServers.split(separator: ",").isEmpty { throw ValidationError("--etcd-servers is empty") }
            _ = try namespaceListeners()
            if !etcdPrefix.hasPrefix("/") { throw ValidationError("--etcd-prefix must start with /") }
        }

        func namespaceListeners() throws -> [APIServer.NamespaceListener] {
            try listenInNetns.map { text in
                guard let eq = text.firstIndex(of: "="), let colon = text.lastIndex(of: ":"), eq < colon,
                      let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else {
                    throw ValidationError("--listen-in-netns must be NETNS=HOST:PORT, got \"\(text)\"")
                }
                let netns = String(text[..<eq])
                let host = String(text[text.index(after: eq)..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
                return APIServer.NamespaceListener(netnsPath: netns.contains("/") ? netns : "/var/run/netns/" + netns, host: host, port: port)
            }
        }

        var parsedListen: (host: String, port: Int)? {
            guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]),
                  (0...65535).contains(port) else { return nil }
            let host = String(listen[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            return host.isEmpty ? nil : (host, port)
        }

        func run() async throws {
            let (host, port) = parsedListen!
            try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
            let store: any ObjectStore
            let closeStore: () -> Void
            if let etcdServers {
                var options = EtcdStore.Options()
                options.keyPrefix = etcdPrefix
                let etcd = try await EtcdStore(endpoints: etcdServers.split(separator: ",").map(String.init), options: options)
                (store, closeStore) = (etcd, etcd.close)
            } else {
                let sqlite = try SQLiteStore(path: dataDir + "/store.sqlite")
                (store, closeStore) = (sqlite, sqlite.close)
            }
            defer { closeStore() }
            let tokenFile = try loadTokens()
            var configuration = APIServer.Configuration(host: host, port: port, access: .rbac(tokenFile: tokenFile))
            configuration.services = try ServiceAllocator.Configuration.parse(serviceCIDRs: serviceClusterIPRange, nodePorts: serviceNodePortRange)
            configuration.namespaceListeners = try namespaceListeners()
            var caText: String?
            if let tlsCertFile, let tlsPrivateKeyFile {
                configuration.tls = .init(certificateChain: tlsCertFile, privateKey: tlsPrivateKeyFile)
            } else if !insecureHTTP {
                let pki = try ClusterPKI.ensure(in: dataDir, host: host, extraHosts: configuration.namespaceListeners.map(\.host))
                configuration.tls = .init(certificateChain: pki.serverCertificate, privateKey: pki.serverKey)
                caText = try String(contentsOfFile: pki.caCertificate, encoding: .utf8)
            }
            let scheme = configuration.tls == nil ? "http" : "https"
            let server = APIServer(store: store, configuration: configuration)
            let bound = try await server.start()
            let hostInURL = host.contains(":") ? "[\(host)]" : host
            let kubeconfig = dataDir + "/admin.kubeconfig"
            if tokenFile.adminToken == nil {
                log("trellis apiserver: warning: no system:masters user in the token file; \(kubeconfig) has no token")
            }
            try PrivateFile.write(Kubeconfig.admin(server: "\(scheme)://\(hostInURL):\(bound)", token: tokenFile.adminToken,
                                                   certificateAuthority: caText), to: kubeconfig)
            log("trellis apiserver: serving \(scheme)://\(hostInURL):\(bound); kubeconfig \(kubeconfig)")
            let signals = SignalWatch([SIGTERM, SIGINT]) { Task { await server.shutdown() } }
            try await server.run()
            signals.cancel()
            log("trellis apiserver: stopped")
        }

        /// The --token-auth-file, or DIR/tokens.csv, created with a new admin token when missing.
        func loadTokens() throws -> TokenFile {
            if let tokenAuthFile { return try TokenFile(contentsOf: tokenAuthFile) }
            let path = dataDir + "/tokens.csv"
            if FileManager.default.fileExists(atPath: path) { return try TokenFile(contentsOf: path) }
            let generated = TokenFile.generatedAdmin()
            try PrivateFile.write(generated.text, to: path)
            log("trellis apiserver: generated an admin token in \(path)")
            return generated
        }
    }
}

/// Calls `handler` on the first of `signals` (which are then ignored by default handling).
final class SignalWatch {
    private let sources: [any DispatchSourceSignal]

    init(_ signals: [Int32], handler: @escaping @Sendable () -> Void) {
        sources = signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler(handler: handler)
            source.resume()
            return source
        }
    }

    func cancel() { for source in sources { source.cancel() } }
}

/// Writes a log line straight to stdout (unbuffered), so a file or pipe sees it at once.
func log(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
