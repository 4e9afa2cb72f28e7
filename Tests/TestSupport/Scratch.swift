import Foundation
import NetNS

/// Whether the tests run as root (kernel tests are skipped otherwise, with a reason).
public let isRoot = geteuid() == 0

private let counter = Counter()
private final class Counter: @unchecked Sendable {
    private var n = 0
    private let lock = NSLock()
    func next() -> Int { lock.withLock { n += 1; return n } }
}

/// A unique, short name for a throwaway object (`t<pid36>x<n>`), at most 15 bytes.
public func scratchName(_ prefix: String = "t") -> String {
    "\(prefix)\(String(getpid(), radix: 36))x\(counter.next())"
}

/// A network namespace made for one test and removed when the test ends, even on failure.
public final class ScratchNamespace: @unchecked Sendable {
    public let name: String
    public let netns: NetNS
    public var path: String { netns.path }

    public init(_ prefix: String = "tns") throws {
        name = scratchName(prefix)
        netns = try NetNS.create(named: name)
        // Loopback up, as every runtime does for a pod.
        _ = try? shell(["ip", "-n", name, "link", "set", "lo", "up"])
    }

    deinit {
        do { try NetNS.delete(named: name) } catch {
            // A failed cleanup must be visible: it leaves a namespace on the machine.
            FileHandle.standardError.write(Data("ScratchNamespace: could not delete \(name): \(error)\n".utf8))
        }
    }

    /// Runs a command inside this namespace (`ip netns exec`).
    @discardableResult
    public func run(_ args: [String], stdin: String? = nil, check: Bool = true) throws -> CommandResult {
        try shell(["ip", "netns", "exec", name] + args, stdin: stdin, check: check)
    }

    /// `ip -j -n NAME ARGS` decoded as JSON.
    public func ipJSON(_ args: [String]) throws -> [[String: Any]] {
        let out = try shell(["ip", "-j", "-n", name] + args).stdout
        let trimmed = out.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { return [] }
        return (try JSONSerialization.jsonObject(with: Data(trimmed.utf8)) as? [[String: Any]]) ?? []
    }
}

/// Runs `body` with `count` fresh namespaces that are removed afterwards, even on throw.
public func withScratchNamespaces<T>(_ count: Int, _ body: ([ScratchNamespace]) throws -> T) throws -> T {
    let spaces = try (0..<count).map { _ in try ScratchNamespace() }
    defer { withExtendedLifetime(spaces) {} }
    return try body(spaces)
}

public struct CommandResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

public struct CommandError: Error, CustomStringConvertible {
    public var command: [String]
    public var result: CommandResult
    public var description: String {
        "\(command.joined(separator: " ")) exited \(result.status): \(result.stderr)\(result.stdout)"
    }
}

/// A child that exits before reading its stdin must not kill the test process.
private let ignoreSIGPIPE: Void = { signal(SIGPIPE, SIG_IGN); return () }()

/// Runs a command and captures its output. Throws on a non-zero exit when `check` is set.
@discardableResult
public func shell(_ args: [String], stdin: String? = nil, environment: [String: String]? = nil,
                  check: Bool = true) throws -> CommandResult {
    _ = ignoreSIGPIPE
    var inPipe: [Int32] = [0, 0], outPipe: [Int32] = [0, 0], errPipe: [Int32] = [0, 0]
    guard pipe(&inPipe) == 0, pipe(&outPipe) == 0, pipe(&errPipe) == 0 else {
        throw CommandError(command: args, result: CommandResult(status: -1, stdout: "", stderr: "pipe failed"))
    }
    for fd in inPipe + outPipe + errPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    let pid: pid_t
    do {
        pid = try spawn(args, environment: environment, stdin: inPipe[0], stdout: outPipe[1], stderr: errPipe[1])
    } catch {
        for fd in inPipe + outPipe + errPipe { close(fd) }
        throw error
    }
    close(inPipe[0]); close(outPipe[1]); close(errPipe[1])
    // Feed stdin from a thread so a child that writes before reading cannot deadlock us.
    let input = Array((stdin ?? "").utf8)
    let writeFD = inPipe[1]
    let writer = Thread {
        var off = 0
        while off < input.count {
            let n = input[off...].withUnsafeBytes { write(writeFD, $0.baseAddress, $0.count) }
            if n <= 0 { if errno == EINTR { continue } else { break } }
            off += n
        }
        close(writeFD)
    }
    writer.start()
    let (out, err) = drain(outPipe[0], errPipe[0])
    let status = waitStatus(pid)
    let r = CommandResult(status: status, stdout: String(decoding: out, as: UTF8.self),
                          stderr: String(decoding: err, as: UTF8.self))
    if check && r.status != 0 { throw CommandError(command: args, result: r) }
    return r
}

/// Polls `condition` until it holds or `timeout` passes. Returns whether it held.
public func eventually(timeout: Double = 5, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    repeat {
        if try condition() { return true }
        usleep(20_000)
    } while Date() < deadline
    return try condition()
}
