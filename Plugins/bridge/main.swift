print("trellis-bridge: not built yet")
