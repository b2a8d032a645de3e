"""mq-network-check: the rule's verdict on brokers in templates and Terraform, before they exist."""
