import CNI
import PodNetwork

Skel.main(BridgePlugin())
