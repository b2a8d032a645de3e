"""Real Apache ActiveMQ as the judge of what the rule says about networks, and of the remediation's meshes."""
