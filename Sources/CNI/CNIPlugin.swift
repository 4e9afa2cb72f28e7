/// A CNI plugin: what `Skel` calls after it has validated the environment, decoded the
/// common configuration and checked the version.
///
/// Each method reports failure with a `CNIError` whose code follows the spec.
public protocol CNIPlugin: Sendable {
    /// Spec versions the plugin accepts in `cniVersion` (and lists for VERSION).
    var supportedVersions: [String] { get }
    /// Written to stderr when the binary is run by hand without `CNI_COMMAND`.
    var about: String { get }
    func add(_ call: CNICall) throws(CNIError) -> CNIResult
    func del(_ call: CNICall) throws(CNIError)
    func check(_ call: CNICall) throws(CNIError)
    func status(_ call: CNICall) throws(CNIError)
    func gc(_ call: CNICall) throws(CNIError)
}

extension CNIPlugin {
    /// Every version this library can read and write, 0.1.0 to 1.1.0.
    public var supportedVersions: [String] { CNIVersion.all }
    public var about: String { "a Trellis CNI plugin" }
    /// By default a plugin is ready whenever it can be run.
    public func status(_ call: CNICall) throws(CNIError) {}
    /// By default there is nothing to collect.
    public func gc(_ call: CNICall) throws(CNIError) {}
}
