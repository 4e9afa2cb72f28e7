import Foundation
import TestSupport

/// A TLS-terminating byte relay in front of the plain-HTTP test server, so that real kubectl
/// sends its bearer token: client-go applies a kubeconfig's credentials (token, --token, basic
/// auth, exec plugins, impersonation) only when the transport is TLS (`clientcmd`
/// `IsConfigTransportTLS`), and the server has no TLS yet. Python's `ssl` and a throwaway
/// self-signed certificate from the openssl CLI; kubectl skips verification.
final class TLSFront: @unchecked Sendable {
    let process: BackgroundProcess
    let port: Int

    static let script = """
        import socket, ssl, sys, threading
        cert, key, upstream, portfile = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        ctx.set_alpn_protocols(["http/1.1"])
        ls = socket.socket()
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("127.0.0.1", 0))
        ls.listen(64)
        with open(portfile + ".tmp", "w") as f: f.write(str(ls.getsockname()[1]))
        import os; os.rename(portfile + ".tmp", portfile)
        def pump(a, b):
            try:
                while True:
                    d = a.recv(65536)
                    if not d: break
                    b.sendall(d)
            except Exception: pass
            for s in (a, b):
                try: s.shutdown(socket.SHUT_RDWR)
                except Exception: pass
        def serve(c):
            try: t = ctx.wrap_socket(c, server_side=True)
            except Exception: c.close(); return
            u = socket.create_connection(("127.0.0.1", upstream))
            threading.Thread(target=pump, args=(u, t), daemon=True).start()
            pump(t, u)
        while True:
            c, _ = ls.accept()
            threading.Thread(target=serve, args=(c,), daemon=True).start()
        """

    init(upstreamPort: Int, dir: String) throws {
        try shell(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                   "-keyout", dir + "/front.key", "-out", dir + "/front.crt", "-days", "1", "-subj", "/CN=127.0.0.1"])
        try Self.script.write(toFile: dir + "/front.py", atomically: true, encoding: .utf8)
        let portFile = dir + "/front.port"
        process = try BackgroundProcess(["python3", dir + "/front.py", dir + "/front.crt", dir + "/front.key",
                                         String(upstreamPort), portFile])
        guard eventually(timeout: 10, { FileManager.default.fileExists(atPath: portFile) }),
              let text = try? String(contentsOfFile: portFile, encoding: .utf8), let port = Int(text) else {
            process.stop()
            throw TLSFrontError()
        }
        self.port = port
    }

    func stop() { process.stop() }
}

struct TLSFrontError: Error, CustomStringConvertible {
    var description: String { "the TLS front did not start (python3 with ssl and openssl are needed)" }
}
