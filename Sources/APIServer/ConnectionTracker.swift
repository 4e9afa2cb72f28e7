import Foundation
import NIOCore

/// The open connections and the requests being served, so that shutdown can close the one
/// and wait for the other before stopping the event loops (a task writing to a loop that has
/// shut down is an error in SwiftNIO).
final class ConnectionTracker: @unchecked Sendable {
    private let lock = NSLock()
    private var channels: [ObjectIdentifier: any Channel] = [:]
    private var inFlight = 0

    func add(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        lock.withLock { channels[id] = channel }
        channel.closeFuture.whenComplete { _ in self.lock.withLock { _ = self.channels.removeValue(forKey: id) } }
    }

    func requestStarted() { lock.withLock { inFlight += 1 } }
    func requestFinished() { lock.withLock { inFlight -= 1 } }

    /// Closes every connection (which cancels their requests, ending watches), then waits up to
    /// `timeout` for the requests' tasks to finish.
    func closeAll(timeout: Duration = .seconds(5)) async {
        let open = lock.withLock { Array(channels.values) }
        for channel in open { try? await channel.close() }
        let deadline = ContinuousClock.now + timeout
        while lock.withLock({ inFlight }) > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }
}
