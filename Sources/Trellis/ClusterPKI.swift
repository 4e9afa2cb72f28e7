import Foundation

/// The cluster CA and the API server's serving certificate in DIR/pki, made with the openssl
/// CLI on first start: ECDSA P-256, CA valid 10 years, serving certificate 825 days with
/// subject alternative names for loopback, `kubernetes.default.svc` and the listen host.
/// Keys are mode 0600. An existing CA is kept; the serving certificate is remade when the
/// listen host is not among its names.
struct ClusterPKI {
    let directory: String
    var caCertificate: String { directory + "/ca.crt" }
    var caKey: String { directory + "/ca.key" }
    var serverCertificate: String { directory + "/apiserver.crt" }
    var serverKey: String { directory + "/apiserver.key" }
    private var serverNames: String { directory + "/apiserver.names" }

    static func ensure(in dataDir: String, host: String, extraHosts: [String] = []) throws -> ClusterPKI {
        let pki = ClusterPKI(directory: dataDir + "/pki")
        try FileManager.default.createDirectory(atPath: pki.directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let fm = FileManager.default
        if !fm.fileExists(atPath: pki.caCertificate) || !fm.fileExists(atPath: pki.caKey) {
            try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                         "-keyout", pki.caKey, "-out", pki.caCertificate, "-days", "3650", "-subj", "/CN=trellis-ca",
                         "-addext", "basicConstraints=critical,CA:TRUE",
                         "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
            // A new CA invalidates any serving certificate: force a new one below.
            try? fm.removeItem(atPath: pki.serverNames)
        }
        var names = Self.alternativeNames(host: host)
        for extra in extraHosts where !names.contains(Self.name(for: extra)) { names.append(Self.name(for: extra)) }
        let current = Set(((try? String(contentsOfFile: pki.serverNames, encoding: .utf8)) ?? "").split(separator: ",").map(String.init))
        if !fm.fileExists(atPath: pki.serverCertificate) || !fm.fileExists(atPath: pki.serverKey)
            || !([host] + extraHosts).allSatisfy({ current.contains(Self.name(for: $0)) || $0 == "0.0.0.0" || $0 == "::" }) {
            try pki.issueServerCertificate(names: names)
            try names.joined(separator: ",").write(toFile: pki.serverNames, atomically: true, encoding: .utf8)
        }
        for key in [pki.caKey, pki.serverKey] {
            try fm.setAttributes([.posixPermissions: 0o600], ofItemAtPath: key)
        }
        return pki
    }

    private func issueServerCertificate(names: [String]) throws {
        let csr = directory + "/apiserver.csr", ext = directory + "/apiserver.ext"
        defer {
            try? FileManager.default.removeItem(atPath: csr)
            try? FileManager.default.removeItem(atPath: ext)
        }
        try Self.openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                     "-keyout", serverKey, "-out", csr, "-subj", "/CN=trellis-apiserver"])
        try """
            subjectAltName=\(names.joined(separator: ","))
            extendedKeyUsage=serverAuth
            keyUsage=critical,digitalSignature,keyEncipherment
            basicConstraints=critical,CA:FALSE

            """.write(toFile: ext, atomically: true, encoding: .utf8)
        try Self.openssl(["x509", "-req", "-in", csr, "-CA", caCertificate, "-CAkey", caKey, "-set_serial",
                     String(UInt64.random(in: 1...UInt64.max >> 1)), "-days", "825", "-out", serverCertificate,
                     "-extfile", ext])
    }

    static func name(for host: String) -> String {
        IPv4or6(host) ? "IP:\(host)" : "DNS:\(host)"
    }

    static func alternativeNames(host: String) -> [String] {
        var names = ["IP:127.0.0.1", "IP:::1", "DNS:localhost", "DNS:kubernetes", "DNS:kubernetes.default",
                     "DNS:kubernetes.default.svc", "DNS:kubernetes.default.svc.cluster.local"]
        let own = name(for: host)
        if !names.contains(own) && host != "0.0.0.0" && host != "::" { names.append(own) }
        return names
    }

    private static func IPv4or6(_ host: String) -> Bool {
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

    private static func openssl(_ args: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        p.arguments = args
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        do { try p.run() } catch {
            throw PKIError(message: "cannot run /usr/bin/openssl (install the openssl package): \(error)")
        }
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw PKIError(message: "openssl \(args.prefix(2).joined(separator: " ")) failed: \(message)")
        }
    }
}

struct PKIError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
