// The `trellis` command. Placeholder until its subcommands land.
print("trellis: no subcommands yet")
