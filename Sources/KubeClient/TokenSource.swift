import Foundation

/// The bearer token for the next request: fixed, or read from a file and re-read at most once
/// a minute, as kubelet rotates projected service-account tokens in place.
final class TokenSource: Sendable {
    private let fixed: String?
    private let file: String?
    private let cache = Locked<(token: String?, readAt: Date)>((nil, .distantPast))

    init(token: String?, file: String?) {
        fixed = token
        self.file = file
    }

    var token: String? {
        guard let file else { return fixed }
        return cache.withLock { c in
            if c.token == nil || Date().timeIntervalSince(c.readAt) > 60 {
                if let text = try? String(contentsOfFile: file, encoding: .utf8) {
                    let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
                    c = (trimmed.isEmpty ? nil : trimmed, Date())
                }
            }
            return c.token ?? fixed
        }
    }
}
