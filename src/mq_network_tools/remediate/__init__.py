"""mq-network-plan and the SSM Automation remediation: the mesh that replaces a broker."""
