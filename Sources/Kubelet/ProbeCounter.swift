import KubeAPI

/// A probe's verdict with its thresholds: the verdict flips to success after
/// `successThreshold` consecutive successes and to failure after `failureThreshold`
/// consecutive failures.
public struct ProbeCounter: Equatable, Sendable {
    public var successThreshold: Int
    public var failureThreshold: Int
    public private(set) var verdict: Bool
    private var successes = 0
    private var failures = 0

    /// Readiness starts failed, liveness starts succeeded, startup starts failed.
    public init(_ probe: Probe, initial: Bool) {
        successThreshold = max(1, Int(probe.successThreshold ?? 1))
        failureThreshold = max(1, Int(probe.failureThreshold ?? 3))
        verdict = initial
    }

    /// Failures in a row (a startup probe gives up when this reaches `failureThreshold`).
    public var consecutiveFailures: Int { failures }

    /// Records one attempt; returns true when the verdict changed.
    public mutating func record(_ succeeded: Bool) -> Bool {
        if succeeded {
            successes += 1
            failures = 0
            if !verdict && successes >= successThreshold { verdict = true; return true }
        } else {
            failures += 1
            successes = 0
            if verdict && failures >= failureThreshold { verdict = false; return true }
        }
        return false
    }
}
