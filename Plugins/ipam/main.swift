print("trellis-ipam: not built yet")
