/// The operation a runtime asks for, from `CNI_COMMAND`.
public enum CNICommand: String, Sendable, CaseIterable, CustomStringConvertible {
    case add = "ADD"
    case del = "DEL"
    case check = "CHECK"
    case version = "VERSION"
    case status = "STATUS"
    case gc = "GC"

    public var description: String { rawValue }

    /// Whether the command acts on one attachment (container ID + interface) and so needs
    /// `CNI_CONTAINERID` and `CNI_IFNAME`.
    public var needsAttachment: Bool { self == .add || self == .del || self == .check }

    /// Whether `CNI_NETNS` is required (DEL may come after the namespace is gone).
    public var needsNetNS: Bool { self == .add || self == .check }

    /// The lowest configuration version in which the command exists.
    public var minimumVersion: String? {
        switch self {
        case .check: CNIVersion.check
        case .status, .gc: CNIVersion.statusAndGC
        case .add, .del, .version: nil
        }
    }
}
