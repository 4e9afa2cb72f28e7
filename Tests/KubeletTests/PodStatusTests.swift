import Foundation
import KubeAPI
import Testing
@testable import Kubelet

@Suite struct PodStatusTests {
    static let t0 = Date(timeIntervalSince1970: 1_700_000_000)

    static func pod(_ names: [String] = ["a", "b"], restartPolicy: String = "Always") -> Pod {
        var p = Pod(metadata: ObjectMeta(name: "p", namespace: "default"))
        p.metadata.uid = "uid-1"
        p.spec = PodSpec(containers: names.map { Container(name: $0, image: "img-\($0)") })
        p.spec?.restartPolicy = restartPolicy
        return p
    }

    static func running(_ name: String, ready: Bool = true) -> ContainerRuntimeState {
        ContainerRuntimeState(name: name, phase: .running(startedAt: t0), ready: ready, started: true,
                              containerID: "trellis://x/\(name)/0")
    }

    static func exited(_ name: String, _ code: Int32) -> ContainerRuntimeState {
        ContainerRuntimeState(name: name, phase: .terminated(.init(exitCode: code, reason: code == 0 ? "Completed" : "Error",
                                                                     startedAt: t0, finishedAt: t0 + 5)))
    }

    static func runtime(_ containers: [ContainerRuntimeState], sandbox: Bool = true, finished: Bool = false) -> PodRuntimeState {
        var r = PodRuntimeState()
        r.sandboxReady = sandbox
        r.podIPs = sandbox ? ["10.88.0.5"] : []
        r.hostIPs = ["192.168.1.10"]
        r.startTime = t0
        r.containers = containers
        r.containersFinished = finished
        return r
    }

    func condition(_ s: PodStatus, _ type: String) -> PodCondition? { s.conditions?.first { $0.type == type } }

    @Test func pendingBeforeTheSandbox() {
        var r = Self.runtime([], sandbox: false)
        r.sandboxMessage = "Failed to create pod sandbox: CNI ADD failed"
        let s = PodStatus.computed(for: Self.pod(), runtime: r, previous: nil, now: Self.t0)
        #expect(s.phase == "Pending")
        #expect(s.message == "Failed to create pod sandbox: CNI ADD failed")
        #expect(s.podIP == nil)
        #expect(s.hostIP == "192.168.1.10")
        #expect(condition(s, "PodReadyToStartContainers")?.status == "False")
        #expect(condition(s, "Ready")?.status == "False")
        #expect(s.containerStatuses?.map { $0.state?.waiting?.reason } == ["ContainerCreating", "ContainerCreating"])
        #expect(s.qosClass == "BestEffort")
    }

    @Test func runningAndReady() {
        let s = PodStatus.computed(for: Self.pod(), runtime: Self.runtime([Self.running("a"), Self.running("b")]),
                                   previous: nil, now: Self.t0)
        #expect(s.phase == "Running")
        #expect(s.podIP == "10.88.0.5")
        #expect(s.podIPs?.map(\.ip) == ["10.88.0.5"])
        #expect(s.startTime == Time(Self.t0))
        for type in ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"] {
            #expect(condition(s, type)?.status == "True", "\(type)")
        }
        #expect(s.containerStatuses?.map(\.ready) == [true, true])
        #expect(s.containerStatuses?.first?.image == "img-a")
        #expect(s.containerStatuses?.first?.state?.running?.startedAt == Time(Self.t0))
        #expect(s.containerStatuses?.first?.started == true)
    }

    @Test func oneUnreadyContainerMakesThePodUnready() {
        let s = PodStatus.computed(for: Self.pod(), runtime: Self.runtime([Self.running("a"), Self.running("b", ready: false)]),
                                   previous: nil, now: Self.t0)
        #expect(s.phase == "Running")
        #expect(condition(s, "Ready")?.status == "False")
        #expect(condition(s, "Ready")?.reason == "ContainersNotReady")
        #expect(condition(s, "ContainersReady")?.message == "containers with unready status: [b]")
    }

    @Test func transitionTimesChangeOnlyWithTheStatus() {
        let pod = Self.pod()
        let first = PodStatus.computed(for: pod, runtime: Self.runtime([Self.running("a", ready: false), Self.running("b")]),
                                       previous: nil, now: Self.t0)
        let same = PodStatus.computed(for: pod, runtime: Self.runtime([Self.running("a", ready: false), Self.running("b")]),
                                      previous: first, now: Self.t0 + 60)
        #expect(same == first)
        let ready = PodStatus.computed(for: pod, runtime: Self.runtime([Self.running("a"), Self.running("b")]),
                                       previous: same, now: Self.t0 + 120)
        #expect(condition(ready, "Ready")?.lastTransitionTime == Time(Self.t0 + 120))
        #expect(condition(ready, "Initialized")?.lastTransitionTime == Time(Self.t0))
    }

    @Test(arguments: [
        // (restartPolicy, exit codes, finished, phase)
        ("Never", [Int32(0), 0], true, "Succeeded"),
        ("Never", [0, 1], true, "Failed"),
        ("OnFailure", [0, 0], true, "Succeeded"),
        ("Always", [0, 1], false, "Running"),
        ("OnFailure", [1, 0], false, "Running"),
    ])
    func terminalPhases(policy: String, codes: [Int32], finished: Bool, phase: String) {
        let pod = Self.pod(restartPolicy: policy)
        let r = Self.runtime([Self.exited("a", codes[0]), Self.exited("b", codes[1])], sandbox: !finished, finished: finished)
        let s = PodStatus.computed(for: pod, runtime: r, previous: nil, now: Self.t0)
        #expect(s.phase == phase)
        if phase == "Succeeded" || phase == "Failed" {
            #expect(condition(s, "Ready")?.reason == "PodCompleted")
            #expect(s.containerStatuses?.map { $0.state?.terminated?.exitCode } == codes)
        }
    }

    @Test func aTerminalPhaseNeverGoesBack() {
        var previous = PodStatus()
        previous.phase = "Succeeded"
        let s = PodStatus.computed(for: Self.pod(), runtime: Self.runtime([Self.running("a"), Self.running("b")]),
                                   previous: previous, now: Self.t0)
        #expect(s.phase == "Succeeded")
    }

    @Test func crashLoopShowsWaitingWithTheLastTermination() {
        var a = Self.exited("a", 2)
        if case .terminated(let t) = a.phase { a.lastTermination = t }
        a.phase = .waiting(reason: "CrashLoopBackOff", message: "back-off 10s")
        a.restartCount = 3
        let s = PodStatus.computed(for: Self.pod(["a"]), runtime: Self.runtime([a]), previous: nil, now: Self.t0)
        #expect(s.phase == "Running")
        let cs = s.containerStatuses?.first
        #expect(cs?.state?.waiting?.reason == "CrashLoopBackOff")
        #expect(cs?.lastState?.terminated?.exitCode == 2)
        #expect(cs?.restartCount == 3)
        #expect(cs?.ready == false)
    }

    @Test func qosClasses() {
        var guaranteed = PodSpec(containers: [Container(name: "a", image: "")])
        var res = ResourceRequirements()
        res.limits = ["cpu": Quantity(1), "memory": Quantity(1024)]
        guaranteed.containers[0].resources = res
        #expect(PodStatus.qosClass(guaranteed) == "Guaranteed")
        res.requests = ["cpu": Quantity(0)]
        guaranteed.containers[0].resources = res
        #expect(PodStatus.qosClass(guaranteed) == "Burstable")
        #expect(PodStatus.qosClass(PodSpec(containers: [Container(name: "a", image: "")])) == "BestEffort")
    }
}
