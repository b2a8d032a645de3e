"""mq-network-demo and the in-process emulated account it runs the rule on."""
