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
            abstract: "Serve the Kubernetes API (plain HTTP, bearer tokens, RBAC) from DIR/store.sqlite.",
            discussion: """
                On first start, generates an admin token (user admin, group system:masters) in DIR/tokens.csv \
                (mode 0600) unless --token-auth-file is given. Writes DIR/admin.kubeconfig (mode 0600) with the \
                token of the first system:masters user. Stops gracefully on SIGTERM or SIGINT.
                """)

        @Option(name: .long, help: "Directory for the store and the admin kubeconfig.")
        var dataDir: String

        @Option(name: .long, help: "Address to listen on, HOST:PORT (port 0: any free port).")
        var listen: String = "127.0.0.1:6443"

        @Option(name: .long, help: "Static token file (CSV: token,user,uid,\"group1,group2\"); default DIR/tokens.csv, generated when missing.")
        var tokenAuthFile: String?

        func validate() throws {
            guard parsedListen != nil else { throw ValidationError("--listen must be HOST:PORT, got \"\(listen)\"") }
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
            let store = try SQLiteStore(path: dataDir + "/store.sqlite")
            defer { store.close() }
            let tokenFile = try loadTokens()
            let server = APIServer(store: store, configuration: .init(host: host, port: port, access: .rbac(tokenFile: tokenFile)))
            let bound = try await server.start()
            let hostInURL = host.contains(":") ? "[\(host)]" : host
            let kubeconfig = dataDir + "/admin.kubeconfig"
            if tokenFile.adminToken == nil {
                print("trellis apiserver: warning: no system:masters user in the token file; \(kubeconfig) has no token")
            }
            try PrivateFile.write(Kubeconfig.admin(server: "http://\(hostInURL):\(bound)", token: tokenFile.adminToken), to: kubeconfig)
            print("trellis apiserver: serving http://\(hostInURL):\(bound); kubeconfig \(kubeconfig)")
            let signals = SignalWatch([SIGTERM, SIGINT]) { Task { await server.shutdown() } }
            try await server.run()
            signals.cancel()
            print("trellis apiserver: stopped")
        }

        /// The --token-auth-file, or DIR/tokens.csv, created with a new admin token when missing.
        func loadTokens() throws -> TokenFile {
            if let tokenAuthFile { return try TokenFile(contentsOf: tokenAuthFile) }
            let path = dataDir + "/tokens.csv"
            if FileManager.default.fileExists(atPath: path) { return try TokenFile(contentsOf: path) }
            let generated = TokenFile.generatedAdmin()
            try PrivateFile.write(generated.text, to: path)
            print("trellis apiserver: generated an admin token in \(path)")
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
