import CNI
import SubnetPlugins

// Single-threaded: DEL may return once the kernel has unregistered the veth.
Skel.main(SubnetBridgePlugin(.vxlan, returnEarlyOnDelete: true))
