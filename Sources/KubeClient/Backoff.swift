/// Exponential backoff with jitter: each failure doubles the delay up to `maximum`, and each
/// delay is drawn uniformly from its upper half so that many clients do not retry in step.
public struct Backoff: Sendable {
    public var initial: Duration
    public var maximum: Duration
    private var failures = 0

    public init(initial: Duration = .milliseconds(200), maximum: Duration = .seconds(30)) {
        self.initial = initial
        self.maximum = maximum
    }

    /// The delay before the next attempt; counts one more failure.
    public mutating func next() -> Duration {
        let exponent = min(failures, 30)
        failures += 1
        let base = min(initial * (1 << exponent), maximum)
        return base * Double.random(in: 0.5...1.0)
    }

    /// Back to `initial` after a success.
    public mutating func reset() { failures = 0 }
}
