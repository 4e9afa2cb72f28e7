import CBPF
import CIPSet
import Testing

/// The system library targets nothing imports yet still compile, link and run.
@Suite struct CLibraryTests {
    @Test func libbpfLinks() {
        #expect(libbpf_major_version() >= 1)
    }

    @Test func libipsetOpensASession() throws {
        ipset_load_types()
        // A session owns a netfilter netlink socket to the kernel's ipset subsystem.
        let session = try #require(ipset_session_init(nil, nil))
        #expect(ipset_session_fini(session) == 0)
    }
}
