import Synchronization

/// A Prometheus registry: counters, gauges and histograms, each optionally with labels,
/// rendered in the text exposition format 0.0.4.
///
/// Register metrics once at startup; resolve label values to a child once (`labels`)
/// and keep it: updating a child is one atomic operation, no lock and no allocation.
public final class MetricsRegistry: Sendable {
    let families = Mutex<[MetricFamily]>([])

    public init() {}

    /// A monotonically increasing count. Name it `…_total`.
    public func counter(_ name: String, help: String, labelNames: [String] = []) -> Counter {
        Counter(register(name, help, .counter, labelNames, buckets: []))
    }

    /// A value that goes up and down.
    public func gauge(_ name: String, help: String, labelNames: [String] = []) -> Gauge {
        Gauge(register(name, help, .gauge, labelNames, buckets: []))
    }

    /// Observations counted into cumulative buckets (upper bounds, ascending; `+Inf` added).
    public func histogram(_ name: String, help: String, labelNames: [String] = [],
                          buckets: [Double] = Histogram.defaultBuckets) -> Histogram {
        Histogram(register(name, help, .histogram, labelNames, buckets: buckets.sorted()))
    }

    func register(_ name: String, _ help: String, _ type: MetricFamily.Kind, _ labels: [String],
                  buckets: [Double]) -> MetricFamily {
        precondition(MetricFamily.isValidName(name), "invalid metric name \(name)")
        let f = MetricFamily(name: name, help: help, kind: type, labelNames: labels, buckets: buckets)
        families.withLock { fs in
            precondition(!fs.contains { $0.name == name }, "metric \(name) registered twice")
            fs.append(f)
        }
        return f
    }

    /// The text exposition (format 0.0.4), families in registration order, series sorted.
    public func exposition() -> String {
        var out = ""
        for f in families.withLock({ $0 }) { f.render(into: &out) }
        return out
    }

    /// The content type of `exposition()`.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"
}

/// One metric name with its type, help and labelled series.
final class MetricFamily: Sendable {
    enum Kind: String, Sendable { case counter, gauge, histogram }
    let name: String
    let help: String
    let kind: Kind
    let labelNames: [String]
    let buckets: [Double]
    let series = Mutex<[[String]: Series]>([:])

    init(name: String, help: String, kind: Kind, labelNames: [String], buckets: [Double]) {
        self.name = name
        self.help = help
        self.kind = kind
        self.labelNames = labelNames
        self.buckets = buckets
    }

    func child(_ values: [String]) -> Series {
        precondition(values.count == labelNames.count, "\(name) takes \(labelNames.count) label values")
        return series.withLock { s in
            if let c = s[values] { return c }
            let c = Series(buckets: kind == .histogram ? buckets.count + 1 : 0)
            s[values] = c
            return c
        }
    }

    static func isValidName(_ n: String) -> Bool {
        guard let f = n.unicodeScalars.first, f == "_" || f == ":" || f.properties.isAlphabetic && f.isASCII else { return false }
        return n.unicodeScalars.allSatisfy { $0.isASCII && ($0 == "_" || $0 == ":" || $0.properties.isAlphabetic || ("0"..."9").contains($0)) }
    }

    func render(into out: inout String) {
        out += "# HELP \(name) \(MetricFamily.escapeHelp(help))\n# TYPE \(name) \(kind.rawValue)\n"
        let all = series.withLock { $0 }.sorted { $0.key.lexicographicallyPrecedes($1.key) }
        for (values, s) in all {
            let labels = zip(labelNames, values).map { "\($0)=\"\(MetricFamily.escapeLabel($1))\"" }
            switch kind {
            case .counter, .gauge:
                out += "\(name)\(MetricFamily.braces(labels)) \(MetricFamily.format(s.value))\n"
            case .histogram:
                var cumulative: UInt64 = 0
                for (i, bound) in (buckets + [Double.infinity]).enumerated() {
                    cumulative += s.bucket(i)
                    let le = bound.isInfinite ? "+Inf" : MetricFamily.format(bound)
                    out += "\(name)_bucket\(MetricFamily.braces(labels + ["le=\"\(le)\""])) \(cumulative)\n"
                }
                out += "\(name)_sum\(MetricFamily.braces(labels)) \(MetricFamily.format(s.value))\n"
                out += "\(name)_count\(MetricFamily.braces(labels)) \(cumulative)\n"
            }
        }
    }

    static func braces(_ labels: [String]) -> String { labels.isEmpty ? "" : "{" + labels.joined(separator: ",") + "}" }

    static func format(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }

    static func escapeHelp(_ s: String) -> String {
        s.replacingAll("\\", "\\\\").replacingAll("\n", "\\n")
    }

    static func escapeLabel(_ s: String) -> String {
        s.replacingAll("\\", "\\\\").replacingAll("\"", "\\\"").replacingAll("\n", "\\n")
    }
}

extension String {
    func replacingAll(_ a: Character, _ b: String) -> String {
        var out = ""
        for c in self { if c == a { out += b } else { out.append(c) } }
        return out
    }
}

/// One labelled series: a value (count, gauge or histogram sum) as atomic bits, and
/// histogram bucket counts.
final class Series: Sendable {
    /// Double bit pattern.
    let bits = Atomic<UInt64>(0)
    let buckets: [Cell]

    /// An atomic count in its own object (arrays cannot hold `Atomic` itself).
    final class Cell: Sendable {
        let count = Atomic<UInt64>(0)
    }

    init(buckets n: Int) {
        buckets = (0..<n).map { _ in Cell() }
    }

    var value: Double { Double(bitPattern: bits.load(ordering: .relaxed)) }
    func bucket(_ i: Int) -> UInt64 { buckets[i].count.load(ordering: .relaxed) }

    func add(_ d: Double) {
        var old = bits.load(ordering: .relaxed)
        while true {
            let new = (Double(bitPattern: old) + d).bitPattern
            let (done, current) = bits.compareExchange(expected: old, desired: new, ordering: .relaxed)
            if done { return }
            old = current
        }
    }

    func set(_ d: Double) { bits.store(d.bitPattern, ordering: .relaxed) }
}
