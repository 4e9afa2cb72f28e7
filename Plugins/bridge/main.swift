import CNI
import PodNetwork

// A plugin process is single-threaded, so DEL may return once the kernel has unregistered
// the veth instead of waiting for the kernel's reclamation (about 20 ms per pod).
Skel.main(BridgePlugin(returnEarlyOnDelete: true))
