/// A message section that holds RRs.
public enum DNSSection: Int, Sendable {
    case answer = 1, authority, additional
}
