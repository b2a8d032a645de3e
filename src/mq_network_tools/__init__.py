"""Tools around the MQ_NETWORK_OF_BROKERS rule that Lambda does not need: the demo, the
mq-network-audit and mq-network-plan commands, the mesh builder the remediation runs, and the
in-process emulator the demo, tests and benchmarks use."""
