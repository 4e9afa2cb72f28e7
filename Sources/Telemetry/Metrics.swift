/// A counter family. Without labels, `inc` updates its single series.
public struct Counter: Sendable {
    let family: MetricFamily
    init(_ f: MetricFamily) { family = f }

    /// The series for these label values (in `labelNames` order). Resolve once, keep it.
    public func labels(_ values: String...) -> CounterChild { CounterChild(series: family.child(values)) }
    public func labels(_ values: [String]) -> CounterChild { CounterChild(series: family.child(values)) }
    public func inc(_ by: Double = 1) { family.child([]).add(by) }
}

/// One counter series.
public struct CounterChild: Sendable {
    let series: Series
    /// Adds `by` (must not be negative).
    @inline(__always) public func inc(_ by: Double = 1) { series.add(by) }
    public var value: Double { series.value }
}

/// A gauge family.
public struct Gauge: Sendable {
    let family: MetricFamily
    init(_ f: MetricFamily) { family = f }
    public func labels(_ values: String...) -> GaugeChild { GaugeChild(series: family.child(values)) }
    public func labels(_ values: [String]) -> GaugeChild { GaugeChild(series: family.child(values)) }
    public func set(_ v: Double) { family.child([]).set(v) }
    public func add(_ v: Double) { family.child([]).add(v) }
}

/// One gauge series.
public struct GaugeChild: Sendable {
    let series: Series
    public func set(_ v: Double) { series.set(v) }
    public func add(_ v: Double) { series.add(v) }
    public var value: Double { series.value }
}

/// A histogram family.
public struct Histogram: Sendable {
    let family: MetricFamily
    init(_ f: MetricFamily) { family = f }
    /// Prometheus' client defaults, in seconds.
    public static let defaultBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    public func labels(_ values: String...) -> HistogramChild { HistogramChild(series: family.child(values), bounds: family.buckets) }
    public func labels(_ values: [String]) -> HistogramChild { HistogramChild(series: family.child(values), bounds: family.buckets) }
    public func observe(_ v: Double) { labels([]).observe(v) }
}

/// One histogram series.
public struct HistogramChild: Sendable {
    let series: Series
    let bounds: [Double]

    /// Counts one observation.
    @inline(__always) public func observe(_ v: Double) { observe(v, count: 1) }

    /// Counts `count` observations of the same value (a batch measured once).
    public func observe(_ v: Double, count: UInt64) {
        var i = 0
        while i < bounds.count && v > bounds[i] { i += 1 }
        series.buckets[i].count.add(count, ordering: .relaxed)
        series.add(v * Double(count))
    }

    /// Observations so far.
    public var count: UInt64 { series.buckets.reduce(0) { $0 + $1.count.load(ordering: .relaxed) } }
}
