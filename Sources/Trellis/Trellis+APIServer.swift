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
            abstract: "Serve the Kubernetes API (plain HTTP, no authentication yet) from DIR/store.sqlite.",
            discussion: "Writes DIR/admin.kubeconfig for kubectl. Stops gracefully on SIGTERM or SIGINT.")

        @Option(name: .long, help: "Directory for the store and the admin kubeconfig.")
        var dataDir: String

        @Option(name: .long, help: "Address to listen on, HOST:PORT (port 0: any free port).")
        var listen: String = "127.0.0.1:6443"

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
            let server = APIServer(store: store, configuration: .init(host: host, port: port))
            let bound = try await server.start()
            let hostInURL = host.contains(":") ? "[\(host)]" : host
            let kubeconfig = dataDir + "/admin.kubeconfig"
            try Kubeconfig.admin(server: "http://\(hostInURL):\(bound)").write(toFile: kubeconfig, atomically: true, encoding: .utf8)
            print("trellis apiserver: serving http://\(hostInURL):\(bound); kubeconfig \(kubeconfig)")
            let signals = SignalWatch([SIGTERM, SIGINT]) { Task { await server.shutdown() } }
            try await server.run()
            signals.cancel()
            print("trellis apiserver: stopped")
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
