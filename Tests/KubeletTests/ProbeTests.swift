import KubeAPI
import Testing
@testable import Kubelet

@Suite struct ProbeTests {
    func probe(success: Int32? = nil, failure: Int32? = nil) -> Probe {
        var p = Probe()
        p.successThreshold = success
        p.failureThreshold = failure
        return p
    }

    @Test func readinessNeedsSuccessThresholdInARow() {
        var c = ProbeCounter(probe(success: 2, failure: 2), initial: false)
        // A failure in between resets the run of successes.
        let changes = [true, false, true, true, false, false].map { c.record($0) }
        #expect(changes == [false, false, false, true, false, true])
        #expect(!c.verdict)
    }

    @Test func livenessDefaultsToThreeFailures() {
        var c = ProbeCounter(Probe(), initial: true)
        let first = [false, false].map { c.record($0) }
        #expect(first == [false, false])
        #expect(c.consecutiveFailures == 2)
        let third = c.record(false)
        #expect(third)
        #expect(!c.verdict)
    }

    @Test func backOffDoublesToTheCap() {
        let b = RestartBackOff(initial: .seconds(10), maximum: .seconds(300))
        #expect((0...7).map { b.delay(afterRestarts: $0) } ==
                [.zero, .seconds(10), .seconds(20), .seconds(40), .seconds(80), .seconds(160), .seconds(300), .seconds(300)])
        #expect(b.delay(afterRestarts: 1000) == .seconds(300))
    }

    @Test func httpRequestCarriesHostAgentAndHeaders() {
        var a = HTTPGetAction()
        a.path = "healthz"
        a.port = 8080
        var h = HTTPHeader()
        h.name = "accept"
        h.value = "application/json"
        var x = HTTPHeader()
        x.name = "X-Probe"
        x.value = "1"
        a.httpHeaders = [h, x]
        let text = String(decoding: ProbeCheck.httpRequest(a, host: "10.88.0.5", port: 8080), as: UTF8.self)
        #expect(text == "GET /healthz HTTP/1.1\r\nHost: 10.88.0.5:8080\r\nUser-Agent: kube-probe/1.32\r\n"
            + "Accept: application/json\r\nX-Probe: 1\r\nConnection: close\r\n\r\n")
        let v6 = String(decoding: ProbeCheck.httpRequest(HTTPGetAction(), host: "fd00::5", port: 80), as: UTF8.self)
        #expect(v6.hasPrefix("GET / HTTP/1.1\r\nHost: [fd00::5]:80\r\n"))
    }

    @Test(arguments: [
        ("HTTP/1.1 200 OK\r\n", true), ("HTTP/1.0 302 Found\r\n", true), ("HTTP/1.1 399 X\r\n", true),
        ("HTTP/1.1 400 Bad Request\r\n", false), ("HTTP/1.1 503 Unavailable\r\n", false), ("garbage", false), ("", false),
    ])
    func httpStatusCodes(reply: String, ok: Bool) {
        #expect(ProbeCheck.httpOutcome(Array(reply.utf8)).succeeded == ok)
    }

    @Test func namedPortsResolveFromTheContainer() {
        let target = ProbeCheck.Target(podIP: "10.0.0.1", pod: nil, node: nil, environment: [],
                                       ports: [ContainerPort(name: "http", containerPort: 8080)])
        let check = ProbeCheck(probe: Probe(), target: target)
        #expect(check.resolve("http") == 8080)
        #expect(check.resolve(9090) == 9090)
        #expect(check.resolve("nope") == nil)
    }

    @Test func sandboxNamesComeFromTheUID() {
        #expect(PodSandbox.netnsName(uid: "0C5E9B1A-77aa-4bd0-9d1e-123456789abc") == "trellis-0c5e9b1a77aa")
    }
}
