// libFuzzer entry for DNSWire. Not a SwiftPM target: compiled together with the DNSWire
// sources into one module by Tests/DNSWireFuzz/build.sh, so no import is needed.
@_cdecl("LLVMFuzzerTestOneInput")
public func dnsWireFuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if DNSWireFuzz.fuzzOne(bytes) == .mismatch { fatalError("DNSWire round-trip mismatch") }
    return 0
}
