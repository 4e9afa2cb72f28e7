/// The delay before restarting a container that exited: none the first time, then `initial`
/// doubling up to `maximum` (Kubernetes: 10 s to 5 min); a run that lasted `resetAfter`
/// starts the count again.
public struct RestartBackOff: Equatable, Sendable {
    public var initial: Duration
    public var maximum: Duration
    public var resetAfter: Duration

    public init(initial: Duration = .seconds(10), maximum: Duration = .seconds(300), resetAfter: Duration = .seconds(600)) {
        self.initial = initial
        self.maximum = maximum
        self.resetAfter = resetAfter
    }

    /// The delay before the restart that follows `restarts` back-to-back restarts.
    public func delay(afterRestarts restarts: Int) -> Duration {
        guard restarts > 0 else { return .zero }
        var d = initial
        for _ in 1..<min(restarts, 32) {
            d = d * 2
            if d >= maximum { return maximum }
        }
        return min(d, maximum)
    }
}
