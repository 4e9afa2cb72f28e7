import CNI
import IPAM

Skel.main(IPAMPlugin())
