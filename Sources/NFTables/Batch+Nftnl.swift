#if canImport(Glibc)
import Glibc
#endif
internal import CNftnl

// Every libnftnl call that builds a message lives in this file and Expression+Nftnl.swift.

/// A batch encoded as one nfnetlink transaction.
struct EncodedBatch {
    /// BEGIN, the operations' messages, END: ready for one `sendmsg`.
    var bytes: [UInt8] = []
    /// For each operation message's sequence number, the index of its operation.
    var operationBySeq: [UInt32: Int] = [:]
    var beginSeq: UInt32 = 0
    var endSeq: UInt32 = 0
    var messageCount: Int { operationBySeq.count }
}

/// Limits that keep every message inside one scratch buffer and inside the kernel's bounds.
enum Limits {
    static let messageBuffer = 64 * 1024
    static let elementsPerMessage = 64
    static let expressionsPerRule = 128
    static let nameLength = 255          // NFT_NAME_MAXLEN - 1
    // The udata TLV length is one byte (string + NUL) and NFT_USERDATA_MAXLEN is 256; nft
    // itself writes at most 128 bytes but prints longer comments fine.
    static let commentLength = 253
}

extension Batch {
    /// Encodes the batch with consecutive sequence numbers from `firstSeq`.
    func encode(firstSeq: UInt32) throws(NFTablesError) -> EncodedBatch {
        var out = EncodedBatch()
        var seq = firstSeq
        out.beginSeq = seq
        // One scratch buffer for every message: zeroing a fresh 64 KiB per message dominated
        // the encoding of large batches (hundreds of thousands of rules).
        var scratch = MessageScratch()
        out.bytes += scratch.build { buf in nftnl_batch_begin(buf, seq) }
        for (index, op) in operations.enumerated() {
            try op.validate(index: index)
            for message in op.messages() {
                seq &+= 1
                out.operationBySeq[seq] = index
                let s = seq
                out.bytes += scratch.build { buf in
                    let nlh = nftnl_nlmsg_build_hdr(buf, message.type, UInt16(message.family),
                                                    message.flags | UInt16(NLM_F_ACK), s)!
                    message.payload(nlh)
                    return nlh
                }
            }
        }
        seq &+= 1
        out.endSeq = seq
        out.bytes += scratch.build { buf in nftnl_batch_end(buf, seq) }
        return out
    }
}

/// Builds one netlink message in a zeroed scratch buffer and returns its bytes.
func buildMessage(_ body: (UnsafeMutablePointer<CChar>) -> UnsafeMutablePointer<nlmsghdr>) -> [UInt8] {
    var buf = [UInt8](repeating: 0, count: Limits.messageBuffer)
    let length = buf.withUnsafeMutableBytes { raw -> Int in
        let nlh = body(raw.baseAddress!.assumingMemoryBound(to: CChar.self))
        return Int(nlh.pointee.nlmsg_len)
    }
    precondition(length <= Limits.messageBuffer, "netlink message overflowed its buffer")
    return Array(buf.prefix(length))
}

/// A reusable message buffer; only the bytes the previous message used are zeroed again.
struct MessageScratch {
    private var buf = [UInt8](repeating: 0, count: Limits.messageBuffer)
    private var dirty = 0

