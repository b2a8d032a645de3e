"""mq-network-audit: the rule's verdicts across regions and accounts, or through an aggregator."""
