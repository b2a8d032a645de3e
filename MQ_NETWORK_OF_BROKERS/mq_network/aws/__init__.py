"""AWS access: every call the rule makes (aws_calls), the reads a run needs (broker_reads), and
peers beyond the region through an AWS Config aggregator (peer_lookup; its pure part is
core/external_peers.py)."""