    mutating func build(_ body: (UnsafeMutablePointer<CChar>) -> UnsafeMutablePointer<nlmsghdr>) -> [UInt8] {
        buf.withUnsafeMutableBytes { raw in
            if dirty > 0 { memset(raw.baseAddress!, 0, dirty) }
            let nlh = body(raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            let length = Int(nlh.pointee.nlmsg_len)
            precondition(length <= Limits.messageBuffer, "netlink message overflowed its buffer")
            dirty = length
            return Array(UnsafeRawBufferPointer(rebasing: raw[0..<length]))
        }
    }
}

/// One netlink message of an operation (an element operation may need several).
struct Message {
    var type: UInt16
    var family: UInt8
    var flags: UInt16
    var payload: (UnsafeMutablePointer<nlmsghdr>) -> Void
}

private func attr<T: RawRepresentable>(_ a: T) -> UInt16 where T.RawValue: BinaryInteger { UInt16(a.rawValue) }
private func attr(_ a: Int) -> UInt16 { UInt16(a) }
private func msg(_ m: nf_tables_msg_types) -> UInt16 { UInt16(m.rawValue) }
// NFT_MSG_DESTROYSETELEM (Linux 6.3) is newer than Debian 12's uapi headers.
private let nftMsgDestroySetElem: UInt16 = 30

private let create = UInt16(NLM_F_CREATE)

extension Batch.Operation {
    func validate(index: Int) throws(NFTablesError) {
        func fail(_ why: Int32) -> NFTablesError {
            NFTablesError(messageName, object, errno: why, operationIndex: index)
        }
        func checkName(_ n: String) throws(NFTablesError) {
            if n.isEmpty || n.utf8.count > Limits.nameLength || n.utf8.contains(0) { throw fail(EINVAL) }
        }
        switch self {
        case let .addTable(t), let .deleteTable(t), let .flushTable(t):
            try checkName(t.name)
        case let .addChain(c), let .deleteChain(c), let .flushChain(c):
            try checkName(c.table.name); try checkName(c.name)
        case let .addRule(r):
            try checkName(r.chain.table.name); try checkName(r.chain.name)
            if r.expressions.isEmpty || r.expressions.count > Limits.expressionsPerRule { throw fail(EINVAL) }
        case let .addSet(s), let .deleteSet(s), let .flushSet(s):
            try checkName(s.table.name); try checkName(s.name)
            if s.key.isEmpty || s.keyLength > 64 { throw fail(EINVAL) }
        case let .addElements(s, es), let .deleteElements(s, es), let .destroyElements(s, es):
            try checkName(s.table.name); try checkName(s.name)
            for e in es {
                if e.fields.count != s.key.count { throw fail(EINVAL) }
                if e.isInterval && !s.flags.contains(.interval) { throw fail(EINVAL) }
                if (e.comment?.utf8.count ?? 0) > Limits.commentLength { throw fail(EINVAL) }
                if case let .ifname(n)? = e.fields.first(where: { if case .ifname = $0 { true } else { false } }),
                   n.isEmpty || n.utf8.count > 15 { throw fail(EINVAL) }
            }
        }
    }

