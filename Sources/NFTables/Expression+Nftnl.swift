internal import CNftnl

private func a(_ v: some BinaryInteger) -> UInt16 { UInt16(v) }

extension Register {
    /// `NFT_REG32_00 + index`.
    var wire: UInt32 { UInt32(NFT_REG32_00.rawValue) + index }
}

extension Expression {
    /// A new libnftnl expression; the caller (a rule) takes ownership.
    func makeNftnl() -> OpaquePointer {
        switch self {
        case let .payload(field, register):
            let e = nftnl_expr_alloc("payload")!
            let loc = field.location
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_PAYLOAD_DREG), register.wire)
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_PAYLOAD_BASE), loc.base)
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_PAYLOAD_OFFSET), loc.offset)
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_PAYLOAD_LEN), loc.length)
            return e
        case let .meta(key, register):
            let e = nftnl_expr_alloc("meta")!
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_META_KEY), key.rawValue)
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_META_DREG), register.wire)
            return e
        case let .cmp(op, register, data):
            let e = nftnl_expr_alloc("cmp")!
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_CMP_SREG), register.wire)
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_CMP_OP), op.rawValue)
            nftnl_expr_set(e, a(NFTNL_EXPR_CMP_DATA), data, UInt32(data.count))
            return e
        case let .bitwise(register, mask, xor):
            let e = nftnl_expr_alloc("bitwise")!
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_BITWISE_SREG), register.wire)
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_BITWISE_DREG), register.wire)
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_BITWISE_LEN), UInt32(mask.count))
            nftnl_expr_set(e, a(NFTNL_EXPR_BITWISE_MASK), mask, UInt32(mask.count))
            nftnl_expr_set(e, a(NFTNL_EXPR_BITWISE_XOR), xor, UInt32(xor.count))
            return e
        case let .lookup(set, register, invert):
            let e = nftnl_expr_alloc("lookup")!
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_LOOKUP_SREG), register.wire)
            nftnl_expr_set_str(e, a(NFTNL_EXPR_LOOKUP_SET), set)
            if invert { nftnl_expr_set_u32(e, a(NFTNL_EXPR_LOOKUP_FLAGS), UInt32(NFT_LOOKUP_F_INV.rawValue)) }
            return e
        case let .verdictMap(set, register):
            let e = nftnl_expr_alloc("lookup")!
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_LOOKUP_SREG), register.wire)
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_LOOKUP_DREG), UInt32(NFT_REG_VERDICT.rawValue))
            nftnl_expr_set_str(e, a(NFTNL_EXPR_LOOKUP_SET), set)
            return e
        case let .ct(key, register):
            let e = nftnl_expr_alloc("ct")!
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_CT_KEY), key.rawValue)
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_CT_DREG), register.wire)
            return e
        case let .ctSet(key, register):
            let e = nftnl_expr_alloc("ct")!
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_CT_KEY), key.rawValue)
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_CT_SREG), register.wire)
            return e
        case .counter:
            return nftnl_expr_alloc("counter")!
        case .masquerade:
            return nftnl_expr_alloc("masq")!
        case let .verdict(v):
            let e = nftnl_expr_alloc("immediate")!
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_IMM_DREG), UInt32(NFT_REG_VERDICT.rawValue))
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_IMM_VERDICT), UInt32(bitPattern: v.code))
            if let chain = v.chain { nftnl_expr_set_str(e, a(NFTNL_EXPR_IMM_CHAIN), chain) }
            return e
        case let .immediate(data, register):
            let e = nftnl_expr_alloc("immediate")!
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_IMM_DREG), register.wire)
            nftnl_expr_set(e, a(NFTNL_EXPR_IMM_DATA), data, UInt32(data.count))
            return e
        case let .metaSet(key, register):
            let e = nftnl_expr_alloc("meta")!
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_META_KEY), key.rawValue)
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_META_SREG), register.wire)
            return e
        case let .numgenRandom(modulus, offset, register):
            let e = nftnl_expr_alloc("numgen")!
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_NG_DREG), register.wire)
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_NG_MODULUS), modulus)
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_NG_TYPE), UInt32(NFT_NG_RANDOM.rawValue))
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_NG_OFFSET), offset)
            return e
        case let .dnat(family, address, port):
            let e = nftnl_expr_alloc("nat")!
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_NAT_TYPE), UInt32(NFT_NAT_DNAT.rawValue))
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_NAT_FAMILY), family == .v4 ? 2 : 10)
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_NAT_REG_ADDR_MIN), address.wire)
            if let port { nftnl_expr_set_u32(e, a(NFTNL_EXPR_NAT_REG_PROTO_MIN), port.wire) }
            return e
        case let .rejectPortUnreachable(family):
            let e = nftnl_expr_alloc("reject")!
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_REJECT_TYPE), UInt32(NFT_REJECT_ICMP_UNREACH.rawValue))
            // ICMP_PORT_UNREACH = 3; ICMPV6_PORT_UNREACH = 4.
            nftnl_expr_set_u8(e, a(NFTNL_EXPR_REJECT_CODE), family == .v4 ? 3 : 4)
            return e
        case let .mapLookup(set, register, data):
            let e = nftnl_expr_alloc("lookup")!
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_LOOKUP_SREG), register.wire)
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_LOOKUP_DREG), data.wire)
            nftnl_expr_set_str(e, a(NFTNL_EXPR_LOOKUP_SET), set)
            return e
        case let .dynsetUpdateMap(set, register, data, timeout):
            let e = nftnl_expr_alloc("dynset")!
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_DYNSET_SREG_KEY), register.wire)
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_DYNSET_SREG_DATA), data.wire)
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_DYNSET_OP), UInt32(NFT_DYNSET_OP_UPDATE.rawValue))
            nftnl_expr_set_str(e, a(NFTNL_EXPR_DYNSET_SET_NAME), set)
            if let timeout { nftnl_expr_set_u64(e, a(NFTNL_EXPR_DYNSET_TIMEOUT), timeout) }
            return e
        case .rejectTCPReset:
            let e = nftnl_expr_alloc("reject")!
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_REJECT_TYPE), UInt32(NFT_REJECT_TCP_RST.rawValue))
            nftnl_expr_set_u8(e, a(NFTNL_EXPR_REJECT_CODE), 0)
            return e
        case let .dynsetUpdate(set, register, timeout):
            let e = nftnl_expr_alloc("dynset")!
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_DYNSET_SREG_KEY), register.wire)
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_DYNSET_OP), UInt32(NFT_DYNSET_OP_UPDATE.rawValue))
            nftnl_expr_set_str(e, a(NFTNL_EXPR_DYNSET_SET_NAME), set)
            if let timeout { nftnl_expr_set_u64(e, a(NFTNL_EXPR_DYNSET_TIMEOUT), timeout) }
            return e
        }
    }
}