    /// The messages that carry this operation.
    func messages() -> [Message] {
        switch self {
        case let .addTable(t): [tableMessage(msg(NFT_MSG_NEWTABLE), t, create)]
        case let .deleteTable(t): [tableMessage(msg(NFT_MSG_DELTABLE), t, 0)]
        case let .flushTable(t): [ruleMessage(msg(NFT_MSG_DELRULE), t, chain: nil, [], 0)]
        case let .addChain(c): [chainMessage(msg(NFT_MSG_NEWCHAIN), c, create)]
        case let .deleteChain(c): [chainMessage(msg(NFT_MSG_DELCHAIN), c, 0)]
        case let .flushChain(c): [ruleMessage(msg(NFT_MSG_DELRULE), c.table, chain: c.name, [], 0)]
        case let .addRule(r):
            [ruleMessage(msg(NFT_MSG_NEWRULE), r.chain.table, chain: r.chain.name, r.expressions,
                         create | UInt16(NLM_F_APPEND))]
        case let .addSet(s): [setMessage(msg(NFT_MSG_NEWSET), s, create)]
        case let .deleteSet(s): [setMessage(msg(NFT_MSG_DELSET), s, 0)]
        case let .flushSet(s): [elementsMessage(msg(NFT_MSG_DELSETELEM), s, [], full: false, 0)]
        case let .addElements(s, es): chunks(es).map { elementsMessage(msg(NFT_MSG_NEWSETELEM), s, $0, full: true, create) }
        case let .deleteElements(s, es): chunks(es).map { elementsMessage(msg(NFT_MSG_DELSETELEM), s, $0, full: false, 0) }
        case let .destroyElements(s, es): chunks(es).map { elementsMessage(nftMsgDestroySetElem, s, $0, full: false, 0) }
        }
    }
}

private func chunks(_ es: [SetElement]) -> [[SetElement]] {
    stride(from: 0, to: max(es.count, 1), by: Limits.elementsPerMessage).map {
        Array(es[$0..<min($0 + Limits.elementsPerMessage, es.count)])
    }
}

private func tableMessage(_ type: UInt16, _ t: Table, _ flags: UInt16) -> Message {
    Message(type: type, family: t.family.rawValue, flags: flags) { nlh in
        let nt = nftnl_table_alloc()!
        defer { nftnl_table_free(nt) }
        nftnl_table_set_str(nt, attr(NFTNL_TABLE_NAME), t.name)
        nftnl_table_nlmsg_build_payload(nlh, nt)
    }
}

private func chainMessage(_ type: UInt16, _ c: Chain, _ flags: UInt16) -> Message {
    Message(type: type, family: c.table.family.rawValue, flags: flags) { nlh in
        let nc = nftnl_chain_alloc()!
        defer { nftnl_chain_free(nc) }
        nftnl_chain_set_str(nc, attr(NFTNL_CHAIN_TABLE), c.table.name)
        nftnl_chain_set_str(nc, attr(NFTNL_CHAIN_NAME), c.name)
        if let base = c.base, type == msg(NFT_MSG_NEWCHAIN) {
            nftnl_chain_set_u32(nc, attr(NFTNL_CHAIN_HOOKNUM), base.hook.rawValue)
            nftnl_chain_set_s32(nc, attr(NFTNL_CHAIN_PRIO), base.priority)
            nftnl_chain_set_str(nc, attr(NFTNL_CHAIN_TYPE), base.type.rawValue)
            if let policy = base.policy { nftnl_chain_set_u32(nc, attr(NFTNL_CHAIN_POLICY), policy.rawValue) }
        }
        nftnl_chain_nlmsg_build_payload(nlh, nc)
    }
}

private func ruleMessage(_ type: UInt16, _ t: Table, chain: String?, _ exprs: [Expression],
                         _ flags: UInt16) -> Message {
    Message(type: type, family: t.family.rawValue, flags: flags) { nlh in
        let nr = nftnl_rule_alloc()!
        defer { nftnl_rule_free(nr) }
        nftnl_rule_set_str(nr, attr(NFTNL_RULE_TABLE), t.name)
        if let chain { nftnl_rule_set_str(nr, attr(NFTNL_RULE_CHAIN), chain) }
        for e in exprs { nftnl_rule_add_expr(nr, e.makeNftnl()) }  // the rule owns them
        nftnl_rule_nlmsg_build_payload(nlh, nr)
    }
}

private func setMessage(_ type: UInt16, _ s: NFTSet, _ flags: UInt16) -> Message {
    Message(type: type, family: s.table.family.rawValue, flags: flags) { nlh in
        let ns = nftnl_set_alloc()!
        defer { nftnl_set_free(ns) }
        nftnl_set_set_str(ns, attr(NFTNL_SET_TABLE), s.table.name)
        nftnl_set_set_str(ns, attr(NFTNL_SET_NAME), s.name)
        if type == msg(NFT_MSG_NEWSET) {
            var flags = s.flags.rawValue
            // nft marks concatenated interval sets so the kernel picks pipapo and accepts KEY_END.
            if s.isConcatenation && s.flags.contains(.interval) { flags |= UInt32(NFT_SET_CONCAT.rawValue) }
            if s.isVerdictMap {
                flags |= UInt32(NFT_SET_MAP.rawValue)
                nftnl_set_set_u32(ns, attr(NFTNL_SET_DATA_TYPE), NFT_DATA_VERDICT.rawValue)
            } else if s.dataType != nil {
                flags |= UInt32(NFT_SET_MAP.rawValue)
                nftnl_set_set_u32(ns, attr(NFTNL_SET_DATA_TYPE), s.dataTypeID)
                nftnl_set_set_u32(ns, attr(NFTNL_SET_DATA_LEN), UInt32(s.dataLength))
            }
            nftnl_set_set_u32(ns, attr(NFTNL_SET_FLAGS), flags)
            nftnl_set_set_u32(ns, attr(NFTNL_SET_KEY_TYPE), s.keyTypeID)
            nftnl_set_set_u32(ns, attr(NFTNL_SET_KEY_LEN), UInt32(s.keyLength))
            nftnl_set_set_u32(ns, attr(NFTNL_SET_ID), fnv1a(s.name))
            if let t = s.timeoutMilliseconds { nftnl_set_set_u64(ns, attr(NFTNL_SET_TIMEOUT), t) }
            // Field lengths go only with NFT_SET_CONCAT (Linux rejects a multi-field
            // description without that flag with EINVAL); nft sends both for intervals only.
            if s.isConcatenation && s.flags.contains(.interval) {
                // libnftnl counts fields up to the first 0, so pass all 16 slots.
                var fields = [UInt8](repeating: 0, count: 16)
                for (i, k) in s.key.enumerated() { fields[i] = UInt8(k.length) }
                nftnl_set_set_data(ns, attr(NFTNL_SET_DESC_CONCAT), fields, UInt32(fields.count))
            }
        }
        nftnl_set_nlmsg_build_payload(nlh, ns)
    }
}

private func elementsMessage(_ type: UInt16, _ s: NFTSet, _ es: [SetElement], full: Bool,
                             _ flags: UInt16) -> Message {
    Message(type: type, family: s.table.family.rawValue, flags: flags) { nlh in
        let ns = nftnl_set_alloc()!
        defer { nftnl_set_free(ns) }
        nftnl_set_set_str(ns, attr(NFTNL_SET_TABLE), s.table.name)
        nftnl_set_set_str(ns, attr(NFTNL_SET_NAME), s.name)
        for e in es {
            for wire in e.wireElements(in: s) {
                nftnl_set_elem_add(ns, wire.makeNftnl(full: full))
            }
        }
        nftnl_set_elems_nlmsg_build_payload(nlh, ns)
    }
}

/// One element as the kernel sees it (an rbtree interval is two of these).
struct WireElement {
    var key: [UInt8]
    var keyEnd: [UInt8]?
    var intervalEnd = false
    var element: SetElement

    func makeNftnl(full: Bool) -> OpaquePointer {
        let ne = nftnl_set_elem_alloc()!
        nftnl_set_elem_set(ne, attr(NFTNL_SET_ELEM_KEY), key, UInt32(key.count))
        if let keyEnd { nftnl_set_elem_set(ne, attr(NFTNL_SET_ELEM_KEY_END), keyEnd, UInt32(keyEnd.count)) }
        if intervalEnd { nftnl_set_elem_set_u32(ne, attr(NFTNL_SET_ELEM_FLAGS), UInt32(NFT_SET_ELEM_INTERVAL_END.rawValue)) }
        guard full, !intervalEnd else { return ne }
        if let v = element.verdict {
            nftnl_set_elem_set_u32(ne, attr(NFTNL_SET_ELEM_VERDICT), UInt32(bitPattern: v.code))
            if let chain = v.chain { nftnl_set_elem_set_str(ne, attr(NFTNL_SET_ELEM_CHAIN), chain) }
        }
        if let data = element.data {
            let bytes = data.flatMap { padded($0.startBytes) }
            nftnl_set_elem_set(ne, attr(NFTNL_SET_ELEM_DATA), bytes, UInt32(bytes.count))
        }
        if let t = element.timeoutMilliseconds { nftnl_set_elem_set_u64(ne, attr(NFTNL_SET_ELEM_TIMEOUT), t) }
        if let u = element.userdata { nftnl_set_elem_set(ne, attr(NFTNL_SET_ELEM_USERDATA), u, UInt32(u.count)) }
        return ne
    }
}

extension SetElement {
    /// How the element is sent: concatenated interval sets (pipapo) take KEY + KEY_END; a
    /// single-field interval set (rbtree) takes a start and an `INTERVAL_END` element at end + 1.
    func wireElements(in s: NFTSet) -> [WireElement] {
        guard s.flags.contains(.interval) else { return [WireElement(key: key, element: self)] }
        if s.isConcatenation { return [WireElement(key: key, keyEnd: keyEnd, element: self)] }
        var out = [WireElement(key: key, element: self)]
        if let next = incremented(fields[0].endBytes) {
            out.append(WireElement(key: padded(next), intervalEnd: true, element: self))
        }
        return out
    }
}

/// Big-endian increment; nil on overflow (the range runs to the end of the key space).
func incremented(_ bytes: [UInt8]) -> [UInt8]? {
    var b = bytes
    for i in b.indices.reversed() {
        if b[i] == 0xff { b[i] = 0 } else { b[i] += 1; return b }
    }
    return nil
}

/// A stable set id (NFTA_SET_ID) derived from the name, so encoding is deterministic.
func fnv1a(_ s: String) -> UInt32 {
    s.utf8.reduce(UInt32(2_166_136_261)) { ($0 ^ UInt32($1)) &* 16_777_619 }
}
